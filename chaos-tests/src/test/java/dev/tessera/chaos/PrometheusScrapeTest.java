package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.chaos.harness.PrometheusServer;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server scrapes {@code /metrics} of three node processes while a durable job
 * runs on them: the succeeded-task counter summed over the nodes equals the job's size, and the
 * taken-back counter rises once a worker's node is killed with SIGKILL.
 */
class PrometheusScrapeTest {

  private static final int TASKS = 600;

  // Kept when the test fails: the nodes' and Prometheus' logs are in it.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  @Test
  void prometheusCountsEveryResultOnceAndTheTasksTakenBackFromAKilledWorker() throws Exception {
    Assumptions.assumeTrue(PrometheusServer.unavailable().isEmpty(), () -> "skipped: " + PrometheusServer.unavailable().get());
    TestJournal journal = TestJournal.start(TestJournal.Kind.H2_SERVER, dir.resolve("data"));
    Path config = dir.resolve("nodes.conf");
    Files.writeString(config, journal.nodeConfig() + "tessera.persistence.jobs.role = coordinator\n");
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(3, dir.resolve("logs"))
        .withRoles(List.of("worker", "coordinator"))
        .withExtraNodeArguments(List.of("--config", config.toString()));
    try (TestJournal j = journal; LocalCluster cluster = LocalCluster.startOnFreePorts(spec);
        PrometheusServer prometheus = PrometheusServer.start(dir.resolve("prometheus"),
            List.of(spec.httpPort(1), spec.httpPort(2), spec.httpPort(3)))) {
      Await.until("3 nodes Up", Duration.ofSeconds(120), () -> cluster.view(1).upCount() == 3);
      Await.until("Prometheus scrapes all 3 nodes", Duration.ofSeconds(60),
          () -> prometheus.query("sum(up{job=\"tessera\"})").orElse(0) == 3);

      Map<String, Object> clientConfig = new HashMap<>(journal.clientConfig());
      clientConfig.put("tessera.persistence.jobs.role", "coordinator");
      Path gate = Files.createFile(dir.resolve("gate"));
      String jobId = "scraped-" + UUID.randomUUID();
      String job = "job_id=\"" + jobId + "\"";
      try (ComputeNode client = ComputeNode.joinAsClient(spec.seedList(), clientConfig, Duration.ofSeconds(90))) {
        List<ChaosTasks.Gated> inputs =
            IntStream.range(0, TASKS).mapToObj(i -> new ChaosTasks.Gated(i, gate.toString(), "")).toList();
        DurableJobHandle<Long> handle = DurableJobs.submit(client.system(), jobId, ChaosTasks.GATED_SQUARE, inputs,
            JobOptions.defaults().withRequiredRole("worker"));
        handle.submitted().toCompletableFuture().get(60, TimeUnit.SECONDS);

        // While the gate is shut every node's worker holds tasks it cannot finish: Prometheus sees them busy.
        Await.until("every node's worker busy, as Prometheus sees it", Duration.ofSeconds(60),
            () -> prometheus.query("count(tessera_worker_slots_busy > 0)").orElse(0) == 3);
        assertThat(prometheus.query("sum(tessera_tasks_pending{" + job + "})").orElse(-1)).as("tasks pending").isPositive();
        assertThat(prometheus.query("sum(tessera_tasks_taken_back_total{" + job + "})").orElse(-1))
            .as("tasks taken back before any fault").isZero();

        JobStatus status = handle.status().toCompletableFuture().get(10, TimeUnit.SECONDS);
        int coordinator = IntStream.rangeClosed(1, 3)
            .filter(i -> status.coordinatorNode().endsWith(":" + spec.port(i))).findFirst().orElseThrow();
        int victim = coordinator == 3 ? 2 : 3;
        cluster.node(victim).kill();
        Await.until("the taken-back counter rises in Prometheus", Duration.ofSeconds(60),
            () -> prometheus.query("sum(tessera_tasks_taken_back_total{" + job + "})").orElse(0) > 0);
        OptionalDouble killed = prometheus.query("sum(tessera_tasks_taken_back_total{" + job
            + ",reason=~\"worker_killed|worker_silent\"})");
        assertThat(killed.orElse(0)).as("taken back because the worker died").isPositive();

        Files.delete(gate);
        JobResult<Long> result = handle.result().toCompletableFuture().get(180, TimeUnit.SECONDS);
        assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
        assertThat(result.results()).isEqualTo(IntStream.range(0, TASKS).mapToObj(i -> (long) i * i).toList());

        Await.until("Prometheus' sum of succeeded tasks over the nodes reaches the job's size", Duration.ofSeconds(30),
            () -> prometheus.query("sum(tessera_tasks_succeeded_total{" + job + "})").orElse(0) >= TASKS);
        assertThat(prometheus.query("sum(tessera_tasks_succeeded_total{" + job + "})").orElse(0))
            .as("succeeded tasks summed over the nodes").isEqualTo(TASKS);
        assertThat(prometheus.query("sum(tessera_tasks_failed_total{" + job + "})").orElse(-1)).isZero();
      }
    }
  }
}
