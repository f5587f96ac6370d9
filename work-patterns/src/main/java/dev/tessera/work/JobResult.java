package dev.tessera.work;

import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.engine.JobReport;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a job ended, with typed results.
 *
 * <pre>{@code
 * JobResult<Long> result = handle.result().toCompletableFuture().get();
 * if (result.succeeded()) { long sum = result.results().stream().mapToLong(Long::longValue).sum(); }
 * else { result.failures().forEach((task, failure) -> log.warn("task {} failed: {}", task, failure.lastCause())); }
 * }</pre>
 *
 * @param results one per task, in task order; {@code null} where the task failed or never ran
 * @param failures task index to why it failed for good
 * @param cancelled the job was cancelled before every task ended
 */
public record JobResult<O>(
    String jobId, List<O> results, Map<Integer, JobReport.TaskFailure> failures, JobProgress progress, boolean cancelled) {

  public JobResult {
    Objects.requireNonNull(jobId, "jobId");
    results = Collections.unmodifiableList(results);
    failures = Map.copyOf(failures);
    Objects.requireNonNull(progress, "progress");
  }

  /** Every task has a result. */
  public boolean succeeded() {
    return !cancelled && failures.isEmpty() && progress.done() == progress.total();
  }
}
