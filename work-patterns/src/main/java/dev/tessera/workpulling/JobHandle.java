package dev.tessera.workpulling;

import dev.tessera.runtime.job.JobProgress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;

/**
 * A submitted job: its result when it ends, its progress while it runs, and a way to cancel it.
 *
 * <pre>{@code
 * JobHandle<Long> handle = WorkPulling.submit(system, SQUARE, List.of(1, 2, 3), JobOptions.defaults());
 * handle.progress().thenAccept(p -> log.info("{} of {} done", p.done(), p.total()));
 * JobResult<Long> result = handle.result().toCompletableFuture().get();
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class JobHandle<O> {

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  private final String id;
  private final ActorSystem<?> system;
  private final CompletionStage<ActorRef<JobCoordinator.Command>> coordinator;
  private final CompletionStage<JobResult<O>> result;

  JobHandle(
      String id,
      ActorSystem<?> system,
      CompletionStage<ActorRef<JobCoordinator.Command>> coordinator,
      CompletionStage<JobResult<O>> result) {
    this.id = Objects.requireNonNull(id, "id");
    this.system = Objects.requireNonNull(system, "system");
    this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
    this.result = Objects.requireNonNull(result, "result");
  }

  public String id() {
    return id;
  }

  /** Completes when every task has a result or a failure, or the job was cancelled. */
  public CompletionStage<JobResult<O>> result() {
    return result;
  }

  /** A snapshot of progress; once the job has ended, the final progress. */
  public CompletionStage<JobProgress> progress() {
    CompletableFuture<JobResult<O>> done = result.toCompletableFuture();
    if (done.isDone() && !done.isCompletedExceptionally()) {
      return CompletableFuture.completedFuture(done.join().progress());
    }
    return coordinator.thenCompose(ref -> AskPattern.<JobCoordinator.Command, JobProgress>ask(
        ref, JobCoordinator.GetProgress::new, ASK_TIMEOUT, system.scheduler()));
  }

  /** Stops handing out tasks; {@link #result()} then completes with what was done. */
  public CompletionStage<Done> cancel() {
    if (result.toCompletableFuture().isDone()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return coordinator.thenCompose(ref -> AskPattern.<JobCoordinator.Command, StatusReply<Done>>ask(
            ref, JobCoordinator.Cancel::new, ASK_TIMEOUT, system.scheduler()))
        .thenApply(StatusReply::getValue);
  }
}
