package dev.tessera.runtime.job;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.tessera.runtime.serialization.CborSerializable;
import java.time.Duration;
import java.util.Objects;

/**
 * Per-job options.
 *
 * <pre>{@code
 * JobOptions options = JobOptions.defaults().withMaxAttempts(5).withTaskTimeout(Duration.ofMinutes(2));
 * }</pre>
 *
 * @param maxAttempts how often a task is tried before it is recorded as failed (default 3)
 * @param taskTimeout a task still running after this long is abandoned and counts as a failed attempt
 * @param requiredRole only nodes with this role run the job's tasks (default {@code worker})
 * @param batchSize at most this many tasks travel in one message to a worker (default 100)
 * @param workerSilenceTimeout a worker holding tasks that has not been heard from for this long is
 *     presumed dead or frozen, and its tasks are handed to others (default 1.5 s); a late result
 *     from it is dropped if the task was already completed elsewhere
 * @param progressLogInterval a running job logs its progress this often (default 10 s), so long
 *     work shows it is moving, or that it is stuck
 * @param noCapableNodeTimeout when, for this long without a break, no cluster member (Up or
 *     WeaklyUp) has {@code requiredRole} and no worker that can run the job is active, the job's
 *     unfinished tasks fail, naming the missing role, instead of waiting forever (default 30 s). A
 *     member with the role joining, or a worker asking for work, restarts the wait. Not checked on
 *     an actor system that is not a cluster node.
 * @param maxWorkerDeaths a task that was on this many workers when they died (crashed, were killed,
 *     went silent) fails as poison and is never tried again (default 2). Worker deaths never count
 *     against {@code maxAttempts}: a task that was merely on a dying node is retried, alone on a
 *     worker that runs nothing else of the job, so a second death names its culprit.
 * @param localityWait how long a task whose input data lives on one node (its job names that node)
 *     waits for a worker on that node, while a worker elsewhere could take it, before any worker may
 *     (default 500 ms; {@link Duration#ZERO} turns the preference off). A task whose node has no
 *     active worker of the job does not wait. See {@link #DEFAULT_LOCALITY_WAIT} for why 500 ms.
 */
public record JobOptions(
    int maxAttempts,
    Duration taskTimeout,
    String requiredRole,
    int batchSize,
    Duration workerSilenceTimeout,
    Duration progressLogInterval,
    Duration noCapableNodeTimeout,
    int maxWorkerDeaths,
    Duration localityWait)
    implements CborSerializable {

  /** The default of {@link #maxWorkerDeaths()}. */
  public static final int DEFAULT_MAX_WORKER_DEATHS = 2;

  /**
   * The default of {@link #localityWait()}: 500 ms. Dask has no such wait: it places a task at once
   * on the worker where its inputs cost least to fetch (at an assumed 100 MB/s) and moves queued
   * tasks later by work stealing, every 100 ms. Here tasks are pulled, so a node that holds the data
   * but has no credit left can only be waited for, as in Spark's delay scheduling ({@code
   * spark.locality.wait}, 3 s, for HDFS blocks). 500 ms is about what fetching 50 MB at that
   * bandwidth costs, the order of the large objects that carry a preference, and stays short
   * beside the default {@link #taskTimeout()}. A task whose wait has run out is handed out at the
   * next message from a worker or, at the latest, the coordinator's next tick (an eighth of {@link
   * #workerSilenceTimeout()}, about 190 ms by default): a wait much shorter than the tick buys
   * little.
   */
  public static final Duration DEFAULT_LOCALITY_WAIT = Duration.ofMillis(500);

  /** The default of {@link #noCapableNodeTimeout()}. */
  public static final Duration DEFAULT_NO_CAPABLE_NODE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * @param noCapableNodeTimeout null means {@link #DEFAULT_NO_CAPABLE_NODE_TIMEOUT}: options
   *     serialized before this field existed (inside journal events such as {@code JobAccepted},
   *     snapshots, or messages from a node not yet upgraded) lack it, and Jackson passes null
   * @param maxWorkerDeaths 0 means {@link #DEFAULT_MAX_WORKER_DEATHS}, for the same reason (Jackson
   *     passes 0 for a missing number); {@link #withMaxWorkerDeaths} refuses 0
   * @param localityWait null means {@link #DEFAULT_LOCALITY_WAIT}, for the same reason as {@code
   *     noCapableNodeTimeout}
   */
  public JobOptions {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
    }
    Objects.requireNonNull(taskTimeout, "taskTimeout");
    if (taskTimeout.isZero() || taskTimeout.isNegative()) {
      throw new IllegalArgumentException("taskTimeout must be positive, got " + taskTimeout);
    }
    Objects.requireNonNull(requiredRole, "requiredRole");
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, got " + batchSize);
    }
    Objects.requireNonNull(workerSilenceTimeout, "workerSilenceTimeout");
    if (workerSilenceTimeout.isZero() || workerSilenceTimeout.isNegative()) {
      throw new IllegalArgumentException("workerSilenceTimeout must be positive, got " + workerSilenceTimeout);
    }
    Objects.requireNonNull(progressLogInterval, "progressLogInterval");
    if (progressLogInterval.isZero() || progressLogInterval.isNegative()) {
      throw new IllegalArgumentException("progressLogInterval must be positive, got " + progressLogInterval);
    }
    if (noCapableNodeTimeout == null) {
      noCapableNodeTimeout = DEFAULT_NO_CAPABLE_NODE_TIMEOUT;
    }
    if (noCapableNodeTimeout.isZero() || noCapableNodeTimeout.isNegative()) {
      throw new IllegalArgumentException("noCapableNodeTimeout must be positive, got " + noCapableNodeTimeout);
    }
    if (maxWorkerDeaths == 0) {
      maxWorkerDeaths = DEFAULT_MAX_WORKER_DEATHS;
    }
    if (maxWorkerDeaths < 1) {
      throw new IllegalArgumentException("maxWorkerDeaths must be at least 1, got " + maxWorkerDeaths);
    }
    if (localityWait == null) {
      localityWait = DEFAULT_LOCALITY_WAIT;
    }
    if (localityWait.isNegative()) {
      throw new IllegalArgumentException("localityWait must not be negative, got " + localityWait);
    }
  }

  /** Options with the default {@link #localityWait()}. */
  public JobOptions(
      int maxAttempts,
      Duration taskTimeout,
      String requiredRole,
      int batchSize,
      Duration workerSilenceTimeout,
      Duration progressLogInterval,
      Duration noCapableNodeTimeout,
      int maxWorkerDeaths) {
    this(maxAttempts, taskTimeout, requiredRole, batchSize, workerSilenceTimeout, progressLogInterval,
        noCapableNodeTimeout, maxWorkerDeaths, DEFAULT_LOCALITY_WAIT);
  }

  /** Options with the default {@link #maxWorkerDeaths()} and {@link #localityWait()}. */
  public JobOptions(
      int maxAttempts,
      Duration taskTimeout,
      String requiredRole,
      int batchSize,
      Duration workerSilenceTimeout,
      Duration progressLogInterval,
      Duration noCapableNodeTimeout) {
    this(maxAttempts, taskTimeout, requiredRole, batchSize, workerSilenceTimeout, progressLogInterval,
        noCapableNodeTimeout, DEFAULT_MAX_WORKER_DEATHS, DEFAULT_LOCALITY_WAIT);
  }

  /**
   * 3 attempts, 60 s per task, role {@code worker}, batches of 100, workers presumed dead after
   * 1.5 s of silence, progress logged every 10 s, tasks failed after 30 s without a node with the
   * role, a task failed as poison once 2 workers died while it was on them, a task waiting up to
   * 500 ms for a worker on the node that holds its data.
   */
  public static JobOptions defaults() {
    return new JobOptions(
        3, Duration.ofSeconds(60), "worker", 100, Duration.ofMillis(1500), Duration.ofSeconds(10),
        DEFAULT_NO_CAPABLE_NODE_TIMEOUT, DEFAULT_MAX_WORKER_DEATHS, DEFAULT_LOCALITY_WAIT);
  }

  public JobOptions withMaxAttempts(int value) {
    return new JobOptions(value, taskTimeout, requiredRole, batchSize, workerSilenceTimeout, progressLogInterval,
        noCapableNodeTimeout, maxWorkerDeaths, localityWait);
  }

  public JobOptions withTaskTimeout(Duration value) {
    return new JobOptions(maxAttempts, value, requiredRole, batchSize, workerSilenceTimeout, progressLogInterval,
        noCapableNodeTimeout, maxWorkerDeaths, localityWait);
  }

  public JobOptions withRequiredRole(String value) {
    return new JobOptions(maxAttempts, taskTimeout, value, batchSize, workerSilenceTimeout, progressLogInterval,
        noCapableNodeTimeout, maxWorkerDeaths, localityWait);
  }

  public JobOptions withBatchSize(int value) {
    return new JobOptions(maxAttempts, taskTimeout, requiredRole, value, workerSilenceTimeout, progressLogInterval,
        noCapableNodeTimeout, maxWorkerDeaths, localityWait);
  }

  public JobOptions withWorkerSilenceTimeout(Duration value) {
    return new JobOptions(maxAttempts, taskTimeout, requiredRole, batchSize, value, progressLogInterval,
        noCapableNodeTimeout, maxWorkerDeaths, localityWait);
  }

  public JobOptions withProgressLogInterval(Duration value) {
    return new JobOptions(maxAttempts, taskTimeout, requiredRole, batchSize, workerSilenceTimeout, value,
        noCapableNodeTimeout, maxWorkerDeaths, localityWait);
  }

  public JobOptions withNoCapableNodeTimeout(Duration value) {
    Objects.requireNonNull(value, "noCapableNodeTimeout");
    return new JobOptions(maxAttempts, taskTimeout, requiredRole, batchSize, workerSilenceTimeout, progressLogInterval,
        value, maxWorkerDeaths, localityWait);
  }

  public JobOptions withMaxWorkerDeaths(int value) {
    if (value < 1) {
      throw new IllegalArgumentException("maxWorkerDeaths must be at least 1, got " + value);
    }
    return new JobOptions(maxAttempts, taskTimeout, requiredRole, batchSize, workerSilenceTimeout, progressLogInterval,
        noCapableNodeTimeout, value, localityWait);
  }

  /** {@link Duration#ZERO} turns the locality preference off: each task goes to the first worker with credit. */
  public JobOptions withLocalityWait(Duration value) {
    Objects.requireNonNull(value, "localityWait");
    return new JobOptions(maxAttempts, taskTimeout, requiredRole, batchSize, workerSilenceTimeout, progressLogInterval,
        noCapableNodeTimeout, maxWorkerDeaths, value);
  }

  /** How long a handed-out task may go unanswered before the coordinator takes it back regardless. */
  @JsonIgnore
  public Duration leaseDuration() {
    return taskTimeout.plus(workerSilenceTimeout);
  }
}
