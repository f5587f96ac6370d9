package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.job.JobOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.Test;

/**
 * A durable job that needs a role no member of its (one-node) cluster has ends with every task
 * failed, naming the role, once its no-capable-node timeout has passed.
 */
class DurableMissingRoleTest {

  @Test
  void aDurableJobNeedingARoleNoNodeHasEndsWithEveryTaskFailedNamingTheRole() {
    ActorTestKit kit = ActorTestKit.create("missing-role", PersistenceTestKitPlugin.getInstance().config()
        .withFallback(PersistenceTestKitSnapshotPlugin.config())
        .withFallback(ConfigFactory.parseString("pekko.actor.provider = cluster\n"
            + "pekko.remote.artery.canonical.hostname = 127.0.0.1\n"
            + "pekko.remote.artery.canonical.port = 0\n"
            + "pekko.cluster.roles = [worker]\n"
            + "pekko.cluster.jmx.multi-mbeans-in-same-jvm = on\n"
            + "pekko.actor.serialize-messages = on\n"
            + "tessera.persistence.journal-plugin = \"" + PersistenceTestKitPlugin.PluginId() + "\"\n"
            + "tessera.persistence.snapshot-plugin = \"" + PersistenceTestKitSnapshotPlugin.PluginId() + "\""))
        .withFallback(ConfigFactory.load()));
    try {
      Cluster cluster = Cluster.get(kit.system());
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
      TestProbe<Object> until = kit.createTestProbe();
      until.awaitAssert(Duration.ofSeconds(10), () -> {
        assertThat(cluster.selfMember().status()).isEqualTo(MemberStatus.up());
        return null;
      });

      TestProbe<JobRegistry.Command> registry = kit.createTestProbe();
      ActorRef<DurableJobCoordinator.Command> job = kit.spawn(DurableJobCoordinator.create("needs-gpu", registry.getRef(), 1000));
      TestProbe<StatusReply<Done>> ack = kit.createTestProbe();
      JobOptions options = JobOptions.defaults().withRequiredRole("gpu").withNoCapableNodeTimeout(Duration.ofSeconds(1));
      job.tell(new DurableJobCoordinator.Submit("square", options, "test", ack.getRef()));
      assertThat(ack.receiveMessage().isSuccess()).isTrue();
      List<byte[]> inputs = IntStream.range(0, 3).mapToObj(i -> ("in-" + i).getBytes(StandardCharsets.UTF_8)).toList();
      job.tell(new DurableJobCoordinator.AddInputs(0, inputs, true, ack.getRef()));
      assertThat(ack.receiveMessage().isSuccess()).isTrue();

      TestProbe<JobStatus> status = kit.createTestProbe();
      job.tell(new DurableJobCoordinator.AwaitEnd(status.getRef()));
      JobStatus end = status.receiveMessage(Duration.ofSeconds(15));

      assertThat(end.state()).isEqualTo(JobStatus.FINISHED);
      assertThat(end.progress().failed()).isEqualTo(3);
      TestProbe<StatusReply<ResultsPage>> page = kit.createTestProbe();
      job.tell(new DurableJobCoordinator.GetResults(0, page.getRef()));
      assertThat(page.receiveMessage().getValue().outcomes()).hasSize(3).allSatisfy(outcome ->
          assertThat(outcome.failure().lastCause())
              .isEqualTo("no node in the cluster has role 'gpu' (needed by task type 'square'); waited 1 s"));
    } finally {
      kit.shutdownTestKit();
    }
  }
}
