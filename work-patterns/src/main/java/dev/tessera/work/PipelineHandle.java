package dev.tessera.work;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A running pipeline: its result when it ends, its progress while it runs, and a way to cancel it.
 *
 * <pre>{@code
 * PipelineHandle handle = pipeline.run(system, source, sink);
 * handle.progress().thenAccept(p -> log.info("{} delivered, {} in flight", p.delivered(), p.inPipeline()));
 * handle.result().toCompletableFuture().get();
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class PipelineHandle {

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  private final String id;
  private final ActorSystem<?> system;
  private final ActorRef<PipelineCoordinator.Command> coordinator;
  private final CompletableFuture<PipelineResult> result;

  PipelineHandle(
      String id, ActorSystem<?> system, ActorRef<PipelineCoordinator.Command> coordinator,
      CompletableFuture<PipelineResult> result) {
    this.id = Objects.requireNonNull(id, "id");
    this.system = Objects.requireNonNull(system, "system");
    this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
    this.result = Objects.requireNonNull(result, "result");
  }

  public String id() {
    return id;
  }

  /**
   * Completes when every item pulled has been delivered or has failed (the source is exhausted), or
   * the pipeline was cancelled; fails if the source or the sink threw.
   */
  public CompletionStage<PipelineResult> result() {
    return result;
  }

  /** A snapshot of progress; once the pipeline has ended, its final progress. */
  public CompletionStage<PipelineProgress> progress() {
    if (result.isDone() && !result.isCompletedExceptionally()) {
      return result.thenApply(PipelineResult::progress);
    }
    return AskPattern.<PipelineCoordinator.Command, PipelineProgress>ask(
        coordinator, PipelineCoordinator.GetProgress::new, ASK_TIMEOUT, system.scheduler());
  }

  /** Stops pulling the source and cancels every stage; {@link #result()} then says what was done. */
  public CompletionStage<Done> cancel() {
    if (result.isDone()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return AskPattern.<PipelineCoordinator.Command, Done>ask(
        coordinator, PipelineCoordinator.Cancel::new, ASK_TIMEOUT, system.scheduler());
  }
}
