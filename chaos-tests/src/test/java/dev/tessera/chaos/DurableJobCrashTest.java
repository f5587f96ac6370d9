package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.cli.TesseraCommand;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Durable jobs across real node processes sharing one journal (an H2 server in this JVM, as {@code
 * cluster local} runs it, or PostgreSQL): the node coordinating a job is killed with SIGKILL; every node is
 * killed and restarted. Each time the job finishes with every result exactly once, equal to the
 * fault-free answer, and tasks committed before a crash are not run again.
 */
class DurableJobCrashTest {

  private static final int TASKS = 3_000;
  private static final JobOptions OPTIONS = JobOptions.defaults().withRequiredRole("worker");

  // Kept when a test fails: the node logs are in it.
  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path dir;

  private record Setup(TestJournal journal, LocalCluster cluster, Map<String, Object> clientConfig) {}

  private Setup start(TestJournal.Kind kind) throws Exception {
    if (kind == TestJournal.Kind.POSTGRESQL) {
      Assumptions.assumeTrue(TestJournal.postgresUnavailable().isEmpty(), () -> TestJournal.postgresUnavailable().get());
    }
    TestJournal journal = TestJournal.start(kind, dir.resolve("data"));
    Path config = dir.resolve("nodes.conf");
    Files.writeString(config, journal.nodeConfig() + "tessera.persistence.jobs.role = coordinator\n");
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(3, dir.resolve("logs"))
        .withRoles(List.of("worker", "coordinator"))
        .withExtraNodeArguments(List.of("--config", config.toString()));
    LocalCluster cluster;
    try {
      cluster = LocalCluster.startOnFreePorts(spec);
    } catch (IOException | RuntimeException e) {
      journal.close();
      throw e;
    }
    Map<String, Object> client = new HashMap<>(journal.clientConfig());
    client.put("tessera.persistence.jobs.role", "coordinator");
    return new Setup(journal, cluster, client);
  }

  /** This JVM as a client node: submits and watches, coordinates and works on nothing. */
  private static ComputeNode client(Setup setup) {
    return ComputeNode.joinAsClient(setup.cluster().spec().seedList(), setup.clientConfig(), Duration.ofSeconds(90));
  }

  private List<ChaosTasks.Counted> inputs(Path executions) {
    return IntStream.range(0, TASKS).mapToObj(i -> new ChaosTasks.Counted(i, executions.toString())).toList();
  }

  private static List<Long> squares() {
    return IntStream.range(0, TASKS).mapToObj(i -> (long) i * i).toList();
  }

  /** How often each task ran, from the execution logs of the given node processes (all if null). */
  private static Map<Integer, Integer> executions(Path executions, List<Long> pids) throws IOException {
    Map<Integer, Integer> counts = new HashMap<>();
    try (Stream<Path> files = Files.list(executions)) {
      for (Path file : files.toList()) {
        long pid = Long.parseLong(file.getFileName().toString().replaceAll("\\D", ""));
        if (pids == null || pids.contains(pid)) {
          Files.readAllLines(file).forEach(line -> counts.merge(Integer.parseInt(line.trim()), 1, Integer::sum));
        }
      }
    }
    return counts;
  }

  private static int nodeRunning(LocalCluster cluster, JobStatus status) {
    for (int i = 1; i <= cluster.spec().nodes(); i++) {
      if (status.coordinatorNode().endsWith(":" + cluster.spec().port(i))) {
        return i;
      }
    }
    throw new AssertionError("the coordinator runs on none of the node processes: " + status.coordinatorNode());
  }

  @ParameterizedTest
  @EnumSource(TestJournal.Kind.class)
  void killingTheCoordinatorsNodeLosesNothingAndDoesNothingTwice(TestJournal.Kind kind) throws Exception {
    Setup setup = start(kind);
    try (TestJournal journal = setup.journal(); LocalCluster cluster = setup.cluster()) {
      Await.until("3 nodes Up", Duration.ofSeconds(120), () -> cluster.view(1).upCount() == 3);
      Path executions = Files.createDirectories(dir.resolve("executions"));
      try (ComputeNode client = client(setup)) {
        DurableJobHandle<Long> job = DurableJobs.submit(client.system(), ChaosTasks.COUNTED_SQUARE, inputs(executions), OPTIONS);
        job.submitted().toCompletableFuture().get(60, TimeUnit.SECONDS);
        Await.until("a quarter of the job done", Duration.ofSeconds(120),
            () -> job.progress().toCompletableFuture().get(10, TimeUnit.SECONDS).done() >= TASKS / 4);
        JobStatus before = job.status().toCompletableFuture().get(10, TimeUnit.SECONDS);
        int victim = nodeRunning(cluster, before);
        cluster.node(victim).kill();
        long killed = System.nanoTime();

        Await.until("the job runs again on another node", Duration.ofSeconds(120), () -> {
          JobStatus now = job.status().toCompletableFuture().get(5, TimeUnit.SECONDS);
          return !now.coordinatorNode().endsWith(":" + cluster.spec().port(victim))
              && now.progress().done() > before.progress().done();
        });
        System.out.printf("%s: coordinator kill -> progress on another node: %.1f s%n", kind, (System.nanoTime() - killed) / 1e9);

        JobResult<Long> result = job.result().toCompletableFuture().get(180, TimeUnit.SECONDS);
        assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
        assertThat(result.results()).isEqualTo(squares());
        assertThat(result.progress().done()).isEqualTo(TASKS);
        Map<Integer, Integer> ran = executions(executions, null);
        assertThat(ran.keySet()).as("every task ran").hasSize(TASKS);

        if (kind == TestJournal.Kind.H2_SERVER) {
          // Operations, as a user runs them: list the job, purge it, see it gone.
          String list = jobsCommand(cluster, "list");
          assertThat(list).containsPattern(job.id() + "\\s+finished\\s+" + TASKS + "/" + TASKS + "\\s+0\\s");
          assertThat(jobsCommand(cluster, "purge", "--older-than", "0s")).contains("purged " + job.id(), "1 jobs purged");
          assertThat(jobsCommand(cluster, "list")).doesNotContain(job.id()).contains("0 jobs");
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(TestJournal.Kind.class)
  void aWholeClusterRestartResumesTheJobWithoutRerunningCommittedTasks(TestJournal.Kind kind) throws Exception {
    Setup setup = start(kind);
    try (TestJournal journal = setup.journal(); LocalCluster cluster = setup.cluster()) {
      Await.until("3 nodes Up", Duration.ofSeconds(120), () -> cluster.view(1).upCount() == 3);
      Path executions = Files.createDirectories(dir.resolve("executions"));
      String jobId;
      int doneBefore;
      try (ComputeNode client = client(setup)) {
        DurableJobHandle<Long> job = DurableJobs.submit(client.system(), ChaosTasks.COUNTED_SQUARE, inputs(executions), OPTIONS);
        job.submitted().toCompletableFuture().get(60, TimeUnit.SECONDS);
        jobId = job.id();
        Await.until("a third of the job done", Duration.ofSeconds(120),
            () -> job.progress().toCompletableFuture().get(10, TimeUnit.SECONDS).done() >= TASKS / 3);
        doneBefore = job.progress().toCompletableFuture().get(10, TimeUnit.SECONDS).done();
      } // the client leaves: only the three nodes remain

      for (int i = 1; i <= 3; i++) {
        cluster.node(i).kill();
      }
      for (int i = 1; i <= 3; i++) {
        assertThat(cluster.node(i).awaitExit(Duration.ofSeconds(30))).isTrue();
      }
      List<Long> firstRun = executions(executions, null).isEmpty() ? List.of() : pidsOf(executions);
      for (int i = 1; i <= 3; i++) {
        cluster.startNode(i);
      }
      Await.until("3 restarted nodes Up", Duration.ofSeconds(120), () -> cluster.view(1).upCount() == 3);

      try (ComputeNode client = client(setup)) {
        DurableJobHandle<Long> job = DurableJobs.attach(client.system(), jobId, ChaosTasks.COUNTED_SQUARE);
        JobResult<Long> result = job.result().toCompletableFuture().get(240, TimeUnit.SECONDS);
        assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
        assertThat(result.results()).isEqualTo(squares());
        assertThat(result.progress().done()).isEqualTo(TASKS);
      }
      List<Long> secondRun = pidsOf(executions).stream().filter(pid -> !firstRun.contains(pid)).toList();
      Map<Integer, Integer> after = executions(executions, secondRun);
      Map<Integer, Integer> all = executions(executions, null);
      assertThat(all.keySet()).as("every task ran").hasSize(TASKS);
      assertThat(after).as("the restarted nodes ran the rest of the job").isNotEmpty();
      assertThat(after.size())
          .as("tasks run after the restart: at most those not committed before it (%d were)", doneBefore)
          .isLessThanOrEqualTo(TASKS - doneBefore);
    }
  }

  /** Runs {@code cluster jobs ...} in a process of its own, as a user would; returns its output. */
  private String jobsCommand(LocalCluster cluster, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("jobs"));
    command.addAll(List.of(args));
    command.addAll(List.of("--seeds", cluster.spec().seeds(), "--config", dir.resolve("nodes.conf").toString()));
    dev.tessera.runtime.launch.NodeProcess process = dev.tessera.runtime.launch.NodeProcess.start(
        "jobs " + args[0], TesseraCommand.class.getName(), command, "128m", dir.resolve("jobs-" + System.nanoTime() + ".log"));
    try {
      assertThat(process.awaitExit(Duration.ofSeconds(90))).as("jobs %s exited", args[0]).isTrue();
      assertThat(process.exitValue()).as(process.output()).isZero();
      return process.output();
    } finally {
      process.stop(Duration.ofSeconds(5));
    }
  }

  private static List<Long> pidsOf(Path executions) throws IOException {
    try (Stream<Path> files = Files.list(executions)) {
      return files.map(f -> Long.parseLong(f.getFileName().toString().replaceAll("\\D", ""))).toList();
    }
  }
}
