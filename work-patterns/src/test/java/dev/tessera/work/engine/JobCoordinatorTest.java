package dev.tessera.work.engine;

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
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The coordinator's side of work pulling, with test probes standing in for workers. */
class JobCoordinatorTest {

  /** The coordinator, addressed as workers address it. */
  private static ActorRef<CoordinatorMessage> fromWorkers(ActorRef<?> coordinator) {
    return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
  }

  // serialize-messages: every message of the protocol must survive CBOR, as it would between nodes.
  private static final ActorTestKit testKit = ActorTestKit.create(
      ConfigFactory.parseString("pekko.actor.serialize-messages = on").withFallback(ConfigFactory.load()));

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  private static final JobOptions FAST = JobOptions.defaults()
      .withBatchSize(3)
      .withWorkerSilenceTimeout(Duration.ofMillis(400))
      .withTaskTimeout(Duration.ofSeconds(30));

  private static List<byte[]> inputs(int n) {
    return IntStream.range(0, n).mapToObj(i -> ("in-" + i).getBytes(StandardCharsets.UTF_8)).toList();
  }

  private static byte[] outputFor(int task) {
    return ("out-" + task).getBytes(StandardCharsets.UTF_8);
  }

  private record Job(ActorRef<JobCoordinator.Command> coordinator, TestProbe<JobReport> report) {}

  private static Job start(int tasks, JobOptions options) {
    TestProbe<JobReport> report = testKit.createTestProbe();
    ActorRef<JobCoordinator.Command> coordinator = testKit.spawn(
        JobCoordinator.create("job-" + UUID.randomUUID(), "echo", inputs(tasks), options, report.getRef()));
    return new Job(coordinator, report);
  }

  private static List<WorkerMessage.TaskAssignment> receiveTasks(TestProbe<WorkerMessage> worker, int count) {
    List<WorkerMessage.TaskAssignment> tasks = new ArrayList<>();
    while (tasks.size() < count) {
      tasks.addAll(worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks());
    }
    return tasks;
  }

  private static List<TaskOutcome> succeed(List<WorkerMessage.TaskAssignment> tasks) {
    return tasks.stream()
        .<TaskOutcome>map(t -> new TaskOutcome.Succeeded(t.taskId(), t.attempt(), outputFor(t.taskId())))
        .toList();
  }

  private static void assertAllResults(JobReport report, int tasks) {
    assertThat(report.results()).hasSize(tasks);
    for (int i = 0; i < tasks; i++) {
      assertThat(new String(report.results().get(i), StandardCharsets.UTF_8)).isEqualTo("out-" + i);
    }
  }

  @Test
  void handsOutNoMoreThanTheCreditsInBatchesOfBatchSize() {
    Job job = start(10, FAST);
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();

    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 5));

    assertThat(worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks()).hasSize(3);
    assertThat(worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks()).hasSize(2);
    worker.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void outcomesCarryTheNextRequestAndTheReportHasEveryResultInOrder() {
    Job job = start(7, FAST);
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 4));

    List<WorkerMessage.TaskAssignment> first = receiveTasks(worker, 4);
    // Four done, so the worker's total request grows from 4 to 8: the last three tasks follow.
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(first), 8));
    List<WorkerMessage.TaskAssignment> rest = receiveTasks(worker, 3);
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(rest), 11));

    JobReport report = job.report().expectMessageClass(JobReport.class);
    assertAllResults(report, 7);
    assertThat(report.failures()).isEmpty();
    assertThat(report.cancelled()).isFalse();
    assertThat(report.progress()).isEqualTo(new JobProgress(7, 7, 0, 0, 0, 0));
    worker.expectMessage(new WorkerMessage.JobClosed(report.jobId()));
  }

  @Test
  void aFailingTaskIsRetriedThenRecordedWithItsCauseWithoutStoppingTheJob() {
    Job job = start(2, FAST.withMaxAttempts(2));
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 2));
    List<WorkerMessage.TaskAssignment> tasks = receiveTasks(worker, 2);

    String cause = "java.lang.IllegalStateException: boom\n\tat Handler.run(Handler.java:1)";
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(
        new TaskOutcome.Failed(0, 1, cause, true),
        new TaskOutcome.Succeeded(1, 1, outputFor(1))), 3));
    WorkerMessage.TaskAssignment retry = receiveTasks(worker, 1).get(0);
    assertThat(retry.taskId()).isZero();
    assertThat(retry.attempt()).isEqualTo(2);
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(new TaskOutcome.Failed(0, 2, cause, true)), 4));

    JobReport report = job.report().expectMessageClass(JobReport.class);
    assertThat(report.failures()).containsOnlyKeys(0);
    assertThat(report.failures().get(0).attempts()).isEqualTo(2);
    assertThat(report.failures().get(0).lastCause()).isEqualTo(cause);
    assertThat(report.results().get(0)).isNull();
    assertThat(new String(report.results().get(1), StandardCharsets.UTF_8)).isEqualTo("out-1");
    assertThat(report.progress()).isEqualTo(new JobProgress(2, 1, 0, 1, 1, 0));
  }

  @Test
  void aFailureThatRetryingCannotFixIsRecordedAtOnce() {
    Job job = start(1, FAST.withMaxAttempts(5));
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 1));
    receiveTasks(worker, 1);

    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(worker.getRef(),
        List.of(new TaskOutcome.Failed(0, 1, "unknown task type 'echo'", false)), 2));

    JobReport report = job.report().expectMessageClass(JobReport.class);
    assertThat(report.failures().get(0)).isEqualTo(new JobReport.TaskFailure(1, "unknown task type 'echo'"));
  }

  @Test
  void aSilentWorkersTasksRunAloneElsewhereChargedNothingAndItsLateResultIsDroppedNotAppliedTwice() {
    Job job = start(3, FAST);
    TestProbe<WorkerMessage> frozen = testKit.createTestProbe();
    TestProbe<WorkerMessage> healthy = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(frozen.getRef(), 3));
    List<WorkerMessage.TaskAssignment> lost = receiveTasks(frozen, 3);

    // The healthy worker asks and keeps asking (heartbeats). The frozen worker's tasks were on a
    // worker that died: each comes alone, the next only once the one before has ended.
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(healthy.getRef(), 3));
    List<WorkerMessage.TaskAssignment> moved = new ArrayList<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (moved.size() < 3 && System.nanoTime() < deadline) {
      fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Heartbeat(healthy.getRef(), 3 + moved.size()));
      Optional<WorkerMessage.WorkBatch> batch = pollBatch(healthy);
      if (batch.isPresent()) {
        assertThat(batch.get().tasks()).as("a suspect runs alone").hasSize(1);
        moved.addAll(batch.get().tasks());
        fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(healthy.getRef(), succeed(batch.get().tasks()), 3 + moved.size()));
      }
    }
    assertThat(moved).extracting(WorkerMessage.TaskAssignment::taskId).containsExactlyInAnyOrder(0, 1, 2);
    assertThat(moved).allSatisfy(t -> assertThat(t.attempt()).isEqualTo(2));

    JobReport report = job.report().expectMessageClass(JobReport.class);
    assertAllResults(report, 3);
    assertThat(report.progress().retried()).as("no task failed").isZero();
    assertThat(report.progress().lostLeases()).as("never reported started").isEqualTo(3);

    // The frozen worker wakes up and reports: too late, the coordinator is gone; nothing changes.
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(frozen.getRef(), succeed(lost), 6));
  }

  /** A batch if one arrives within 100 ms; the probe's expect methods fail instead of returning empty. */
  private static Optional<WorkerMessage.WorkBatch> pollBatch(TestProbe<WorkerMessage> probe) {
    try {
      return Optional.of(probe.expectMessageClass(WorkerMessage.WorkBatch.class, Duration.ofMillis(100)));
    } catch (AssertionError noneYet) {
      return Optional.empty();
    }
  }

  @Test
  void aLateResultThatArrivesFirstWinsAndTheSecondIsCountedAsADuplicate() {
    Job job = start(2, FAST);
    TestProbe<WorkerMessage> slow = testKit.createTestProbe();
    TestProbe<WorkerMessage> other = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(slow.getRef(), 1));
    WorkerMessage.TaskAssignment task0 = receiveTasks(slow, 1).get(0);

    job.coordinator().tell(new JobCoordinator.WorkerGone(slow.getRef()));
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(other.getRef(), 2));
    WorkerMessage.TaskAssignment retry0 = receiveTasks(other, 1).get(0);
    assertThat(retry0.taskId()).isEqualTo(task0.taskId());
    assertThat(retry0.attempt()).isEqualTo(2);

    // The presumed-dead worker's result arrives first: it is a valid result and is kept.
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(slow.getRef(), succeed(List.of(task0)), 1));
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(other.getRef(), succeed(List.of(retry0)), 3));
    List<WorkerMessage.TaskAssignment> rest = receiveTasks(other, 1);
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(other.getRef(), succeed(rest), 4));

    JobReport report = job.report().expectMessageClass(JobReport.class);
    assertAllResults(report, 2);
    assertThat(report.progress()).isEqualTo(new JobProgress(2, 2, 0, 0, 0, 1, 1, 0));
  }

  @Test
  void aWorkerWronglyPresumedDeadGetsWorkAgainAsSoonAsItIsHeard() {
    Job job = start(4, FAST.withBatchSize(10));
    TestProbe<WorkerMessage> paused = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(paused.getRef(), 2));
    List<WorkerMessage.TaskAssignment> first = receiveTasks(paused, 2);

    // A long pause: silent past the timeout, so its two tasks go back to the queue.
    paused.expectNoMessage(Duration.ofMillis(800));

    // It wakes, reports both results and asks for two more: it gets the two tasks never started.
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(paused.getRef(), succeed(first), 4));
    List<WorkerMessage.TaskAssignment> next = receiveTasks(paused, 2);
    assertThat(next).extracting(WorkerMessage.TaskAssignment::taskId)
        .doesNotContainAnyElementsOf(first.stream().map(WorkerMessage.TaskAssignment::taskId).toList());
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(paused.getRef(), succeed(next), 6));

    JobReport report = job.report().expectMessageClass(JobReport.class);
    assertAllResults(report, 4);
    assertThat(report.progress().retried()).isZero();
    assertThat(report.progress().lostLeases()).isEqualTo(2);
  }

  @Test
  void heartbeatsKeepAWorkersLeases() {
    Job job = start(1, FAST.withWorkerSilenceTimeout(Duration.ofSeconds(1)));
    TestProbe<WorkerMessage> busy = testKit.createTestProbe();
    TestProbe<WorkerMessage> idle = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(busy.getRef(), 1));
    receiveTasks(busy, 1);
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(idle.getRef(), 1));

    for (int i = 0; i < 25; i++) { // 25 x 100 ms: well past the 1 s silence timeout
      fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Heartbeat(busy.getRef(), 1));
      fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Heartbeat(idle.getRef(), 1));
      idle.expectNoMessage(Duration.ofMillis(100));
    }
    TestProbe<JobProgress> progress = testKit.createTestProbe();
    job.coordinator().tell(new JobCoordinator.GetProgress(progress.getRef()));
    assertThat(progress.receiveMessage()).isEqualTo(new JobProgress(1, 0, 1, 0, 0, 0));
  }

  @Test
  void aTaskThatNeverAnswersIsTakenBackWhenItsLeaseRunsOut() {
    JobOptions options = FAST.withTaskTimeout(Duration.ofMillis(300)).withWorkerSilenceTimeout(Duration.ofMillis(200));
    Job job = start(1, options);
    TestProbe<WorkerMessage> hung = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(hung.getRef(), 2));
    receiveTasks(hung, 1);

    // The worker stays alive (heartbeats) but the task never answers: the lease (500 ms) runs out.
    WorkerMessage.WorkBatch again = null;
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (again == null && System.nanoTime() < deadline) {
      fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Heartbeat(hung.getRef(), 2));
      again = pollBatch(hung).orElse(null);
    }
    assertThat(again).as("the task was handed out again").isNotNull();
    assertThat(again.tasks()).singleElement().satisfies(t -> assertThat(t.attempt()).isEqualTo(2));
  }

  @Test
  void withAResultListenerResultsStreamOutOnceEachAndTheReportKeepsNone() {
    TestProbe<JobReport> reportProbe = testKit.createTestProbe();
    TestProbe<JobCoordinator.TaskEnded> results = testKit.createTestProbe();
    ActorRef<JobCoordinator.Command> coordinator = testKit.spawn(JobCoordinator.create(
        "job-" + UUID.randomUUID(), "echo", inputs(3), FAST, reportProbe.getRef(), Optional.of(results.getRef())));
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(coordinator).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 3));
    List<WorkerMessage.TaskAssignment> tasks = receiveTasks(worker, 3);

    fromWorkers(coordinator).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(tasks.subList(0, 2)), 3));
    fromWorkers(coordinator).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(tasks.subList(0, 1)), 3)); // a duplicate
    fromWorkers(coordinator).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(tasks.subList(2, 3)), 3));

    List<JobCoordinator.TaskEnded> streamed = results.receiveSeveralMessages(3);
    assertThat(streamed).allSatisfy(ended -> assertThat(ended).isInstanceOf(JobCoordinator.ResultReady.class));
    assertThat(streamed).extracting(JobCoordinator.TaskEnded::taskId).containsExactlyInAnyOrder(0, 1, 2);
    results.expectNoMessage(Duration.ofMillis(100));
    JobReport report = reportProbe.expectMessageClass(JobReport.class);
    assertThat(report.results()).isEmpty();
    assertThat(report.progress()).isEqualTo(new JobProgress(3, 3, 0, 0, 0, 1));
  }

  @Test
  void cancelStopsHandingOutAndReportsWhatWasDone() {
    Job job = start(5, FAST);
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 2));
    List<WorkerMessage.TaskAssignment> tasks = receiveTasks(worker, 2);
    fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(tasks.subList(0, 1)), 2));

    TestProbe<StatusReply<Done>> ack = testKit.createTestProbe();
    job.coordinator().tell(new JobCoordinator.Cancel(ack.getRef()));

    assertThat(ack.receiveMessage().isSuccess()).isTrue();
    JobReport report = job.report().expectMessageClass(JobReport.class);
    assertThat(report.cancelled()).isTrue();
    assertThat(report.progress().done()).isEqualTo(1);
    assertThat(report.results().stream().filter(r -> r != null).count()).isEqualTo(1);
    worker.expectMessage(new WorkerMessage.JobClosed(report.jobId()));
  }

  @Test
  void aRunningJobLogsItsProgressAtTheConfiguredInterval() {
    Job job = start(5, FAST.withProgressLogInterval(Duration.ofMillis(300)));
    TestProbe<WorkerMessage> worker = testKit.createTestProbe();

    LoggingTestKit.info("0 of 5 done, 2 running, 0 failed, 0 retried, 0 leases lost, 0 worker deaths, 1 workers")
        .withOccurrences(2)
        .withCheckExcess(false) // at least twice: how many more depends on the machine's timing
        .expect(testKit.system(), () -> {
          fromWorkers(job.coordinator()).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 2));
          receiveTasks(worker, 2);
          // Keep the worker alive (and its tasks leased) while the coordinator logs twice.
          for (int i = 0; i < 10; i++) {
            fromWorkers(job.coordinator()).tell(new CoordinatorMessage.Heartbeat(worker.getRef(), 2));
            worker.expectNoMessage(Duration.ofMillis(100));
          }
          return null;
        });
  }
}
