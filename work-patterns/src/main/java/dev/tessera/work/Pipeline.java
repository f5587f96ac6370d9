package dev.tessera.work;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.ObjLongConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * A sequence of stages, each a task type run by the task workers on nodes with the stage's role:
 * every item from the source goes through the stages in order, and its last output goes to the
 * sink.
 *
 * <pre>{@code
 * Pipeline<String, Long> pipeline = Pipeline
 *     .of(PARSE, JobOptions.defaults())                                   // String -> Record, on "worker" nodes
 *     .then(SIMULATE, JobOptions.defaults().withRequiredRole("gpu"))     // Record -> Long, on "gpu" nodes
 *     .withStageCapacity(500);
 * PipelineHandle handle = pipeline.run(system, lines.iterator(), (value, item) -> store.save(item, value));
 * PipelineResult result = handle.result().toCompletableFuture().get();
 * }</pre>
 *
 * <p>Backpressure: each stage holds at most {@link #stageCapacity()} items (queued, running, or done
 * and waiting for room in the next stage), and the source is pulled only when the first stage has
 * room. A slow stage therefore slows the stages before it and the source, and the pipeline never
 * holds more than {@code stages × stageCapacity} items, however long the source. Items complete in
 * any order; the sink gets each item's index, in source order, with its output.
 *
 * <p>Fault tolerance: within a stage, tasks are retried and moved off dead or frozen workers exactly
 * as in {@link WorkPulling#submit}. An item that fails for good in some stage is recorded in
 * {@link PipelineResult#failures()} and goes no further; the other items go on. The pipeline itself
 * runs on the node that started it and ends with that node.
 *
 * <p>Thread safety: immutable; {@link #run} may be called from any thread, any number of times.
 *
 * @param <I> what the source yields (the first stage's input)
 * @param <O> what the sink receives (the last stage's output)
 */
public final class Pipeline<I, O> {

  /** Items a stage may hold unless told otherwise. */
  public static final int DEFAULT_STAGE_CAPACITY = 1000;

  private final List<PipelineCoordinator.StageSpec> stages;
  private final Class<O> outputType;
  private final int stageCapacity;

  private Pipeline(List<PipelineCoordinator.StageSpec> stages, Class<O> outputType, int stageCapacity) {
    this.stages = List.copyOf(stages);
    this.outputType = outputType;
    if (stageCapacity < 1) {
      throw new IllegalArgumentException("stageCapacity must be at least 1, got " + stageCapacity);
    }
    this.stageCapacity = stageCapacity;
  }

  /** A pipeline of one stage; add more with {@link #then}. */
  public static <I, O> Pipeline<I, O> of(TaskType<I, O> first, JobOptions options) {
    Objects.requireNonNull(first, "first");
    return new Pipeline<>(List.of(new PipelineCoordinator.StageSpec(first.name(), options)), first.outputType(),
        DEFAULT_STAGE_CAPACITY);
  }

  /** This pipeline with one more stage, fed with the outputs of the current last stage. */
  public <N> Pipeline<I, N> then(TaskType<O, N> next, JobOptions options) {
    Objects.requireNonNull(next, "next");
    List<PipelineCoordinator.StageSpec> more = new ArrayList<>(stages);
    more.add(new PipelineCoordinator.StageSpec(next.name(), options));
    return new Pipeline<>(more, next.outputType(), stageCapacity);
  }

  /**
   * This pipeline with each stage holding at most {@code capacity} items. Keep it at least as large
   * as what the stage's workers ask for at once (twice their threads, more for short tasks), or
   * workers wait for items.
   */
  public Pipeline<I, O> withStageCapacity(int capacity) {
    return new Pipeline<>(stages, outputType, capacity);
  }

  public int stageCapacity() {
    return stageCapacity;
  }

  /**
   * Starts the pipeline on this node.
   *
   * @param source pulled on one of the node's actor threads, only when the first stage has room;
   *     should not block for long. If it throws, no more items are pulled, the items in flight are
   *     finished, and the result fails with that exception.
   * @param sink gets each item's last output and the item's index, on one thread at a time, as items
   *     complete. If it throws, the pipeline is cancelled and the result fails with that exception.
   */
  public PipelineHandle run(ActorSystem<?> system, Iterator<? extends I> source, ObjLongConsumer<? super O> sink) {
    Objects.requireNonNull(system, "system");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(sink, "sink");
    PayloadCodec codec = new PayloadCodec();
    String id = "pipeline-" + UUID.randomUUID();
    CompletableFuture<PipelineResult> result = new CompletableFuture<>();
    ActorRef<PipelineCoordinator.Command> coordinator = system.systemActorOf(
        PipelineCoordinator.create(id, stages, stageCapacity, source,
            (item, bytes) -> sink.accept(codec.decode(bytes, outputType), item), result),
        id,
        Props.empty());
    return new PipelineHandle(id, system, coordinator, result);
  }
}
