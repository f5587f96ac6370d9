package dev.tessera.work;

import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.engine.JobCoordinator;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.pattern.StatusReply;

/** Progress and cancel of a running job: what {@link JobHandle} and {@link GatherHandle} share. */
final class JobControl {

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  private final ActorSystem<?> system;
  private final CompletionStage<ActorRef<JobCoordinator.Command>> coordinator;
  private final CompletableFuture<JobProgress> finalProgress;

  JobControl(
      ActorSystem<?> system,
      CompletionStage<ActorRef<JobCoordinator.Command>> coordinator,
      CompletableFuture<JobProgress> finalProgress) {
    this.system = Objects.requireNonNull(system, "system");
    this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
    this.finalProgress = Objects.requireNonNull(finalProgress, "finalProgress");
  }

  /**
   * Live while the job runs (asks its coordinator); the final progress once it has ended, also when
   * it ends while the question is on its way.
   */
  CompletionStage<JobProgress> progress() {
    if (finalProgress.isDone()) {
      return finalProgress;
    }
    return coordinator
        .thenCompose(ref -> AskPattern.<JobCoordinator.Command, JobProgress>ask(
            ref, JobCoordinator.GetProgress::new, ASK_TIMEOUT, system.scheduler()))
        .exceptionallyCompose(coordinatorGone -> finalProgress);
  }

  CompletionStage<Done> cancel() {
    if (finalProgress.isDone()) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    return coordinator.thenCompose(ref -> AskPattern.<JobCoordinator.Command, StatusReply<Done>>ask(
            ref, JobCoordinator.Cancel::new, ASK_TIMEOUT, system.scheduler()))
        .thenApply(StatusReply::getValue);
  }
}
