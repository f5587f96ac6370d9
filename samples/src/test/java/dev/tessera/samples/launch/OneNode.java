package dev.tessera.samples.launch;

import dev.tessera.runtime.node.ComputeNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A compute node of its own in the test's JVM, a cluster of one with role {@code client}, its
 * journal in a folder of the test's. The samples' node plugins see roles no node has, so the
 * node hosts no tile, replica or stage of its own: each test spawns what it needs, or none.
 */
public final class OneNode {

  /** The samples' role settings, each naming a role no node has. */
  private static final Map<String, Object> NO_SAMPLE_ROLES = Map.of(
      "tessera.samples.heat.tile-role", "no-node-has-this",
      "tessera.samples.gpt.replica-role", "no-node-has-this",
      "tessera.samples.gpt.stage-role", "no-node-has-this");

  private OneNode() {}

  /** Starts the node and waits until it is Up. */
  public static ComputeNode start(Path dataDir) {
    Map<String, Object> settings = new HashMap<>(NO_SAMPLE_ROLES);
    settings.putAll(Map.of(
        "tessera.gpu.mode", "off",
        "tessera.persistence.data-dir", dataDir.toAbsolutePath().toString()));
    return ComputeNode.joinAsClient(List.of(), settings, Duration.ofSeconds(60));
  }

  /** Waits until the Receptionist lists {@code count} actors under {@code key}. */
  public static void awaitRegistered(ComputeNode node, ServiceKey<?> key, int count) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      Receptionist.Listing listing = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
          node.system().receptionist(), reply -> Receptionist.find(key, reply), Duration.ofSeconds(5),
          node.system().scheduler()).toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (listing.getAllServiceInstances(key).size() >= count) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(count + " actors were not registered as " + key.id() + " within 20 s");
  }
}
