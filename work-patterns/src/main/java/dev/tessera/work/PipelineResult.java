package dev.tessera.work;

import java.util.Map;
import java.util.Objects;

/**
 * How a pipeline ended. Every item pulled from the source was either delivered to the sink or is
 * in {@link #failures()}, unless the pipeline was cancelled.
 *
 * <pre>{@code
 * PipelineResult result = handle.result().toCompletableFuture().get();
 * result.failures().forEach((item, f) -> log.warn("item {} failed in stage {} ({}): {}", item, f.stage(), f.taskType(), f.cause()));
 * }</pre>
 *
 * @param failures item index (0-based, in source order) to where and why it failed
 * @param cancelled the pipeline was cancelled; items that were in it then are neither delivered
 *     nor failed
 */
public record PipelineResult(
    String pipelineId, long pulled, long delivered, Map<Long, ItemFailure> failures, PipelineProgress progress,
    boolean cancelled) {

  public PipelineResult {
    Objects.requireNonNull(pipelineId, "pipelineId");
    failures = Map.copyOf(failures);
    Objects.requireNonNull(progress, "progress");
  }

  /** Every item pulled was delivered. */
  public boolean succeeded() {
    return !cancelled && failures.isEmpty() && delivered == pulled;
  }

  /**
   * Why one item did not get through.
   *
   * @param stage the stage it failed in, 0-based; -1 when it could not be serialized at all
   * @param taskType the task type of that stage ("" for a serialization failure)
   * @param attempts how often the stage tried it
   * @param cause the last attempt's error, with its stack trace as text
   */
  public record ItemFailure(int stage, String taskType, int attempts, String cause) {
    public ItemFailure {
      Objects.requireNonNull(taskType, "taskType");
      Objects.requireNonNull(cause, "cause");
    }
  }
}
