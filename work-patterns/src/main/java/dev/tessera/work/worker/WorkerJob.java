package dev.tessera.work.worker;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a {@link TaskWorker} knows of one job it works on: its coordinator, the handler of its task
 * type, the credits the worker has granted it, and the outcomes waiting to be sent.
 *
 * <p>Threading: the worker's actor changes it; the runner's threads read only {@link #closed()} and
 * what never changes.
 */
final class WorkerJob implements TaskRunner.Job {

  /** Work a worker keeps queued per thread: see {@link #window}. */
  static final Duration QUEUED_WORK_TARGET = Duration.ofMillis(5);

  final String jobId;
  final ActorRef<CoordinatorMessage> coordinator;
  final JobOptions options;
  /** The handler of the job's task type, looked up once when the worker joins the job. */
  private final TaskRegistry.Registration<?, ?> registration;
  /** Set when the job is closed: task threads skip its queued tasks. */
  volatile boolean closed;
  /** Tasks of this job this worker has asked for in total (its cumulative credits). */
  long requestedUpTo;
  /** Tasks of this job this worker has finished (however they ended). */
  private long finished;
  /** Moving average of how long one task runs here; 0 until the first one ends. */
  private double taskNanos;
  private final List<TaskOutcome> outbox = new ArrayList<>();

  WorkerJob(
      String jobId,
      ActorRef<CoordinatorMessage> coordinator,
      JobOptions options,
      TaskRegistry.Registration<?, ?> registration) {
    this.jobId = jobId;
    this.coordinator = coordinator;
    this.options = options;
    this.registration = registration;
  }

  @Override
  public String jobId() {
    return jobId;
  }

  @Override
  public TaskRegistry.Registration<?, ?> registration() {
    return registration;
  }

  /** The job's task type's name. */
  String taskType() {
    return registration.type().name();
  }

  @Override
  public Duration taskTimeout() {
    return options.taskTimeout();
  }

  @Override
  public boolean closed() {
    return closed;
  }

  /**
   * Files an outcome for the job's next message; with {@code widen}, grants the job credits up to
   * its window beyond what has finished (a draining worker asks for nothing more).
   */
  void record(TaskOutcome outcome, long runNanos, boolean widen, int capacity) {
    if (closed) {
      return;
    }
    outbox.add(outcome);
    finished++;
    taskNanos = taskNanos == 0 ? runNanos : 0.8 * taskNanos + 0.2 * runNanos;
    if (widen) {
      requestedUpTo = Math.max(requestedUpTo, finished + window(capacity));
    }
  }

  /**
   * Sends the filed outcomes, with the job's credits and the tasks {@code running} now, in messages
   * of at most {@link WorkerMessage#MAX_BATCH_BYTES} of results (Artery refuses frames above 256 KiB
   * by default).
   */
  void sendOutcomes(ActorRef<WorkerMessage> worker, List<Integer> running) {
    if (outbox.isEmpty()) {
      return;
    }
    List<TaskOutcome> chunk = new ArrayList<>();
    long bytes = 0;
    for (TaskOutcome outcome : outbox) {
      long size = outcome instanceof TaskOutcome.Succeeded s ? s.output().length : 1024;
      if (!chunk.isEmpty() && bytes + size > WorkerMessage.MAX_BATCH_BYTES) {
        coordinator.tell(new CoordinatorMessage.Outcomes(worker, chunk, requestedUpTo, running));
        chunk = new ArrayList<>();
        bytes = 0;
      }
      chunk.add(outcome);
      bytes += size;
    }
    coordinator.tell(new CoordinatorMessage.Outcomes(worker, chunk, requestedUpTo, running));
    outbox.clear();
  }

  /**
   * How many tasks of the job a worker of {@code capacity} threads asks to hold (running, queued or
   * on their way): enough to keep every thread busy for about {@link #QUEUED_WORK_TARGET} beyond the
   * task it runs, so short tasks travel in full batches while long ones are not hoarded by one
   * worker at the end of a job. At least two per thread; at most two batches.
   */
  int window(int capacity) {
    int least = 2 * capacity;
    int most = Math.max(least, 2 * options.batchSize());
    if (taskNanos <= 0) {
      return least;
    }
    double perThread = QUEUED_WORK_TARGET.toNanos() / taskNanos;
    double wanted = capacity + Math.ceil(capacity * perThread);
    return (int) Math.max(least, Math.min(most, wanted));
  }
}
