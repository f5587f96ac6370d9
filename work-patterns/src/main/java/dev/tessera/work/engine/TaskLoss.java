package dev.tessera.work.engine;

import java.util.List;
import java.util.Objects;

/**
 * An attempt that ended without a result, and what it counts against. A job's coordinator is told
 * of each one ({@link TaskDispatcher.JobTasks#attemptLost}), records the counts (the durable one in
 * its journal) and, when {@link #forGood()}, records the task as failed with {@link #cause()}.
 *
 * @param kind which of the three ways an attempt is lost this was
 * @param failures task failures so far, this one included: count against {@code maxAttempts}
 * @param workerDeaths workers that died while the task was on them, this one included: count
 *     against {@code maxWorkerDeaths}
 * @param killedNodes the nodes of those workers, oldest first (addresses)
 * @param cause what happened, for the job's failure record and its log
 * @param forGood true when the task gets no more attempts
 */
public record TaskLoss(
    Kind kind, int failures, int workerDeaths, List<String> killedNodes, String cause, boolean forGood) {

  /** Why an attempt ended without a result. */
  public enum Kind {
    /** The handler threw, timed out, or returned something unusable: counts against {@code maxAttempts}. */
    TASK_FAILED,
    /**
     * The task never started: its worker handed it back because its node was leaving, or the
     * worker left or was lost before it started. Counts nothing against {@code maxAttempts}.
     */
    LEASE_LOST,
    /**
     * Its worker died (crashed, was killed, or went silent) while its last report said the task ran,
     * or while it ran alone there. Counts against {@code maxWorkerDeaths}.
     */
    WORKER_DIED
  }

  public TaskLoss {
    Objects.requireNonNull(kind, "kind");
    killedNodes = List.copyOf(killedNodes);
    Objects.requireNonNull(cause, "cause");
  }

  /** Attempts charged to the task in all: its failures and the worker deaths it was present at. */
  public int attempts() {
    return failures + workerDeaths;
  }
}
