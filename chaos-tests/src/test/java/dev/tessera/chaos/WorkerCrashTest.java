package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobHandle;
import dev.tessera.work.JobResult;
import dev.tessera.work.WorkPulling;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job of 10,000 tasks on three worker processes; one is killed with SIGKILL mid-job. The job
 * finishes with every task's result exactly once, equal to a fault-free computation.
 */
class WorkerCrashTest {

  private static final int TASKS = 10_000;

  @TempDir Path logs;

  @Test
  void aJobSurvivesTheKillOfAWorkerNodeWithEveryResultOnce() throws Exception {
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(3, logs);
    try (LocalCluster workers = LocalCluster.startOnFreePorts(spec)) {
      Await.until("3 worker nodes Up", Duration.ofSeconds(120), () -> workers.view(1).upCount() == 3);

      // This JVM joins as a client (no worker role): it submits and watches the job.
      try (ComputeNode submitter = ComputeNode.joinAsClient(workers.spec().seedList(), Map.of(), Duration.ofSeconds(60))) {
        Await.until("4 members Up", Duration.ofSeconds(60), () -> workers.view(1).upCount() == 4);

        List<Integer> inputs = IntStream.range(0, TASKS).boxed().toList();
        JobHandle<Long> job = WorkPulling.submit(submitter.system(), ChaosTasks.SLOW_SQUARE, inputs, JobOptions.defaults());
        Await.until("a fifth of the job done", Duration.ofSeconds(120),
            () -> job.progress().toCompletableFuture().get(5, TimeUnit.SECONDS).done() >= TASKS / 5);

        workers.node(3).kill();

        JobResult<Long> result = job.result().toCompletableFuture().get(180, TimeUnit.SECONDS);
        JobProgress progress = result.progress();
        assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
        assertThat(progress.done()).isEqualTo(TASKS);
        assertThat(result.results()).isEqualTo(inputs.stream().map(x -> (long) x * x).toList());
        assertThat(progress.lostLeases() + progress.workerDeaths()).as("the killed node's tasks were run again elsewhere")
            .isPositive();
        assertThat(progress.retried()).as("a worker's death is not a task failure").isZero();
        assertThat(workers.node(1).isAlive()).isTrue();
        assertThat(workers.node(2).isAlive()).isTrue();
      }
    }
  }
}
