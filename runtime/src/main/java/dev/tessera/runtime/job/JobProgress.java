package dev.tessera.runtime.job;

import dev.tessera.runtime.serialization.CborSerializable;

/**
 * A snapshot of a job's progress.
 *
 * <pre>{@code
 * JobProgress p = handle.progress().toCompletableFuture().get();
 * log.info("{}/{} done, {} running, {} failed, {} retried", p.done(), p.total(), p.running(), p.failed(), p.retried());
 * }</pre>
 *
 * @param total tasks in the job
 * @param done tasks completed with a result
 * @param running tasks handed to a worker and not yet answered
 * @param failed tasks that used up their attempts and are recorded as failed
 * @param retried task failures (the handler threw, timed out, or returned something unusable) that
 *     were given another try; these count against {@code maxAttempts}
 * @param duplicatesDropped results that arrived for tasks already completed, and were dropped
 * @param lostLeases tasks handed back without having started (returned by a worker whose node was
 *     leaving, or on a worker lost before they started); queued again, counted against nothing
 * @param workerDeaths tasks whose worker died (crashed, was killed or went silent) while its last
 *     report said they ran; queued again alone, counted against {@code maxWorkerDeaths}
 */
public record JobProgress(
    int total, int done, int running, int failed, int retried, int duplicatesDropped, int lostLeases, int workerDeaths)
    implements CborSerializable {

  /** Progress with no lost leases or worker deaths. */
  public JobProgress(int total, int done, int running, int failed, int retried, int duplicatesDropped) {
    this(total, done, running, failed, retried, duplicatesDropped, 0, 0);
  }

  /** True when every task has either a result or a recorded failure. */
  public boolean finished() {
    return done + failed == total;
  }
}
