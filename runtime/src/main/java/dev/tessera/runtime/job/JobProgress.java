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
 * @param retried attempts that were given another try (after an exception, a timeout or a lost worker)
 * @param duplicatesDropped results that arrived for tasks already completed, and were dropped
 */
public record JobProgress(int total, int done, int running, int failed, int retried, int duplicatesDropped)
    implements CborSerializable {

  /** True when every task has either a result or a recorded failure. */
  public boolean finished() {
    return done + failed == total;
  }
}
