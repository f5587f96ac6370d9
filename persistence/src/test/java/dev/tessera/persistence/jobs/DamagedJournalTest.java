package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged journals, on the real H2 journal: one job's event is overwritten with garbage, another
 * job's snapshot too. Each of those two jobs stops at recovery with an error naming it and where
 * its journal became unreadable, and is reported to the registry as unreadable; a third job in the
 * same journal recovers and finishes.
 */
class DamagedJournalTest {

  /** The coordinator, addressed as workers address it. */
  private static ActorRef<CoordinatorMessage> fromWorkers(ActorRef<?> coordinator) {
    return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
  }

  @TempDir Path dataDir;

  private static final JobOptions OPTIONS = JobOptions.defaults().withBatchSize(4);

  private ActorTestKit node() throws Exception {
    ActorTestKit kit = ActorTestKit.create("damaged", ConfigFactory.load(ConfigFactory.parseString(
        "tessera.persistence.data-dir = \"" + dataDir.toAbsolutePath() + "\"\n")));
    JournalPlugins.createSchema(kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    return kit;
  }

  private static byte[] output(int i) {
    return ("out-" + i).getBytes(StandardCharsets.UTF_8);
  }

  /** A job of 4 tasks, 2 of them completed (in separate commits), 2 still open. */
  private static void halfRun(ActorTestKit kit, String jobId, int snapshotEvery) {
    TestProbe<JobRegistry.Command> registry = kit.createTestProbe();
    ActorRef<DurableJobCoordinator.Command> job = kit.spawn(DurableJobCoordinator.create(jobId, registry.getRef(), snapshotEvery));
    TestProbe<StatusReply<Done>> ack = kit.createTestProbe();
    job.tell(new DurableJobCoordinator.Submit("echo", OPTIONS, "test", ack.getRef()));
    assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
    List<byte[]> inputs = IntStream.range(0, 4).mapToObj(i -> ("in-" + i).getBytes(StandardCharsets.UTF_8)).toList();
    job.tell(new DurableJobCoordinator.AddInputs(0, inputs, true, ack.getRef()));
    assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
    TestProbe<WorkerMessage> worker = kit.createTestProbe();
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 4));
    List<WorkerMessage.TaskAssignment> tasks = new ArrayList<>(worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks());
    for (int i = 0; i < 2; i++) {
      WorkerMessage.TaskAssignment t = tasks.get(i);
      fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(),
          List.of(new TaskOutcome.Succeeded(t.taskId(), t.attempt(), output(t.taskId()))), 4));
      int done = i + 1;
      TestProbe<dev.tessera.runtime.job.JobProgress> progress = kit.createTestProbe();
      progress.awaitAssert(Duration.ofSeconds(10), () -> {
        job.tell(new DurableJobCoordinator.GetProgress(progress.getRef()));
        assertThat(progress.receiveMessage().done()).isEqualTo(done);
        return null;
      });
    }
    kit.stop(job);
  }

  private int update(String sql, String jobId) throws Exception {
    try (Connection c = DriverManager.getConnection(
            "jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0", "sa", "");
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, DurableJobCoordinator.persistenceId(jobId).id());
      return s.executeUpdate();
    }
  }

  @Test
  void aDamagedEventOrSnapshotStopsOnlyItsOwnJobWithAnErrorNamingIt() throws Exception {
    ActorTestKit first = node();
    try {
      halfRun(first, "job-event", 1000);
      halfRun(first, "job-snapshot", 2);
      halfRun(first, "job-intact", 1000);
    } finally {
      first.shutdownTestKit();
    }
    // Events of a job: 1 accepted, 2 inputs, 3 and 4 one result each. Overwrite event 3.
    assertThat(update("update \"event_journal\" set \"event_payload\" = X'DEADBEEF'"
        + " where \"persistence_id\" = ? and \"sequence_number\" = 3", "job-event")).isEqualTo(1);
    assertThat(update("update \"snapshot\" set \"snapshot_payload\" = X'DEADBEEF' where \"persistence_id\" = ?",
        "job-snapshot")).isPositive();

    ActorTestKit second = node();
    try {
      TestProbe<JobRegistry.Command> registry = second.createTestProbe();
      Map<String, String> expected = Map.of(
          "job-event", "reading its events failed after sequence number 2 (event 3 cannot be read",
          "job-snapshot", "its snapshot cannot be read");
      for (String damaged : List.of("job-event", "job-snapshot")) {
        ActorRef<DurableJobCoordinator.Command> job = LoggingTestKit.error("job " + damaged + " (persistence id tessera-job|"
                + damaged + ") cannot be recovered: " + expected.get(damaged))
            .expect(second.system(), () -> second.spawn(DurableJobCoordinator.create(damaged, registry.getRef(), 1000)));
        registry.expectTerminated(job, Duration.ofSeconds(10));
        JobRegistry.Ended ended = (JobRegistry.Ended) registry.receiveMessage(Duration.ofSeconds(10));
        assertThat(ended.status().jobId()).isEqualTo(damaged);
        assertThat(ended.status().state()).isEqualTo(JobStatus.UNREADABLE);
      }

      ActorRef<DurableJobCoordinator.Command> intact = second.spawn(DurableJobCoordinator.create("job-intact", registry.getRef(), 1000));
      TestProbe<WorkerMessage> worker = second.createTestProbe();
      fromWorkers(intact).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 4));
      List<WorkerMessage.TaskAssignment> rest = worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks();
      assertThat(rest).extracting(WorkerMessage.TaskAssignment::taskId).containsExactly(2, 3);
      fromWorkers(intact).tell(new CoordinatorMessage.Outcomes(worker.getRef(), rest.stream()
          .<TaskOutcome>map(t -> new TaskOutcome.Succeeded(t.taskId(), t.attempt(), output(t.taskId()))).toList(), 4));
      TestProbe<JobStatus> end = second.createTestProbe();
      intact.tell(new DurableJobCoordinator.AwaitEnd(end.getRef()));
      JobStatus status = end.receiveMessage(Duration.ofSeconds(10));
      assertThat(status.state()).isEqualTo(JobStatus.FINISHED);
      assertThat(status.progress().done()).isEqualTo(4);
    } finally {
      second.shutdownTestKit();
    }
  }
}
