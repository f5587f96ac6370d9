package dev.tessera.work.engine;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import java.time.Duration;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;

/** The in-memory coordinator passes the coordinator contract. */
class JobCoordinatorContractTest extends CoordinatorContract {

  private static final ActorTestKit testKit = ActorTestKit.create(
      ConfigFactory.parseString("pekko.actor.serialize-messages = on").withFallback(ConfigFactory.load()));

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
    TestProbe<JobReport> report = testKit.createTestProbe();
    ActorRef<JobCoordinator.Command> coordinator = testKit.spawn(
        JobCoordinator.create("job-" + UUID.randomUUID(), "echo", inputs(tasks), options, report.getRef()));
    return new Job() {
      @Override
      public ActorRef<CoordinatorMessage> forWorkers() {
        return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
      }

      @Override
      public JobProgress progress() {
        TestProbe<JobProgress> probe = testKit.createTestProbe();
        coordinator.tell(new JobCoordinator.GetProgress(probe.getRef()));
        return probe.receiveMessage();
      }

      @Override
      public void cancel() {
        TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
        coordinator.tell(new JobCoordinator.Cancel(ack.getRef()));
        ack.expectMessage(StatusReply.ack());
      }

      @Override
      public Ended awaitEnd(Duration within) {
        JobReport end = report.expectMessageClass(JobReport.class, within);
        return new Ended(end.results(), end.failures(), end.progress(), end.cancelled());
      }
    };
  }
}
