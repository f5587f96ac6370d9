package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.chaos.harness.HashChainJob;
import dev.tessera.chaos.harness.JournalProcess;
import dev.tessera.chaos.harness.SshTestHosts;
import dev.tessera.cli.TesseraCommand;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.NodeProcess;
import dev.tessera.runtime.launch.TesseraVersion;
import dev.tessera.runtime.node.ClusterCa;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobHandle;
import dev.tessera.work.JobResult;
import dev.tessera.work.WorkPulling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera up}, {@code down} and {@code logs} against three real SSH hosts: OpenSSH servers
 * in network namespaces ({@link SshTestHosts}), key-only, each installing under a folder of its own.
 * The nodes run the archive {@code mvn package} built, with TLS keys {@code up} issues them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SshClusterTest {

  /** The durable job's size: about a minute and a half of work for three nodes on two shared cores. */
  static final int TASKS = 12_000;

  // Kept when a test fails: the hosts' folders hold their node logs.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) static Path dir;
  static SshTestHosts hosts;
  static Path hostsFile;
  static Path archive;

  @BeforeAll
  static void startHosts() throws Exception {
    Assumptions.assumeTrue(SshTestHosts.unavailable().isEmpty(), () -> "skipped: " + SshTestHosts.unavailable().orElse(""));
    archive = Path.of("../distribution/target/tessera-" + TesseraVersion.version() + ".tar.gz").toAbsolutePath().normalize();
    assertThat(archive).as("the archive (mvn -pl distribution -am package builds it)").isRegularFile();
    hosts = SshTestHosts.start(3, dir.resolve("ssh"));
    // The nodes' task library: this module's test classes (ChaosTasks), on the shared file system.
    String classpath = Path.of("target/test-classes").toAbsolutePath() + ":" + Path.of("target/classes").toAbsolutePath();
    hostsFile = dir.resolve("hosts.conf");
    Files.writeString(hostsFile, String.join("\n",
        "# three test hosts, each a network namespace with its own sshd",
        "defaults " + hosts.sshDefaults() + " java=" + Path.of(System.getProperty("java.home"), "bin", "java")
            + " cluster-name=ssh-test heap=160m classpath=" + classpath,
        hosts.address(1) + " primary,worker dir=" + dir.resolve("host-1"),
        hosts.address(2) + " worker dir=" + dir.resolve("host-2"),
        hosts.address(3) + " worker dir=" + dir.resolve("host-3"),
        ""));
  }

  @AfterAll
  static void stopEverything() throws Exception {
    try {
      if (hosts != null) {
        killNodesUnder(dir);
      }
    } finally {
      if (hosts != null) {
        hosts.close();
      }
    }
  }

  @Test
  @Order(1)
  void upFormsTheClusterRunsAJobAndDownLeavesNoProcess() throws Exception {
    Run up = tessera("up", "--hosts", hostsFile.toString(), "--archive", archive.toString());
    assertThat(up.code()).as(up.output()).isZero();
    assertThat(up.output())
        .contains("cluster formed: 3 of 3 nodes ready and Up")
        .contains(hosts.address(1) + ": copied the archive")
        .contains("made the cluster's CA");
    for (int i = 1; i <= 3; i++) {
      assertThat(up.output()).contains("pekko://ssh-test@" + hosts.address(i) + ":25520");
      assertThat(nodesUnder(dir.resolve("host-" + i))).as("host %d's node", i).hasSize(1);
    }

    // A job on it, from a client that joins with a certificate of the cluster's CA.
    Map<String, Object> config = clientTls();
    List<Integer> inputs = IntStream.range(0, 300).boxed().toList();
    try (ComputeNode submitter = ComputeNode.joinAsClient(List.of(hosts.address(1) + ":25520"), config, Duration.ofSeconds(90))) {
      JobHandle<Long> job = WorkPulling.submit(submitter.system(), ChaosTasks.SLOW_SQUARE, inputs, JobOptions.defaults());
      JobResult<Long> result = job.result().toCompletableFuture().get(120, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(result.results()).isEqualTo(inputs.stream().map(x -> (long) x * x).toList());
    }

    // Up again with nothing changed: every node is left running as it is.
    Run again = tessera("up", "--hosts", hostsFile.toString(), "--archive", archive.toString());
    assertThat(again.code()).as(again.output()).isZero();
    assertThat(again.output()).contains(hosts.address(2) + ": has this archive already")
        .contains(hosts.address(2) + ": already running with this archive, config and key");

    Run logs = tessera("logs", hosts.address(2), "--hosts", hostsFile.toString(), "-n", "200");
    assertThat(logs.code()).as(logs.output()).isZero();
    assertThat(logs.output()).contains("is Up");

    Run down = tessera("down", "--hosts", hostsFile.toString());
    assertThat(down.code()).as(down.output()).isZero();
    assertThat(down.output()).contains("all 3 nodes are down").contains("node stopped (it left the cluster)");
    assertThat(nodesUnder(dir)).as("node processes left behind").isEmpty();
  }

  @Test
  @Order(2)
  void aRollingRestartLosesNoTaskOfADurableJobAndFailsNone() throws Exception {
    tessera("down", "--hosts", hostsFile.toString()); // whatever an earlier test left running
    // A journal all nodes reach: an H2 server on the bridge (the test's own network).
    try (JournalProcess journal = JournalProcess.start(dir.resolve("journal"), hosts.bridgeAddress(), dir.resolve("journal.log"))) {
      Files.writeString(dir.resolve("durable.conf"), journal.nodeConfig() + "tessera.persistence.jobs.role = coordinator\n");
      Path rolling = dir.resolve("hosts-durable.conf");
      Files.writeString(rolling, Files.readString(hostsFile).replace("defaults ", "defaults config=durable.conf "));
      Run up = tessera("up", "--hosts", rolling.toString(), "--archive", archive.toString());
      assertThat(up.code()).as(up.output()).isZero();

      Path work = Files.createDirectories(dir.resolve("executions"));
      List<HashChainJob.Task> inputs = IntStream.range(0, TASKS).mapToObj(i -> new HashChainJob.Task(i, false, work.toString())).toList();
      Map<String, Object> config = new java.util.HashMap<>(clientTls());
      config.put("tessera.persistence.jobs.enabled", true);
      config.put("tessera.persistence.jobs.role", "coordinator");
      config.put("tessera.persistence.jdbc.url", journal.url());
      try (ComputeNode client = ComputeNode.joinAsClient(List.of(hosts.address(1) + ":25520"), config, Duration.ofSeconds(90))) {
        DurableJobHandle<Long> job = DurableJobs.submit(client.system(), HashChainJob.HASH_CHAIN, inputs,
            JobOptions.defaults().withRequiredRole("worker"));
        Await.until("a tenth of the job done", Duration.ofSeconds(120),
            () -> job.progress().toCompletableFuture().get(10, TimeUnit.SECONDS).done() >= TASKS / 10);
        JobProgress before = job.progress().toCompletableFuture().get(10, TimeUnit.SECONDS);

        Run restart = tessera("restart", "--rolling", "--hosts", rolling.toString(), "--archive", archive.toString());
        assertThat(restart.code()).as(restart.output()).isZero();
        System.out.printf("rolling restart of 3 hosts began with the job at %d/%d%n", before.done(), TASKS);
        for (int i = 1; i <= 3; i++) {
          assertThat(restart.output()).contains(hosts.address(i) + ": drained and stopped", hosts.address(i) + ": ready");
        }
        // The client is a member too; the three hosts' nodes are what count.
        assertThat(restart.output()).contains("cluster formed: 3 of 3 nodes ready and Up");
        // Workers first, the primary last.
        assertThat(restart.output().indexOf(hosts.address(1) + ": drained"))
            .isGreaterThan(restart.output().indexOf(hosts.address(3) + ": drained"));

        JobResult<Long> result = job.result().toCompletableFuture().get(300, TimeUnit.SECONDS);
        assertThat(result.succeeded()).as("failures: %s", result.failures()).isTrue();
        assertThat(result.progress().failed()).isZero();
        assertThat(result.progress().done()).isEqualTo(TASKS);
        assertThat(result.results()).isEqualTo(new HashChainJob().reference(inputs, null));
        assertThat(before.done()).as("the job was still running when the restart began").isLessThan(TASKS);
      }
      Run down = tessera("down", "--hosts", rolling.toString());
      assertThat(down.code()).as(down.output()).isZero();
    }
  }

  @Test
  @Order(3)
  void aHostWhoseSshdIsStoppedIsNamedAndTheOthersForm() throws Exception {
    tessera("down", "--hosts", hostsFile.toString()); // whatever an earlier test left running
    hosts.stopServer(3);
    try {
      Run up = tessera("up", "--hosts", hostsFile.toString(), "--archive", archive.toString());
      assertThat(up.code()).as(up.output()).isEqualTo(8);
      assertThat(up.output())
          .contains(hosts.address(3) + ": unreachable: SSH connection refused on port 22 (is sshd running there?)")
          .contains("cluster incomplete: 2 of 3 nodes ready, 2 Up; missing:");
      assertThat(up.output().lines().filter(l -> l.matches("pekko://\\S+\\s+Up\\s+yes.*")).count()).isEqualTo(2);
      Run down = tessera("down", "--hosts", hostsFile.toString());
      assertThat(down.code()).as(down.output()).isEqualTo(8);
      assertThat(nodesUnder(dir)).as("node processes left behind").isEmpty();
    } finally {
      hosts.startServer(3);
    }
  }

  @Test
  @Order(4)
  void aKeyRejectedNoJavaAndATakenPortEachGetOneLineNamingTheHost() throws Exception {
    tessera("down", "--hosts", hostsFile.toString()); // whatever an earlier test left running
    Path strangerKey = dir.resolve("stranger_ed25519");
    Process keygen = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", strangerKey.toString())
        .redirectErrorStream(true).start();
    assertThat(keygen.waitFor(30, TimeUnit.SECONDS) && keygen.exitValue() == 0).as("ssh-keygen").isTrue();
    Path broken = dir.resolve("broken-hosts.conf");
    Files.writeString(broken, Files.readString(hostsFile)
        .replace(hosts.address(1) + " primary,worker ", hosts.address(1) + " primary,worker identity=" + strangerKey + " ")
        .replace(hosts.address(2) + " worker ", hosts.address(2) + " worker java=/nonexistent/jdk/bin/java ")
        .replace(hosts.address(3) + " worker ", hosts.address(3) + " worker cluster-port=25531 "));
    Process holder = hosts.holdPort(3, 25531);
    try {
      Run up = tessera("up", "--hosts", broken.toString(), "--archive", archive.toString());

      assertThat(up.code()).as(up.output()).isEqualTo(8);
      assertThat(up.output())
          .containsPattern(java.util.regex.Pattern.quote(hosts.address(1) + ": rejected the SSH key (") + ".*Permission denied")
          .contains(hosts.address(2) + ": no Java: '/nonexistent/jdk/bin/java' is not a command there")
          .contains(hosts.address(3) + ": port 25531 (cluster-port) taken: another program listens there")
          .contains("cluster incomplete: 0 of 3 nodes ready, 0 Up; missing:");
      assertThat(up.output()).as("nothing copied to a host that failed its probe").doesNotContain("copied the archive");
      assertThat(nodesUnder(dir)).as("node processes").isEmpty();
    } finally {
      holder.destroyForcibly();
      holder.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** The settings of a client node that joins from the bridge with a certificate of the cluster's CA. */
  private static Map<String, Object> clientTls() throws Exception {
    Path client = dir.resolve("certs").resolve(hosts.bridgeAddress());
    if (!Files.exists(client.resolve("node.p12"))) {
      ClusterCa.issue(dir.resolve("certs"), hosts.bridgeAddress(), List.of(), 2);
    }
    return Map.of(
        "tessera.node.host", hosts.bridgeAddress(),
        "tessera.node.cluster-name", "ssh-test",
        "tessera.node.tls.enabled", true,
        "tessera.node.tls.key-store", client.resolve("node.p12").toString(),
        "tessera.node.tls.trust-store", client.resolve("trust.p12").toString(),
        "tessera.node.tls.password", Files.readString(client.resolve(ClusterCa.NODE_PASSWORD)).trim());
  }

  record Run(int code, String output) {}

  /** {@code tessera ARGS} as a process of its own, as a person would run it. */
  private static Run tessera(String... args) throws Exception {
    Path log = Files.createTempFile(dir, "tessera-" + args[0] + "-", ".log");
    NodeProcess process = NodeProcess.start("tessera " + args[0], TesseraCommand.class.getName(), List.of(args), "192m", log);
    try {
      assertThat(process.awaitExit(Duration.ofMinutes(5))).as("tessera %s finished", args[0]).isTrue();
      return new Run(process.exitValue(), process.output());
    } finally {
      process.stop(Duration.ofSeconds(5));
    }
  }

  /** Node processes started from an install under {@code folder} (their command line names it). */
  private static List<ProcessHandle> nodesUnder(Path folder) {
    String name = folder.toAbsolutePath().toString();
    List<ProcessHandle> found = new ArrayList<>();
    ProcessHandle.allProcesses().forEach(p -> p.info().commandLine()
        .filter(c -> c.contains(name) && c.contains("dev.tessera.cli.TesseraCommand node"))
        .ifPresent(c -> found.add(p)));
    return found;
  }

  private static void killNodesUnder(Path folder) {
    nodesUnder(folder).forEach(ProcessHandle::destroyForcibly);
  }
}
