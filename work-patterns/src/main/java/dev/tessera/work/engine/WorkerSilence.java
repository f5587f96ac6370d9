package dev.tessera.work.engine;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.logging.Durations;
import dev.tessera.work.protocol.WorkerMessage;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

/**
 * When a job that nobody runs should give up: every worker told of it declined it (no handler for
 * its task type), or no cluster member has its required role. Part of {@link TaskDispatcher}, which
 * passes the number of workers active now.
 *
 * <p>Threading: not thread-safe; used by the one actor that coordinates the job.
 */
final class WorkerSilence {

  private final String jobId;
  private final JobOptions options;
  private final Logger log;
  private String declineReason;
  private long firstDeclineNanos;
  /** Since when no capable node has been seen (see {@link #noCapableNode}); meaningful while waiting. */
  private long noCapableNodeSinceNanos;
  private boolean waitingForCapableNode;

  WorkerSilence(String jobId, JobOptions options, Logger log) {
    this.jobId = Objects.requireNonNull(jobId, "jobId");
    this.options = Objects.requireNonNull(options, "options");
    this.log = Objects.requireNonNull(log, "log");
  }

  void declined(ActorRef<WorkerMessage> worker, String reason) {
    if (declineReason == null) {
      declineReason = reason;
      firstDeclineNanos = System.nanoTime();
      log.info("job {}: {} declined: {}", jobId, worker.path(), reason);
    }
  }

  /** Some worker declined, and no worker able to run the job has been active within two silence timeouts since. */
  boolean nobodyCanRun(long now, long activeWorkers) {
    return declineReason != null
        && now - firstDeclineNanos > 2 * options.workerSilenceTimeout().toNanos()
        && activeWorkers == 0;
  }

  String declineReason() {
    return declineReason;
  }

  /**
   * True once, for longer than {@link JobOptions#noCapableNodeTimeout()} without a break, no worker
   * has been active here (none asked for work, or all went silent) and no cluster member had the
   * job's required role: nobody will ever ask for its tasks unless such a node joins. The wait
   * restarts whenever a worker is active or {@code roleInCluster} is true. Logs a warning when the
   * wait starts, once per wait.
   *
   * @param now {@link System#nanoTime()}
   * @param roleInCluster some member in state Up or WeaklyUp has the job's required role (pass true
   *     where roles do not apply, on an actor system that is not a cluster node)
   */
  boolean noCapableNode(long now, boolean roleInCluster, long activeWorkers) {
    if (roleInCluster || activeWorkers > 0) {
      if (waitingForCapableNode) {
        waitingForCapableNode = false;
        log.info("job {}: {} with role '{}' is available; no longer waiting", jobId,
            roleInCluster ? "a node" : "a worker", options.requiredRole());
      }
      return false;
    }
    if (!waitingForCapableNode) {
      waitingForCapableNode = true;
      noCapableNodeSinceNanos = now;
      log.warn("job {}: no node in the cluster has role '{}'; its tasks fail in {} unless one joins",
          jobId, options.requiredRole(), Durations.describe(options.noCapableNodeTimeout()));
      return false;
    }
    return now - noCapableNodeSinceNanos > options.noCapableNodeTimeout().toNanos();
  }

}
