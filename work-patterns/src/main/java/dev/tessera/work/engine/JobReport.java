package dev.tessera.work.engine;

import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How a job ended: a result for every task that succeeded, a failure for every task that did not.
 *
 * <pre>{@code
 * // The untyped report a coordinator sends; WorkPulling.submit decodes it into a JobResult.
 * JobReport report = reportProbe.expectMessageClass(JobReport.class);
 * long square = codec.decode(report.results().get(7), Long.class);
 * }</pre>
 *
 * @param results one entry per task, in task order; {@code null} where the task failed or the job
 *     was cancelled before it ran
 * @param failures task id to why it failed, for tasks that used up their attempts
 * @param cancelled true when the job was cancelled before every task ended
 */
public record JobReport(
    String jobId, List<byte[]> results, Map<Integer, TaskFailure> failures, JobProgress progress, boolean cancelled)
    implements CborSerializable {

  public JobReport {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(results, "results");
    failures = Map.copyOf(failures);
    Objects.requireNonNull(progress, "progress");
  }

  /** Why a task failed for good. */
  public record TaskFailure(int attempts, String lastCause) implements CborSerializable {}
}
