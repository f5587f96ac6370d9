package dev.tessera.work.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.FishingOutcomes;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/**
 * What every job coordinator must do for the task workers, whatever keeps its job's facts: the
 * work-pulling protocol's leases, retries, duplicates, cancelling and worker loss. The in-memory
 * coordinator ({@code JobCoordinatorContractTest}) and the durable one (in the persistence module)
 * both pass it, with test probes as workers.
 *
 * <p>A subclass starts its coordinator for a job of {@code n} tasks whose input {@code i} is {@code
 * in-i}; the contract plays the workers.
 */
public abstract class CoordinatorContract {

  /** One job's coordinator, as the contract drives it. */
  public interface Job {
    /** The coordinator, addressed as workers address it. */
    ActorRef<CoordinatorMessage> forWorkers();

    /** Its progress now. */
    JobProgress progress();

    /** Cancels it, and returns once the cancel is acknowledged. */
    void cancel();

    /** Waits for the job to end, and says how. */
    Ended awaitEnd(Duration within);
  }

  /**
   * How a job ended.
   *
   * @param results one entry per task, null where it has no result
   */
  public record Ended(
      List<byte[]> results, Map<Integer, JobReport.TaskFailure> failures, JobProgress progress, boolean cancelled) {}

  protected abstract ActorTestKit testKit();

  /** Starts a coordinator for a job of {@code tasks} tasks of type {@code echo}; inputs are {@link #input}. */
  protected abstract Job start(int tasks, JobOptions options);

  protected static byte[] input(int task) {
    return ("in-" + task).getBytes(StandardCharsets.UTF_8);
  }

  protected static List<byte[]> inputs(int tasks) {
    return IntStream.range(0, tasks).mapToObj(CoordinatorContract::input).toList();
  }

  private static byte[] output(int task) {
    return ("out-" + task).getBytes(StandardCharsets.UTF_8);
  }

  private static final JobOptions OPTIONS = JobOptions.defaults()
      .withBatchSize(3)
      .withMaxAttempts(2)
      .withWorkerSilenceTimeout(Duration.ofSeconds(30))
      .withTaskTimeout(Duration.ofSeconds(30));

  private TestProbe<WorkerMessage> worker() {
    return testKit().createTestProbe();
  }

  /** The tasks in the worker's next batches, skipping anything else it is told. */
  private static List<WorkerMessage.TaskAssignment> take(TestProbe<WorkerMessage> worker, int count) {
    List<WorkerMessage.TaskAssignment> tasks = new ArrayList<>();
    while (tasks.size() < count) {
      WorkerMessage message = worker.fishForMessage(Duration.ofSeconds(5), m -> m instanceof WorkerMessage.WorkBatch
          ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore()).get(0);
      tasks.addAll(((WorkerMessage.WorkBatch) message).tasks());
    }
    return tasks;
  }

  /** The worker's next message within {@code wait}, or null if none came. */
  private static WorkerMessage poll(TestProbe<WorkerMessage> worker, Duration wait) {
    try {
      return worker.receiveMessage(wait);
    } catch (AssertionError nothingCame) {
      return null;
    }
  }

  private static List<TaskOutcome> succeed(List<WorkerMessage.TaskAssignment> tasks) {
    return tasks.stream()
        .<TaskOutcome>map(t -> new TaskOutcome.Succeeded(t.taskId(), t.attempt(), output(t.taskId())))
        .toList();
  }

  private static void assertEveryResultOnce(Ended end, int tasks) {
    assertThat(end.results()).hasSize(tasks);
    for (int i = 0; i < tasks; i++) {
      assertThat(new String(end.results().get(i), StandardCharsets.UTF_8)).isEqualTo("out-" + i);
    }
    assertThat(end.progress().done()).isEqualTo(tasks);
  }

  @Test
  void leasesNoMoreTasksThanTheWorkerAskedForInBatchesOfTheBatchSize() {
    Job job = start(10, OPTIONS);
    TestProbe<WorkerMessage> worker = worker();
    job.forWorkers().tell(new CoordinatorMessage.RequestWork(worker.getRef(), 5));

    assertThat(worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks()).hasSize(3);
    assertThat(worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks()).hasSize(2);
    worker.expectNoMessage(Duration.ofMillis(300));
    assertThat(job.progress().running()).isEqualTo(5);
  }

  @Test
  void aFailedAttemptIsRetriedUntilMaxAttemptsThenRecordedWithItsCause() {
    Job job = start(2, OPTIONS);
    TestProbe<WorkerMessage> worker = worker();
    job.forWorkers().tell(new CoordinatorMessage.RequestWork(worker.getRef(), 2));
    List<WorkerMessage.TaskAssignment> first = take(worker, 2);

    job.forWorkers().tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(
        new TaskOutcome.Failed(0, first.get(0).attempt(), "boom-1", true),
        new TaskOutcome.Succeeded(1, first.get(1).attempt(), output(1))), 4));
    WorkerMessage.TaskAssignment retry = take(worker, 1).get(0);
    assertThat(retry.taskId()).isEqualTo(0);
    assertThat(retry.attempt()).isEqualTo(2);
    job.forWorkers().tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(
        new TaskOutcome.Failed(0, retry.attempt(), "boom-2", true)), 5));

    Ended end = job.awaitEnd(Duration.ofSeconds(10));
    assertThat(end.cancelled()).isFalse();
    assertThat(new String(end.results().get(1), StandardCharsets.UTF_8)).isEqualTo("out-1");
    assertThat(end.results().get(0)).isNull();
    assertThat(end.failures()).containsOnlyKeys(0);
    assertThat(end.failures().get(0).attempts()).isEqualTo(2);
    assertThat(end.failures().get(0).lastCause()).contains("boom-2");
    assertThat(end.progress().failed()).isEqualTo(1);
    assertThat(end.progress().retried()).isEqualTo(1);
  }

  @Test
  void aDuplicateResultIsDroppedAndCountedNotAppliedTwice() {
    Job job = start(2, OPTIONS);
    TestProbe<WorkerMessage> slow = worker();
    TestProbe<WorkerMessage> other = worker();
    job.forWorkers().tell(new CoordinatorMessage.RequestWork(slow.getRef(), 2));
    List<WorkerMessage.TaskAssignment> tasks = take(slow, 2);
    List<TaskOutcome> once = succeed(tasks.subList(0, 1));
    List<TaskOutcome> twice = new ArrayList<>(once);
    twice.addAll(once);

    job.forWorkers().tell(new CoordinatorMessage.Outcomes(slow.getRef(), twice, 2));
    job.forWorkers().tell(new CoordinatorMessage.Outcomes(other.getRef(), once, 0));
    job.forWorkers().tell(new CoordinatorMessage.Outcomes(slow.getRef(), succeed(tasks.subList(1, 2)), 2));

    Ended end = job.awaitEnd(Duration.ofSeconds(10));
    assertEveryResultOnce(end, 2);
    assertThat(end.progress().duplicatesDropped()).isEqualTo(2);
  }

  @Test
  void cancellingEndsTheJobAsCancelledAndClosesItOnItsWorkers() {
    Job job = start(6, OPTIONS);
    TestProbe<WorkerMessage> worker = worker();
    job.forWorkers().tell(new CoordinatorMessage.RequestWork(worker.getRef(), 3));
    take(worker, 3);

    job.cancel();

    worker.fishForMessage(Duration.ofSeconds(5), m -> m instanceof WorkerMessage.JobClosed
        ? FishingOutcomes.complete() : FishingOutcomes.continueAndIgnore());
    Ended end = job.awaitEnd(Duration.ofSeconds(10));
    assertThat(end.cancelled()).isTrue();
    assertThat(end.progress().done()).isZero();
  }

  /**
   * Plays a live worker until {@code tasks} tasks have reached it and it has answered each: a task
   * that was on a dead worker is handed out alone, so the next comes once this one is answered.
   * Heartbeats keep it alive in between. Returns the task ids it ran.
   */
  private static List<Integer> runOneAtATime(Job job, TestProbe<WorkerMessage> worker, int tasks) {
    List<Integer> ran = new ArrayList<>();
    long requested = tasks;
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (ran.size() < tasks && System.nanoTime() < deadline) {
      job.forWorkers().tell(new CoordinatorMessage.Heartbeat(worker.getRef(), requested));
      WorkerMessage message = poll(worker, Duration.ofMillis(100));
      if (message instanceof WorkerMessage.WorkBatch batch) {
        batch.tasks().forEach(t -> ran.add(t.taskId()));
        requested += batch.tasks().size();
        job.forWorkers().tell(new CoordinatorMessage.Outcomes(worker.getRef(), succeed(batch.tasks()), requested));
      }
    }
    return ran;
  }

  @Test
  void aSilentWorkersTasksGoToAnotherWorkerAndEveryResultArrivesOnce() {
    Job job = start(4, OPTIONS.withWorkerSilenceTimeout(Duration.ofMillis(400)));
    TestProbe<WorkerMessage> silent = worker();
    TestProbe<WorkerMessage> survivor = worker();
    job.forWorkers().tell(new CoordinatorMessage.RequestWork(silent.getRef(), 4));
    take(silent, 4);
    job.forWorkers().tell(new CoordinatorMessage.Heartbeat(silent.getRef(), 4, List.of(0, 1, 2, 3)));

    assertThat(runOneAtATime(job, survivor, 4)).containsExactlyInAnyOrder(0, 1, 2, 3);

    Ended end = job.awaitEnd(Duration.ofSeconds(10));
    assertEveryResultOnce(end, 4);
    assertThat(end.progress().workerDeaths()).as("the four tasks it said it ran").isEqualTo(4);
    assertThat(end.progress().retried()).as("a death is not a task failure").isZero();
  }

  @Test
  void aWorkerWhoseActorStopsHasItsTasksTakenBackAtOnce() {
    // A silence timeout far beyond the test: only the coordinator's watch can move the tasks.
    Job job = start(3, OPTIONS);
    TestProbe<WorkerMessage> doomed = worker();
    TestProbe<WorkerMessage> survivor = worker();
    job.forWorkers().tell(new CoordinatorMessage.RequestWork(doomed.getRef(), 3));
    take(doomed, 3);
    job.forWorkers().tell(new CoordinatorMessage.Heartbeat(doomed.getRef(), 3, List.of(0, 1, 2)));

    doomed.stop();

    assertThat(runOneAtATime(job, survivor, 3)).containsExactlyInAnyOrder(0, 1, 2);
    Ended end = job.awaitEnd(Duration.ofSeconds(10));
    assertEveryResultOnce(end, 3);
    assertThat(end.progress().workerDeaths()).as("the three tasks it said it ran").isEqualTo(3);
    assertThat(end.progress().retried()).isZero();
  }
}
