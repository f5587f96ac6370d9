package dev.tessera.work;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.work.engine.JobCoordinator;
import dev.tessera.work.engine.JobReport;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Runs a pipeline: one open {@link JobCoordinator} per stage, each announcing itself to the task
 * workers on nodes with the stage's role, and items moving from stage to stage as they complete.
 *
 * <p>Backpressure: a stage <em>holds</em> an item from the moment it is added to the stage's job
 * until its output has moved into the next stage (or reached the sink, or failed). A stage never
 * holds more than {@code stageCapacity} items, and an item moves on only when the next stage has
 * room. So a slow stage fills up, the stage before it stops getting new items once its finished
 * items wait for room, and so on back to the source, which is pulled only when the first stage has
 * room. However slow a stage, the pipeline holds at most {@code stages × stageCapacity} items.
 *
 * <p>An item that fails in a stage (its attempts used up, or no node can run the stage) is recorded
 * with the stage and the cause, and goes no further; the other items go on.
 *
 * <p>Threading: an actor; the source and the sink are called from its message handling, one call at
 * a time.
 */
final class PipelineCoordinator extends AbstractBehavior<PipelineCoordinator.Command> {

  /** Sent only on this node (by the handle and by adapters), so never serialized. */
  sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Asks for a progress snapshot. */
  record GetProgress(ActorRef<PipelineProgress> replyTo) implements Command {}

  /** Stops pulling and cancels every stage; the result says what was done. */
  record Cancel(ActorRef<Done> replyTo) implements Command {}

  private record StageEvent(JobCoordinator.TaskEnded ended) implements Command {}

  private record StageReport(JobReport report) implements Command {}

  private record StageStopped(int stage) implements Command {}

  /** Receives each item's final output, in the order items complete. */
  @FunctionalInterface
  interface ItemSink {
    void accept(long item, byte[] output);
  }

  /** A stage as the builder describes it. */
  record StageSpec(String taskType, JobOptions options) {
    StageSpec {
      Objects.requireNonNull(taskType, "taskType");
      Objects.requireNonNull(options, "options");
    }
  }

  /** An item's output from one stage, waiting for room in the next. */
  private record Handoff(long item, byte[] output) {}

  private static final class Stage {
    final int index;
    final StageSpec spec;
    final ActorRef<JobCoordinator.Command> coordinator;
    /** Task id in this stage's job to item index. */
    final Map<Integer, Long> itemOfTask = new HashMap<>();
    final ArrayDeque<Handoff> waiting = new ArrayDeque<>();
    int nextTaskId;
    int held;
    int maxHeld;
    long completed;
    long failed;
    boolean reported;

    Stage(int index, StageSpec spec, ActorRef<JobCoordinator.Command> coordinator) {
      this.index = index;
      this.spec = spec;
      this.coordinator = coordinator;
    }

    PipelineProgress.StageProgress progress() {
      return new PipelineProgress.StageProgress(spec.taskType(), held, waiting.size(), maxHeld, completed, failed);
    }
  }

  private final String pipelineId;
  private final List<Stage> stages = new ArrayList<>();
  private final Map<String, Stage> stageByJob = new HashMap<>();
  private final int stageCapacity;
  private final Iterator<?> source;
  private final PayloadCodec codec = new PayloadCodec();
  private final ItemSink sink;
  private final CompletableFuture<PipelineResult> result;
  private final Map<Long, PipelineResult.ItemFailure> failures = new HashMap<>();
  private long pulled;
  private long delivered;
  private long maxInPipeline;
  private boolean sourceDone;
  /** Why the pipeline stops early: the source or the sink threw. */
  private RuntimeException stopCause;
  private boolean ended;

  static Behavior<Command> create(
      String pipelineId,
      List<StageSpec> specs,
      int stageCapacity,
      Iterator<?> source,
      ItemSink sink,
      CompletableFuture<PipelineResult> result) {
    Objects.requireNonNull(pipelineId, "pipelineId");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(result, "result");
    if (specs.isEmpty()) {
      throw new IllegalArgumentException("a pipeline needs at least one stage");
    }
    if (stageCapacity < 1) {
      throw new IllegalArgumentException("stageCapacity must be at least 1, got " + stageCapacity);
    }
    return Behaviors.setup(context -> new PipelineCoordinator(context, pipelineId, specs, stageCapacity, source, sink, result));
  }

  private PipelineCoordinator(
      ActorContext<Command> context,
      String pipelineId,
      List<StageSpec> specs,
      int stageCapacity,
      Iterator<?> source,
      ItemSink sink,
      CompletableFuture<PipelineResult> result) {
    super(context);
    context.setLoggerName(PipelineCoordinator.class);
    this.pipelineId = pipelineId;
    this.stageCapacity = stageCapacity;
    this.source = source;
    this.sink = sink;
    this.result = result;
    ActorRef<JobCoordinator.TaskEnded> events = context.messageAdapter(JobCoordinator.TaskEnded.class, StageEvent::new);
    ActorRef<JobReport> reports = context.messageAdapter(JobReport.class, StageReport::new);
    for (int i = 0; i < specs.size(); i++) {
      StageSpec spec = specs.get(i);
      String jobId = pipelineId + "-stage-" + i;
      ActorRef<JobCoordinator.Command> coordinator = context.spawn(
          JobCoordinator.createOpen(jobId, spec.taskType(), spec.options(), reports, events), "stage-" + i);
      context.watchWith(coordinator, new StageStopped(i));
      Stage stage = new Stage(i, spec, coordinator);
      stages.add(stage);
      stageByJob.put(jobId, stage);
    }
    pump();
    // An empty source (or one whose every item failed to serialize) ends here: no stage event will come.
    endIfDone();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(StageEvent.class, this::onStageEvent)
        .onMessage(StageReport.class, this::onStageReport)
        .onMessage(StageStopped.class, this::onStageStopped)
        .onMessage(GetProgress.class, this::onGetProgress)
        .onMessage(Cancel.class, this::onCancel)
        .build();
  }

  private Behavior<Command> onStageEvent(StageEvent event) {
    Stage stage = stageByJob.get(event.ended().jobId());
    Long item = stage == null ? null : stage.itemOfTask.remove(event.ended().taskId());
    if (item == null || ended) {
      return this;
    }
    if (event.ended() instanceof JobCoordinator.ResultReady ready) {
      stage.completed++;
      if (stage.index == stages.size() - 1) {
        stage.held--;
        deliver(item, ready.output());
      } else {
        stage.waiting.add(new Handoff(item, ready.output()));
      }
    } else if (event.ended() instanceof JobCoordinator.TaskFailed failed) {
      stage.failed++;
      stage.held--;
      failures.put(item, new PipelineResult.ItemFailure(
          stage.index, stage.spec.taskType(), failed.failure().attempts(), failed.failure().lastCause()));
    }
    if (ended) {
      return this; // the sink threw
    }
    pump();
    return endIfDone();
  }

  private void deliver(long item, byte[] output) {
    try {
      sink.accept(item, output);
      delivered++;
    } catch (RuntimeException e) {
      getContext().getLog().error("pipeline {}: the sink threw on item {}; cancelling the pipeline", pipelineId, item, e);
      stopCause = e;
      end(true);
    }
  }

  private Behavior<Command> onStageReport(StageReport report) {
    Stage stage = stageByJob.get(report.report().jobId());
    if (stage != null) {
      stage.reported = true;
    }
    return allStagesReported() ? Behaviors.stopped() : this;
  }

  private Behavior<Command> onStageStopped(StageStopped stopped) {
    Stage stage = stages.get(stopped.stage());
    if (!stage.reported && !ended) {
      // A bug in the coordinator: fail loudly rather than wait for items that will never come.
      getContext().getLog().error("pipeline {}: stage {} ({}) stopped unexpectedly; cancelling the pipeline",
          pipelineId, stage.index, stage.spec.taskType());
      stopCause = new IllegalStateException(
          "stage " + stage.index + " (" + stage.spec.taskType() + ") of pipeline " + pipelineId + " stopped unexpectedly");
      end(true);
    }
    stage.reported = true;
    return allStagesReported() ? Behaviors.stopped() : this;
  }

  private Behavior<Command> onGetProgress(GetProgress get) {
    get.replyTo().tell(progress());
    return this;
  }

  private Behavior<Command> onCancel(Cancel cancel) {
    if (!ended) {
      getContext().getLog().info("pipeline {} cancelled: {}", pipelineId, progress());
      end(true);
    }
    cancel.replyTo().tell(Done.getInstance());
    return allStagesReported() ? Behaviors.stopped() : this;
  }

  /** Moves items forward wherever the next stage has room, back to front, then pulls the source. */
  private void pump() {
    for (int k = stages.size() - 2; k >= 0; k--) {
      Stage from = stages.get(k);
      Stage to = stages.get(k + 1);
      List<byte[]> moving = new ArrayList<>();
      while (!from.waiting.isEmpty() && to.held < stageCapacity) {
        Handoff handoff = from.waiting.poll();
        from.held--;
        moving.add(handoff.output());
        take(to, handoff.item());
      }
      if (!moving.isEmpty()) {
        to.coordinator.tell(new JobCoordinator.AddTasks(moving));
      }
    }
    Stage first = stages.get(0);
    List<byte[]> pulledNow = new ArrayList<>();
    while (!sourceDone && first.held < stageCapacity) {
      Object next;
      try {
        if (!source.hasNext()) {
          sourceDone = true;
          break;
        }
        next = source.next();
      } catch (RuntimeException e) {
        getContext().getLog().error("pipeline {}: the source threw after {} items; finishing the items in flight",
            pipelineId, pulled, e);
        stopCause = e;
        sourceDone = true;
        break;
      }
      long item = pulled++;
      byte[] input;
      try {
        input = codec.encode(Objects.requireNonNull(next, "the source returned null"));
      } catch (RuntimeException e) {
        failures.put(item, new PipelineResult.ItemFailure(-1, "", 0, "item " + item + ": " + e.getMessage()));
        continue;
      }
      pulledNow.add(input);
      take(first, item);
    }
    if (!pulledNow.isEmpty()) {
      first.coordinator.tell(new JobCoordinator.AddTasks(pulledNow));
    }
    maxInPipeline = Math.max(maxInPipeline, pulled - delivered - failures.size());
  }

  /** The stage takes the item as its next task. */
  private void take(Stage stage, long item) {
    stage.itemOfTask.put(stage.nextTaskId++, item);
    stage.held++;
    stage.maxHeld = Math.max(stage.maxHeld, stage.held);
  }

  private Behavior<Command> endIfDone() {
    if (!ended && sourceDone && stages.stream().allMatch(s -> s.held == 0)) {
      end(false);
    }
    return this;
  }

  /** Completes the result and closes (or cancels) every stage's job. */
  private void end(boolean cancelled) {
    ended = true;
    PipelineProgress progress = progress();
    for (Stage stage : stages) {
      if (cancelled) {
        stage.coordinator.tell(new JobCoordinator.Cancel(getContext().getSystem().ignoreRef()));
      } else {
        stage.coordinator.tell(new JobCoordinator.NoMoreTasks());
      }
    }
    if (stopCause != null) {
      result.completeExceptionally(stopCause);
    } else {
      getContext().getLog().info("pipeline {} {}: {} delivered, {} failed", pipelineId,
          cancelled ? "cancelled" : "finished", delivered, failures.size());
      result.complete(new PipelineResult(pipelineId, pulled, delivered, failures, progress, cancelled));
    }
  }

  private boolean allStagesReported() {
    return ended && stages.stream().allMatch(s -> s.reported);
  }

  private PipelineProgress progress() {
    return new PipelineProgress(pulled, delivered, failures.size(), maxInPipeline,
        stages.stream().map(Stage::progress).toList());
  }
}
