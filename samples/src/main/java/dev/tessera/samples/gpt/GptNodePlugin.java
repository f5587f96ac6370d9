package dev.tessera.samples.gpt;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodePlugin;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Starts a {@link GptReplica} (training) on every node that has the samples on its classpath and
 * the role {@code tessera.samples.gpt.replica-role}, and a {@link GptStage} (pipeline inference) on
 * every node with {@code tessera.samples.gpt.stage-role}, each registered with the Receptionist so
 * that a trainer or generator anywhere in the cluster finds them. Both compute on the blocking
 * dispatcher: a shard's gradient can take seconds, and the node's own actors must go on meanwhile.
 */
public final class GptNodePlugin implements NodePlugin {

  @Override
  public void start(ComputeNode node) {
    var system = node.system();
    if (hasRole(node, "tessera.samples.gpt.replica-role")) {
      ActorRef<GptReplica.Command> replica =
          system.systemActorOf(GptReplica.create(), "tessera-gpt-replica", DispatcherSelector.blocking());
      system.receptionist().tell(Receptionist.register(GptReplica.SERVICE_KEY, replica));
    }
    if (hasRole(node, "tessera.samples.gpt.stage-role")) {
      ActorRef<GptStage.Command> stage =
          system.systemActorOf(GptStage.create(), "tessera-gpt-stage", DispatcherSelector.blocking());
      system.receptionist().tell(Receptionist.register(GptStage.SERVICE_KEY, stage));
    }
  }

  private static boolean hasRole(ComputeNode node, String setting) {
    String role = node.system().settings().config().getString(setting);
    return role.isEmpty() || Cluster.get(node.system()).selfMember().hasRole(role);
  }
}
