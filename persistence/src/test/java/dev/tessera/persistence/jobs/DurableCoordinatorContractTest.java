package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.engine.CoordinatorContract;
import dev.tessera.work.engine.JobReport;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.junit.jupiter.api.AfterAll;

/**
 * The durable coordinator passes the coordinator contract, on Pekko's persistence test kit. Its
 * results are read back as a client would, from the journal's pages once the job has ended.
 */
class DurableCoordinatorContractTest extends CoordinatorContract {

  // serialize-messages: events, snapshots and messages must all survive CBOR.
  private static final ActorTestKit testKit = ActorTestKit.create(
      PersistenceTestKitPlugin.getInstance().config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseString("pekko.actor.serialize-messages = on\n"
              + "tessera.persistence.journal-plugin = \"" + PersistenceTestKitPlugin.PluginId() + "\"\n"
              + "tessera.persistence.snapshot-plugin = \"" + PersistenceTestKitSnapshotPlugin.PluginId() + "\"\n"))
          .withFallback(ConfigFactory.load()));

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  @Override
  protected ActorTestKit testKit() {
    return testKit;
  }

  @Override
  protected Job start(int tasks, JobOptions options) {
    TestProbe<JobRegistry.Command> registry = testKit.createTestProbe();
    ActorRef<DurableJobCoordinator.Command> coordinator = testKit.spawn(
        DurableJobCoordinator.create("job-" + UUID.randomUUID(), registry.getRef(), 1000));
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    coordinator.tell(new DurableJobCoordinator.Submit("echo", options, "contract", ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    coordinator.tell(new DurableJobCoordinator.AddInputs(0, inputs(tasks), true, ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    return new Job() {
      @Override
      public ActorRef<CoordinatorMessage> forWorkers() {
        return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
      }

      @Override
      public JobProgress progress() {
        TestProbe<JobProgress> probe = testKit.createTestProbe();
        coordinator.tell(new DurableJobCoordinator.GetProgress(probe.getRef()));
        return probe.receiveMessage();
      }

      @Override
      public void cancel() {
        coordinator.tell(new DurableJobCoordinator.Cancel(ack.getRef()));
        ack.expectMessage(StatusReply.ack());
      }

      @Override
      public Ended awaitEnd(Duration within) {
        TestProbe<JobStatus> status = testKit.createTestProbe();
        coordinator.tell(new DurableJobCoordinator.AwaitEnd(status.getRef()));
        JobStatus end = status.receiveMessage(within);
        List<byte[]> results = new ArrayList<>();
        Map<Integer, JobReport.TaskFailure> failures = new HashMap<>();
        TestProbe<StatusReply<ResultsPage>> pages = testKit.createTestProbe();
        int next = 0;
        while (next < end.progress().total()) {
          coordinator.tell(new DurableJobCoordinator.GetResults(next, pages.getRef()));
          ResultsPage page = pages.receiveMessage().getValue();
          for (ResultsPage.TaskResult result : page.outcomes()) {
            results.add(result.output());
            if (result.failure() != null) {
              failures.put(result.taskId(), result.failure());
            }
          }
          next = page.next();
        }
        return new Ended(results, failures, end.progress(), JobStatus.CANCELLED.equals(end.state()));
      }
    };
  }
}
