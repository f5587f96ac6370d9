package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.persistence.journal.JournalHealth;
import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.persistence.journal.ResultBlobs;
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
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A durable job's large results on the real H2 journal (results above 1 KiB kept beside the
 * journal, in rows of 4 KiB, for small tests), with probes as workers: they are in the table, not
 * in events or snapshots; a coordinator recovering from a snapshot pages them as references that
 * read back bit for bit; purging the job deletes them; and a store that fails leaves its task
 * uncommitted, restarts the coordinator, and the task runs again and is committed once.
 */
class LargeResultsTest {

  private static final JobOptions OPTIONS = JobOptions.defaults().withBatchSize(4);

  @TempDir Path dataDir;
  private ActorTestKit kit;
  private TestProbe<JobRegistry.Command> registry() {
    return kit.createTestProbe();
  }

  @BeforeEach
  void start() throws Exception {
    // serialize-messages: results pages (and everything else sent) must survive CBOR.
    kit = ActorTestKit.create("large-results", ConfigFactory.load(ConfigFactory.parseString(
        "tessera.persistence.data-dir = \"" + dataDir.toAbsolutePath() + "\"\n"
            + "tessera.persistence.jobs.inline-result-bytes = 1 KiB\n"
            + "tessera.persistence.jobs.result-chunk-size = 4 KiB\n"
            + "tessera.persistence.jobs.journal-backoff.min = 50ms\n"
            + "pekko.actor.serialize-messages = on\n")));
    JournalPlugins.createSchema(kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection("jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0", "sa", "");
  }

  private long query(String sql, String parameter) throws Exception {
    try (Connection c = connect(); PreparedStatement q = c.prepareStatement(sql)) {
      q.setString(1, parameter);
      try (ResultSet rows = q.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  private long rows(String job, int task) throws Exception {
    return query("SELECT COUNT(*) FROM tessera_job_results WHERE job_id = ? AND task_id = " + task, job);
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new SplittableRandom(seed).nextBytes(bytes);
    return bytes;
  }

  private static ActorRef<CoordinatorMessage> fromWorkers(ActorRef<?> coordinator) {
    return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
  }

  private ActorRef<DurableJobCoordinator.Command> submit(String job, int tasks, int snapshotEvery) {
    ActorRef<DurableJobCoordinator.Command> coordinator =
        kit.spawn(DurableJobCoordinator.create(job, registry().getRef(), snapshotEvery));
    TestProbe<StatusReply<Done>> ack = kit.createTestProbe();
    coordinator.tell(new DurableJobCoordinator.Submit("echo", OPTIONS, "test", ack.getRef()));
    assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
    List<byte[]> inputs = IntStream.range(0, tasks).mapToObj(i -> ("in-" + i).getBytes(StandardCharsets.UTF_8)).toList();
    coordinator.tell(new DurableJobCoordinator.AddInputs(0, inputs, true, ack.getRef()));
    assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
    return coordinator;
  }

  private JobStatus awaitEnd(ActorRef<DurableJobCoordinator.Command> coordinator) {
    TestProbe<JobStatus> end = kit.createTestProbe();
    coordinator.tell(new DurableJobCoordinator.AwaitEnd(end.getRef()));
    return end.receiveMessage(Duration.ofSeconds(20));
  }

  private ResultsPage results(ActorRef<DurableJobCoordinator.Command> coordinator) {
    TestProbe<StatusReply<ResultsPage>> page = kit.createTestProbe();
    coordinator.tell(new DurableJobCoordinator.GetResults(0, page.getRef()));
    return page.receiveMessage(Duration.ofSeconds(10)).getValue();
  }

  private byte[] read(String job, ResultsPage.TaskResult outcome) throws Exception {
    return ResultBlobs.get(kit.system()).read(job, outcome.taskId(), outcome.stored())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void largeResultsAreKeptBesideTheJournalReadBackAfterARestartAndPurgedWithTheirJob() throws Exception {
    String job = "large";
    byte[] first = random(10 * 1024, 1);
    byte[] small = "small".getBytes(StandardCharsets.UTF_8);
    byte[] third = random(20 * 1024 + 1, 3);
    // A snapshot after every other event: the restarted coordinator recovers from one.
    ActorRef<DurableJobCoordinator.Command> coordinator = submit(job, 3, 2);
    TestProbe<WorkerMessage> worker = kit.createTestProbe();
    fromWorkers(coordinator).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 3));
    List<WorkerMessage.TaskAssignment> tasks = worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks();
    assertThat(tasks).extracting(WorkerMessage.TaskAssignment::taskId).containsExactly(0, 1, 2);
    fromWorkers(coordinator).tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(
        new TaskOutcome.Succeeded(0, 1, first), new TaskOutcome.Succeeded(1, 1, small),
        new TaskOutcome.Succeeded(2, 1, third)), 3));
    assertThat(awaitEnd(coordinator).state()).isEqualTo(JobStatus.FINISHED);

    String persistenceId = DurableJobCoordinator.persistenceId(job).id();
    assertThat(query("SELECT MAX(OCTET_LENGTH(\"event_payload\")) FROM \"event_journal\" WHERE \"persistence_id\" = ?",
        persistenceId)).as("the largest event").isLessThan(1024);
    assertThat(query("SELECT COUNT(*) FROM \"snapshot\" WHERE \"persistence_id\" = ?", persistenceId)).isPositive();
    assertThat(query("SELECT MAX(OCTET_LENGTH(\"snapshot_payload\")) FROM \"snapshot\" WHERE \"persistence_id\" = ?",
        persistenceId)).as("the largest snapshot").isLessThan(1024);
    assertThat(rows(job, 0)).isEqualTo(3);
    assertThat(rows(job, 1)).isZero();
    assertThat(rows(job, 2)).isEqualTo(6);

    kit.stop(coordinator, Duration.ofSeconds(10));
    ActorRef<DurableJobCoordinator.Command> recovered = kit.spawn(DurableJobCoordinator.create(job, registry().getRef(), 2));
    ResultsPage page = results(recovered);
    assertThat(page.next()).isEqualTo(3);
    assertThat(page.outcomes().get(0).output()).isNull();
    assertThat(page.outcomes().get(0).stored().bytes()).isEqualTo(first.length);
    assertThat(read(job, page.outcomes().get(0))).isEqualTo(first);
    assertThat(page.outcomes().get(1).stored()).isNull();
    assertThat(page.outcomes().get(1).output()).isEqualTo(small);
    assertThat(read(job, page.outcomes().get(2))).isEqualTo(third);

    // Another job's results stay when this one is purged.
    ResultBlobs.get(kit.system()).store("other", java.util.Map.of(0, first)).toCompletableFuture().get(10, TimeUnit.SECONDS);
    TestProbe<StatusReply<Done>> purged = kit.createTestProbe();
    recovered.tell(new DurableJobCoordinator.Purge(purged.getRef()));
    assertThat(purged.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
    assertThat(query("SELECT COUNT(*) FROM tessera_job_results WHERE job_id = ?", job)).isZero();
    assertThat(rows("other", 0)).isEqualTo(3);
    assertThat(query("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"deleted\" = FALSE",
        persistenceId)).isZero();
  }

  @Test
  void aResultThatCannotBeStoredLeavesItsTaskUncommittedAndTheTaskRunsAgain() throws Exception {
    String job = "store-fails";
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("CREATE TRIGGER every_row_fails BEFORE INSERT ON tessera_job_results FOR EACH ROW CALL '"
          + EveryRowFails.class.getName() + "'");
    }
    ActorRef<DurableJobCoordinator.Command> coordinator = submit(job, 2, 1000);
    TestProbe<WorkerMessage> worker = kit.createTestProbe();
    fromWorkers(coordinator).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 2));
    assertThat(worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks()).hasSize(2);
    CoordinatedJobs coordinating = CoordinatedJobs.get(kit.system());
    long firstSince = coordinating.jobs().get(0).sinceMillis();

    fromWorkers(coordinator).tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(
        new TaskOutcome.Succeeded(0, 1, "small".getBytes(StandardCharsets.UTF_8))), 2));
    // Committed first: a journal write that succeeds clears the journal's health, which is looked at below.
    TestProbe<dev.tessera.runtime.job.JobProgress> progress = kit.createTestProbe();
    progress.awaitAssert(Duration.ofSeconds(10), () -> {
      coordinator.tell(new DurableJobCoordinator.GetProgress(progress.getRef()));
      assertThat(progress.receiveMessage().done()).isEqualTo(1);
      return null;
    });
    fromWorkers(coordinator).tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(
        new TaskOutcome.Succeeded(1, 1, random(5000, 1))), 2));

    // The store fails: the journal's health says why, and the coordinator starts over from the journal.
    TestProbe<Object> probe = kit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(10), () -> {
      assertThat(JournalHealth.get(kit.system()).failure()).hasValueSatisfying(f ->
          assertThat(f.describe()).contains("no room for results (test)"));
      assertThat(coordinating.jobs()).singleElement().satisfies(j -> assertThat(j.sinceMillis()).isGreaterThan(firstSince));
      return null;
    });
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("DROP TRIGGER every_row_fails");
    }

    // Task 1 is handed out again (its first attempt: losing a store costs it nothing); task 0 was committed.
    byte[] again = random(5000, 2);
    fromWorkers(coordinator).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 2));
    List<WorkerMessage.TaskAssignment> rerun = worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks();
    assertThat(rerun).extracting(WorkerMessage.TaskAssignment::taskId).containsExactly(1);
    assertThat(rerun.get(0).attempt()).isEqualTo(1);
    fromWorkers(coordinator).tell(new CoordinatorMessage.Outcomes(worker.getRef(),
        List.of(new TaskOutcome.Succeeded(1, 1, again)), 2));
    JobStatus end = awaitEnd(coordinator);
    assertThat(end.state()).isEqualTo(JobStatus.FINISHED);
    assertThat(end.progress().done()).isEqualTo(2);
    assertThat(JournalHealth.get(kit.system()).failure()).isEmpty();

    ResultsPage page = results(coordinator);
    assertThat(page.outcomes().get(0).output()).isEqualTo("small".getBytes(StandardCharsets.UTF_8));
    assertThat(read(job, page.outcomes().get(1))).isEqualTo(again);
    try (JobJournalReader journal = JobJournalReader.open(
        "jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0", "sa", "", job)) {
      assertThat(journal.read(kit.system()).commits()).extracting(JobJournalReader.Commit::task).containsExactly(0, 1);
    }
  }

  /** An H2 trigger failing every row inserted while it exists (a full disk, for one table). */
  public static final class EveryRowFails implements org.h2.api.Trigger {
    @Override
    public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws java.sql.SQLException {
      throw new java.sql.SQLException("no room for results (test)");
    }
  }
}
