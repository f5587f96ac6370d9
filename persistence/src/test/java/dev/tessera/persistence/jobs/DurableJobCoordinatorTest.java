package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.javadsl.SnapshotTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The durable coordinator on Pekko's persistence test kit (an in-memory journal and snapshot
 * store), with test probes as workers and as the job registry. A "restart" stops the coordinator
 * and spawns it again under the same job id: it recovers from the same journal.
 */
class DurableJobCoordinatorTest {

  /** The coordinator, addressed as workers address it. */
  private static ActorRef<CoordinatorMessage> fromWorkers(ActorRef<?> coordinator) {
    return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
  }

  // serialize-messages: events, snapshots and messages must all survive CBOR.
  private static final ActorTestKit testKit = ActorTestKit.create(
      PersistenceTestKitPlugin.getInstance().config()
          .withFallback(PersistenceTestKitSnapshotPlugin.config())
          .withFallback(ConfigFactory.parseString("pekko.actor.serialize-messages = on\n"
              + "tessera.persistence.journal-plugin = \"" + PersistenceTestKitPlugin.PluginId() + "\"\n"
              + "tessera.persistence.snapshot-plugin = \"" + PersistenceTestKitSnapshotPlugin.PluginId() + "\"\n"
              + "tessera.persistence.jobs.submission-timeout = 2s\n"
              + "tessera.persistence.jobs.journal-backoff.min = 50ms\n"))
          .withFallback(ConfigFactory.load()));
  private static final PersistenceTestKit journal = PersistenceTestKit.create(testKit.system());
  private static final SnapshotTestKit snapshots = SnapshotTestKit.create(testKit.system());

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  private static final JobOptions OPTIONS = JobOptions.defaults()
      .withBatchSize(4)
      .withMaxAttempts(3)
      .withWorkerSilenceTimeout(Duration.ofSeconds(5))
      .withTaskTimeout(Duration.ofSeconds(30));

  private final TestProbe<JobRegistry.Command> registry = testKit.createTestProbe();
  private final String jobId = "job-" + UUID.randomUUID();

  private ActorRef<DurableJobCoordinator.Command> spawn(int snapshotEvery) {
    return testKit.spawn(DurableJobCoordinator.create(jobId, registry.getRef(), snapshotEvery));
  }

  private static byte[] input(int i) {
    return ("in-" + i).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] output(int i) {
    return ("out-" + i).getBytes(StandardCharsets.UTF_8);
  }

  private void submit(ActorRef<DurableJobCoordinator.Command> job, int tasks, int chunk) {
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.Submit("echo", OPTIONS, "test", ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    for (int from = 0; from < tasks; from += chunk) {
      int to = Math.min(tasks, from + chunk);
      List<byte[]> inputs = IntStream.range(from, to).mapToObj(DurableJobCoordinatorTest::input).toList();
      job.tell(new DurableJobCoordinator.AddInputs(from, inputs, to == tasks, ack.getRef()));
      assertThat(ack.receiveMessage().isSuccess()).isTrue();
    }
  }

  private static List<WorkerMessage.TaskAssignment> take(TestProbe<WorkerMessage> worker, int count) {
    List<WorkerMessage.TaskAssignment> tasks = new ArrayList<>();
    while (tasks.size() < count) {
      tasks.addAll(worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks());
    }
    return tasks;
  }

  private static List<TaskOutcome> succeed(List<WorkerMessage.TaskAssignment> tasks) {
    return tasks.stream()
        .<TaskOutcome>map(t -> new TaskOutcome.Succeeded(t.taskId(), t.attempt(), output(t.taskId())))
        .toList();
  }

  private JobStatus status(ActorRef<DurableJobCoordinator.Command> job) {
    TestProbe<JobStatus> probe = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.GetStatus(probe.getRef()));
    return probe.receiveMessage();
  }

  private JobStatus awaitEnd(ActorRef<DurableJobCoordinator.Command> job) {
    TestProbe<JobStatus> probe = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.AwaitEnd(probe.getRef()));
    return probe.receiveMessage(Duration.ofSeconds(10));
  }

  private ResultsPage results(ActorRef<DurableJobCoordinator.Command> job) {
    TestProbe<StatusReply<ResultsPage>> probe = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.GetResults(0, probe.getRef()));
    return probe.receiveMessage().getValue();
  }

  /** Waits until the journal has committed {@code done} results (commits are asynchronous). */
  private void awaitDone(ActorRef<DurableJobCoordinator.Command> job, int done) {
    TestProbe<JobProgress> probe = testKit.createTestProbe();
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      job.tell(new DurableJobCoordinator.GetProgress(probe.getRef()));
      assertThat(probe.receiveMessage().done()).isEqualTo(done);
      return null;
    });
  }

  /** Skips whatever else the worker got until the job is closed on it. */
  private static void awaitJobClosed(TestProbe<WorkerMessage> worker) {
    worker.fishForMessage(Duration.ofSeconds(3), m -> m instanceof WorkerMessage.JobClosed
        ? FishingOutcomes.complete()
        : FishingOutcomes.continueAndIgnore());
  }

  private List<Object> events() {
    return journal.persistedInStorage(DurableJobCoordinator.persistenceId(jobId).id());
  }

  @Test
  void persistsEveryKindOfEventAndEndsOnce() {
    ActorRef<DurableJobCoordinator.Command> job = spawn(1000);
    submit(job, 6, 4);
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 6));
    List<WorkerMessage.TaskAssignment> tasks = take(worker, 6);
    assertThat(tasks).extracting(WorkerMessage.TaskAssignment::taskId).containsExactly(0, 1, 2, 3, 4, 5);

    // Tasks 0-3 succeed, task 4 fails and may be retried, task 5 fails for good.
    List<TaskOutcome> outcomes = new ArrayList<>(succeed(tasks.subList(0, 4)));
    outcomes.add(new TaskOutcome.Failed(4, 1, "flaky", true));
    outcomes.add(new TaskOutcome.Failed(5, 1, "bad input", false));
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), outcomes, 7));
    WorkerMessage.TaskAssignment retry = take(worker, 1).get(0);
    assertThat(retry.taskId()).isEqualTo(4);
    assertThat(retry.attempt()).isEqualTo(2);
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(List.of(retry)), 7));

    JobStatus end = awaitEnd(job);
    assertThat(end.state()).isEqualTo(JobStatus.FINISHED);
    assertThat(end.progress().done()).isEqualTo(5);
    assertThat(end.progress().failed()).isEqualTo(1);
    awaitJobClosed(worker);
    JobRegistry.Ended ended = (JobRegistry.Ended) registry.receiveMessage();
    assertThat(ended.status().state()).isEqualTo(JobStatus.FINISHED);

    List<Object> events = events();
    assertThat(events.get(0)).isInstanceOf(JobEvent.JobAccepted.class);
    assertThat(events.get(1)).isInstanceOf(JobEvent.TasksAdded.class);
    assertThat(((JobEvent.TasksAdded) events.get(1)).last()).isFalse();
    assertThat(((JobEvent.TasksAdded) events.get(2)).last()).isTrue();
    assertThat(events).filteredOn(e -> e instanceof JobEvent.AttemptsUsed)
        .singleElement().satisfies(e -> assertThat(((JobEvent.AttemptsUsed) e).tasks())
            .containsExactly(new JobEvent.Attempts(4, 1)));
    assertThat(events).filteredOn(e -> e instanceof JobEvent.TasksFailed)
        .singleElement().satisfies(e -> assertThat(((JobEvent.TasksFailed) e).tasks())
            .containsExactly(new JobEvent.Failed(5, 1, "bad input")));
    assertThat(completedIds(events)).containsExactlyInAnyOrder(0, 1, 2, 3, 4);
    assertThat(events.get(events.size() - 1)).isInstanceOf(JobEvent.JobEnded.class);
    assertThat(events).filteredOn(e -> e instanceof JobEvent.JobEnded).hasSize(1);

    ResultsPage page = results(job);
    assertThat(page.next()).isEqualTo(6);
    for (int i = 0; i < 5; i++) {
      assertThat(page.outcomes().get(i).output()).isEqualTo(output(i));
    }
    assertThat(page.outcomes().get(5).output()).isNull();
    assertThat(page.outcomes().get(5).failure().lastCause()).isEqualTo("bad input");
  }

  private static List<Integer> completedIds(List<Object> events) {
    List<Integer> ids = new ArrayList<>();
    for (Object e : events) {
      if (e instanceof JobEvent.TasksCompleted completed) {
        completed.tasks().forEach(c -> ids.add(c.taskId()));
      }
    }
    return ids;
  }

  @Test
  void aDuplicateResultIsDroppedCountedAndNeverCommittedTwice() {
    ActorRef<DurableJobCoordinator.Command> job = spawn(1000);
    submit(job, 2, 10);
    TestProbe<WorkerMessage> slow = testKit.createTestProbe();
    TestProbe<WorkerMessage> fast = testKit.createTestProbe();
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(slow.getRef(), 2));
    List<WorkerMessage.TaskAssignment> tasks = take(slow, 2);
    // The same results twice in one message, then again from a worker presumed dead.
    List<TaskOutcome> once = succeed(tasks.subList(0, 1));
    List<TaskOutcome> twice = new ArrayList<>(once);
    twice.addAll(once);
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(slow.getRef(), twice, 2));
    awaitDone(job, 1);
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(fast.getRef(), once, 0));
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(slow.getRef(), succeed(tasks.subList(1, 2)), 2));
    JobStatus end = awaitEnd(job);
    assertThat(end.progress().done()).isEqualTo(2);
    assertThat(end.progress().duplicatesDropped()).isEqualTo(2);
    assertThat(completedIds(events())).containsExactlyInAnyOrder(0, 1);
  }

  @Test
  void recoversFromSnapshotPlusEventsAndRunsOnlyTheUnfinishedTasks() {
    ActorRef<DurableJobCoordinator.Command> job = spawn(2);
    submit(job, 20, 5);
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 12));
    List<WorkerMessage.TaskAssignment> first = take(worker, 12);
    // Ten results in separate messages (separate commits), and task 11 fails once.
    for (int i = 0; i < 10; i++) {
      fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(first.subList(i, i + 1)), 12));
      awaitDone(job, i + 1);
    }
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(new TaskOutcome.Failed(11, 1, "flaky", true)), 12));
    TestProbe<JobProgress> progress = testKit.createTestProbe();
    progress.awaitAssert(Duration.ofSeconds(5), () -> {
      assertThat(events()).anyMatch(e -> e instanceof JobEvent.AttemptsUsed);
      return null;
    });
    assertThat(snapshots.persistedInStorage(DurableJobCoordinator.persistenceId(jobId).id()))
        .as("snapshots were taken").isNotEmpty();

    testKit.stop(job);
    ActorRef<DurableJobCoordinator.Command> recovered = spawn(2);
    JobStatus status = status(recovered);
    assertThat(status.state()).isEqualTo(JobStatus.RUNNING);
    assertThat(status.progress().done()).isEqualTo(10);

    TestProbe<WorkerMessage> next = testKit.createTestProbe();
    fromWorkers(recovered).tell(new CoordinatorMessage.RequestWork(next.getRef(), 100));
    List<WorkerMessage.TaskAssignment> rest = take(next, 10);
    Set<Integer> ids = new HashSet<>();
    rest.forEach(t -> ids.add(t.taskId()));
    assertThat(ids).as("only tasks without a committed result run again")
        .containsExactlyInAnyOrderElementsOf(IntStream.range(10, 20).boxed().toList());
    assertThat(rest).filteredOn(t -> t.taskId() == 11).singleElement()
        .satisfies(t -> assertThat(t.attempt()).as("task 11 keeps the attempt it used").isEqualTo(2));
    fromWorkers(recovered).tell(new CoordinatorMessage.Outcomes(next.getRef(), succeed(rest), 100));

    JobStatus end = awaitEnd(recovered);
    assertThat(end.progress().done()).isEqualTo(20);
    ResultsPage page = results(recovered);
    for (int i = 0; i < 20; i++) {
      assertThat(page.outcomes().get(i).output()).isEqualTo(output(i));
    }
    assertThat(completedIds(events())).hasSize(20).doesNotHaveDuplicates();
  }

  @Test
  void aRepeatedInputChunkIsAcknowledgedOnceAndAGapIsRefused() {
    ActorRef<DurableJobCoordinator.Command> job = spawn(1000);
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0)), false, ack.getRef()));
    assertThat(ack.receiveMessage().getError().getMessage()).contains("was not submitted");
    job.tell(new DurableJobCoordinator.Submit("echo", OPTIONS, "test", ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0), input(1)), false, ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0), input(1)), false, ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    job.tell(new DurableJobCoordinator.AddInputs(5, List.of(input(5)), true, ack.getRef()));
    assertThat(ack.receiveMessage().getError().getMessage()).contains("the next task is 2");
    job.tell(new DurableJobCoordinator.Submit("other-type", OPTIONS, "test", ack.getRef()));
    assertThat(ack.receiveMessage().getError().getMessage()).contains("taken by a job of task type 'echo'");
    assertThat(events()).filteredOn(e -> e instanceof JobEvent.TasksAdded).hasSize(1);
    assertThat(status(job).progress().total()).isEqualTo(2);
  }

  @Test
  void aCancelledJobKeepsItsCommittedResults() {
    ActorRef<DurableJobCoordinator.Command> job = spawn(1000);
    submit(job, 4, 10);
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 4));
    List<WorkerMessage.TaskAssignment> tasks = take(worker, 4);
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(tasks.subList(0, 1)), 4));
    awaitDone(job, 1);
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.Cancel(ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    JobStatus end = awaitEnd(job);
    assertThat(end.state()).isEqualTo(JobStatus.CANCELLED);
    // A late result after the end changes nothing and closes the job on that worker.
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(tasks.subList(1, 2)), 4));
    awaitJobClosed(worker);
    ResultsPage page = results(job);
    assertThat(page.outcomes().get(0).output()).isEqualTo(output(0));
    assertThat(page.outcomes().get(1).output()).isNull();
    assertThat(completedIds(events())).containsExactly(0);
  }

  @Test
  void aChunkThatDiffersFromTheRecordedOneUnderTheSameJobIdIsRefused() {
    ActorRef<DurableJobCoordinator.Command> job = spawn(1000);
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.Submit("echo", OPTIONS, "test", ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0), input(1)), false, ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();

    // The same chunk again (a retry) is fine; a chunk with another count, last flag or content is not.
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0), input(1)), false, ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0)), false, ack.getRef()));
    assertThat(ack.receiveMessage().getError().getMessage())
        .contains("inputs from task 0 differ from those recorded: recorded 2 inputs, not the last", "sent 1 inputs")
        .contains("a job's inputs cannot change");
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0), input(1)), true, ack.getRef()));
    assertThat(ack.receiveMessage().getError().getMessage()).contains("differ from those recorded", "sent 2 inputs, the last");
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0), input(7)), false, ack.getRef()));
    assertThat(ack.receiveMessage().getError().getMessage()).contains("differ from those recorded");
    job.tell(new DurableJobCoordinator.AddInputs(1, List.of(input(1)), false, ack.getRef()));
    assertThat(ack.receiveMessage().getError().getMessage()).contains("start where no recorded chunk starts");

    assertThat(events()).filteredOn(e -> e instanceof JobEvent.TasksAdded).hasSize(1);
    assertThat(status(job).progress().total()).isEqualTo(2);
  }

  @Test
  void noTaskRunsBeforeTheLastInputsAndACutOffSubmissionIsAbandoned() {
    ActorRef<DurableJobCoordinator.Command> job = spawn(1000);
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.Submit("echo", OPTIONS, "test", ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    job.tell(new DurableJobCoordinator.AddInputs(0, List.of(input(0), input(1)), false, ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 4));
    worker.expectNoMessage(Duration.ofMillis(300));
    assertThat(status(job).state()).isEqualTo(JobStatus.SUBMITTING);

    // Its submitter is gone: after submission-timeout (2 s here) the job ends, having run nothing.
    JobStatus end = awaitEnd(job);
    assertThat(end.state()).isEqualTo(JobStatus.ABANDONED);
    assertThat(end.problem()).contains("its submission stopped after 2 inputs");
    assertThat(end.progress().done()).isZero();
    JobRegistry.Ended ended = (JobRegistry.Ended) registry.receiveMessage();
    assertThat(ended.status().state()).isEqualTo(JobStatus.ABANDONED);
    job.tell(new DurableJobCoordinator.AddInputs(2, List.of(input(2)), true, ack.getRef()));
    assertThat(ack.receiveMessage().getError().getMessage()).contains("was abandoned", "starts it over");

    // Submitted again under the same id, it starts over, and runs once its last inputs are in.
    submit(job, 3, 2);
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 3));
    List<WorkerMessage.TaskAssignment> tasks = worker.fishForMessage(Duration.ofSeconds(3),
            m -> m instanceof WorkerMessage.WorkBatch ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore())
        .stream().map(m -> (WorkerMessage.WorkBatch) m).flatMap(b -> b.tasks().stream()).toList();
    List<WorkerMessage.TaskAssignment> all = new ArrayList<>(tasks);
    if (all.size() < 3) {
      all.addAll(take(worker, 3 - all.size()));
    }
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(all), 3));
    JobStatus finished = awaitEnd(job);
    assertThat(finished.state()).isEqualTo(JobStatus.FINISHED);
    assertThat(finished.progress().done()).isEqualTo(3);
  }

  @Test
  void aFailedJournalWriteIsAnsweredWithAnErrorAndTheJobResumesFromTheJournal() {
    ActorRef<DurableJobCoordinator.Command> job = spawn(1000);
    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    job.tell(new DurableJobCoordinator.Submit("echo", OPTIONS, "test", ack.getRef()));
    assertThat(ack.receiveMessage().isSuccess()).isTrue();

    journal.failNextPersisted(DurableJobCoordinator.persistenceId(jobId).id());
    List<byte[]> inputs = IntStream.range(0, 4).mapToObj(DurableJobCoordinatorTest::input).toList();
    job.tell(new DurableJobCoordinator.AddInputs(0, inputs, true, ack.getRef()));
    assertThat(ack.receiveMessage(Duration.ofSeconds(5)).getError().getMessage())
        .startsWith("job " + jobId + ": journal write failed")
        .contains("the job is paused and resumes by itself", "asking again is safe");
    job.tell(new DurableJobCoordinator.AddInputs(0, inputs, true, ack.getRef()));
    assertThat(ack.receiveMessage(Duration.ofSeconds(5)).isSuccess()).isTrue();

    // A result's write fails too: the coordinator restarts, hands the tasks out again, and each
    // result is committed once.
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 4));
    List<WorkerMessage.TaskAssignment> tasks = take(worker, 4);
    journal.failNextPersisted(DurableJobCoordinator.persistenceId(jobId).id());
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(tasks.subList(0, 2)), 4));
    TestProbe<WorkerMessage> next = testKit.createTestProbe();
    next.awaitAssert(Duration.ofSeconds(5), () -> {
      fromWorkers(job).tell(new CoordinatorMessage.RequestWork(next.getRef(), 4));
      assertThat(next.receiveMessage(Duration.ofMillis(200))).isInstanceOf(WorkerMessage.WorkBatch.class);
      return null;
    });
    fromWorkers(job).tell(new CoordinatorMessage.Outcomes(next.getRef(), succeed(tasks), 8));
    JobStatus end = awaitEnd(job);
    assertThat(end.state()).isEqualTo(JobStatus.FINISHED);
    assertThat(end.progress().done()).isEqualTo(4);
    assertThat(completedIds(events())).containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(events()).filteredOn(e -> e instanceof JobEvent.TasksAdded).hasSize(1);
  }
}
