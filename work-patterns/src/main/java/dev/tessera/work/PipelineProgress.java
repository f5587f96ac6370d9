package dev.tessera.work;

import java.util.List;
import java.util.Objects;

/**
 * A snapshot of a running pipeline.
 *
 * <pre>{@code
 * PipelineProgress p = handle.progress().toCompletableFuture().get();
 * log.info("{} delivered, {} in the pipeline (never more than {})", p.delivered(), p.inPipeline(), p.maxInPipeline());
 * }</pre>
 *
 * @param pulled items taken from the source so far
 * @param delivered items that went through every stage and reached the sink
 * @param failed items that failed in some stage (or could not be serialized) and were reported
 * @param maxInPipeline the most items that were ever in the pipeline at once (pulled, not yet
 *     delivered or failed): never more than the number of stages times the stage capacity
 * @param stages one entry per stage, in order
 */
public record PipelineProgress(long pulled, long delivered, long failed, long maxInPipeline, List<StageProgress> stages) {

  public PipelineProgress {
    stages = List.copyOf(stages);
  }

  /** Items pulled from the source and not yet delivered or failed. */
  public long inPipeline() {
    return pulled - delivered - failed;
  }

  /**
   * One stage.
   *
   * @param taskType the stage's task type
   * @param held items the stage holds: queued or running in its job, or done and waiting for room
   *     in the next stage; never more than the stage capacity
   * @param waiting of {@code held}, items done here and waiting for room in the next stage
   * @param maxHeld the most items the stage ever held at once
   * @param completed items this stage completed
   * @param failed items that failed in this stage
   */
  public record StageProgress(String taskType, int held, int waiting, int maxHeld, long completed, long failed) {
    public StageProgress {
      Objects.requireNonNull(taskType, "taskType");
    }
  }
}
