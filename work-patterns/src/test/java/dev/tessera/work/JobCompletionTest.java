package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.engine.JobCoordinator;
import dev.tessera.work.engine.JobReport;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class JobCompletionTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aCoordinatorThatCrashesFailsTheJobInsteadOfLeavingItHanging() {
    CompletableFuture<ActorRef<JobCoordinator.Command>> coordinator = new CompletableFuture<>();
    CompletableFuture<JobProgress> finalProgress = new CompletableFuture<>();
    CompletableFuture<JobReport> report = new CompletableFuture<>();

    testKit.spawn(JobCompletion.create(
        "job-crash",
        (reportTo, resultsTo) -> Behaviors.setup(context -> {
          throw new IllegalStateException("a bug in the coordinator");
        }),
        null, coordinator, finalProgress, report));

    assertThatThrownBy(() -> report.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasMessageContaining("the coordinator of job job-crash stopped without a report");
    assertThat(finalProgress).isCompletedExceptionally();
  }
}
