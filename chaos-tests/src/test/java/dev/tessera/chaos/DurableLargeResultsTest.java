package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.persistence.jobs.DurableJobCoordinator;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * "A durable job with 10 MB results survives a whole-cluster restart" (issue #19): two node
 * processes run a durable job of four tasks, each returning 10 MB (deterministic, from its input);
 * once it has finished, both are killed with SIGKILL and the journal's database server is restarted
 * (an H2 server on the same file; PostgreSQL where {@code TESSERA_TEST_POSTGRES_URL} names one,
 * skipped otherwise), the cluster starts again, and a new client reads the job's results back,
 * equal to what the tasks returned (SHA-256 of each). The results are in the table beside the
 * journal, not in its events.
 */
class DurableLargeResultsTest {

  private static final int TASKS = 4;
  private static final int SIZE = 10_000_000;
  private static final JobOptions OPTIONS = JobOptions.defaults().withRequiredRole("worker");

  // Kept when a test fails: the node logs are in it.
  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path dir;

  private static List<ChaosTasks.Block> inputs() {
    return IntStream.range(0, TASKS).mapToObj(i -> new ChaosTasks.Block(i, SIZE)).toList();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private LocalCluster startCluster(TestJournal journal) throws Exception {
    Path config = dir.resolve("nodes.conf");
    Files.writeString(config, journal.nodeConfig() + "tessera.persistence.jobs.role = coordinator\n");
    return LocalCluster.startOnFreePorts(LocalCluster.Spec.onFreePorts(2, dir.resolve("logs"))
        .withRoles(List.of("worker", "coordinator"))
        .withExtraNodeArguments(List.of("--config", config.toString())));
  }

  /** This JVM as a client node: submits and reads, coordinates and works on nothing. */
  private static ComputeNode client(LocalCluster cluster, TestJournal journal) {
    Map<String, Object> config = new HashMap<>(journal.clientConfig());
    config.put("tessera.persistence.jobs.role", "coordinator");
    return ComputeNode.joinAsClient(cluster.spec().seedList(), config, Duration.ofSeconds(90));
  }

  private static long query(TestJournal journal, String sql, String parameter) throws Exception {
    try (Connection c = journal.connect(); PreparedStatement q = c.prepareStatement(sql)) {
      q.setString(1, parameter);
      try (ResultSet rows = q.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(TestJournal.Kind.class)
  void aDurableJobWith10MbResultsSurvivesAWholeClusterRestart(TestJournal.Kind kind) throws Exception {
    if (kind == TestJournal.Kind.POSTGRESQL) {
      Assumptions.assumeTrue(TestJournal.postgresUnavailable().isEmpty(), () -> TestJournal.postgresUnavailable().get());
    }
    List<String> expected = new java.util.ArrayList<>();
    for (ChaosTasks.Block input : inputs()) {
      expected.add(sha256(ChaosTasks.blockBytes(input)));
    }
    long started = System.nanoTime();
    TestJournal journal = TestJournal.start(kind, dir.resolve("data"));
    LocalCluster cluster = null;
    try {
      cluster = startCluster(journal);
      LocalCluster first = cluster;
      Await.until("2 nodes Up", Duration.ofSeconds(120), () -> first.view(1).upCount() == 2);
      String jobId;
      System.out.printf("%s: cluster up after %.1f s%n", kind, (System.nanoTime() - started) / 1e9);
      try (ComputeNode client = client(cluster, journal)) {
        DurableJobHandle<byte[]> job = DurableJobs.submit(client.system(), ChaosTasks.LARGE_BLOCK, inputs(), OPTIONS);
        job.submitted().toCompletableFuture().get(60, TimeUnit.SECONDS);
        jobId = job.id();
        Await.until("the job finished", Duration.ofSeconds(180),
            () -> job.status().toCompletableFuture().get(10, TimeUnit.SECONDS).state().equals(JobStatus.FINISHED));
      }

      System.out.printf("%s: job finished after %.1f s%n", kind, (System.nanoTime() - started) / 1e9);
      // The results are beside the journal: every event is small; the table holds 4 x 10 MB.
      String persistenceId = DurableJobCoordinator.persistenceId(jobId).id();
      assertThat(query(journal, "SELECT MAX(OCTET_LENGTH(\"event_payload\")) FROM \"event_journal\""
          + " WHERE \"persistence_id\" = ?", persistenceId)).as("the job's largest event").isLessThan(64 * 1024);
      assertThat(query(journal, "SELECT COUNT(DISTINCT task_id) FROM tessera_job_results WHERE job_id = ?", jobId))
          .isEqualTo(TASKS);
      // Each result is a byte[] as CBOR: 5 bytes of header, then the 10 MB.
      assertThat(query(journal, "SELECT SUM(OCTET_LENGTH(bytes)) FROM tessera_job_results WHERE job_id = ?", jobId))
          .isEqualTo(TASKS * (SIZE + 5L));

      for (int i = 1; i <= 2; i++) {
        cluster.node(i).kill();
      }
      for (int i = 1; i <= 2; i++) {
        assertThat(cluster.node(i).awaitExit(Duration.ofSeconds(30))).as("node %d exited", i).isTrue();
      }
      cluster.close();
      cluster = null;
      journal = journal.restarted();
      cluster = startCluster(journal);
      LocalCluster second = cluster;
      Await.until("2 restarted nodes Up", Duration.ofSeconds(120), () -> second.view(1).upCount() == 2);

      System.out.printf("%s: restarted cluster up after %.1f s%n", kind, (System.nanoTime() - started) / 1e9);
      try (ComputeNode client = client(cluster, journal)) {
        JobResult<byte[]> result = DurableJobs.attach(client.system(), jobId, ChaosTasks.LARGE_BLOCK)
            .result().toCompletableFuture().get(120, TimeUnit.SECONDS);
        assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
        assertThat(result.results()).hasSize(TASKS);
        List<String> read = new java.util.ArrayList<>();
        for (byte[] bytes : result.results()) {
          assertThat(bytes).hasSize(SIZE);
          read.add(sha256(bytes));
        }
        assertThat(read).isEqualTo(expected);
      }
      System.out.printf("%s: results read back after %.1f s%n", kind, (System.nanoTime() - started) / 1e9);
    } finally {
      if (cluster != null) {
        cluster.close();
      }
      journal.close();
    }
  }
}
