package dev.tessera.work;

import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.engine.JobReport;
import java.util.Map;
import java.util.Objects;

/**
 * The end of a scatter/gather job.
 *
 * <pre>{@code
 * Gathered<Long> sum = WorkPulling.scatterGather(system, SQUARE, inputs, JobOptions.defaults(), 0L, Long::sum)
 *     .result().toCompletableFuture().get();
 * if (sum.failures().isEmpty()) { log.info("sum of {} squares: {}", sum.combined(), sum.value()); }
 * }</pre>
 *
 * @param value the identity combined with every result that arrived (in arrival order)
 * @param combined how many results went into {@code value}
 * @param failures task index to why it failed for good (those tasks are not in {@code value})
 * @param cancelled the job was cancelled before every task ended
 */
public record Gathered<R>(
    String jobId, R value, int combined, Map<Integer, JobReport.TaskFailure> failures, JobProgress progress, boolean cancelled) {

  public Gathered {
    Objects.requireNonNull(jobId, "jobId");
    failures = Map.copyOf(failures);
    Objects.requireNonNull(progress, "progress");
  }

  /** Every task's result went into {@link #value()}. */
  public boolean succeeded() {
    return !cancelled && failures.isEmpty() && combined == progress.total();
  }
}
