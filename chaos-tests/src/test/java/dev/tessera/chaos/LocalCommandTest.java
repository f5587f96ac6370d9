package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.cli.TesseraCommand;
import dev.tessera.runtime.launch.FreePorts;
import dev.tessera.runtime.launch.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `tessera local` as a user runs it: it forms a cluster, reports it, and never leaves a node behind. */
class LocalCommandTest {

  @TempDir Path dir;

  private NodeProcess startLocal(String... extra) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of(
        "local", "--nodes", "2", "--heap", "128m",
        "--base-port", String.valueOf(FreePorts.block(2)), "--http-port", String.valueOf(FreePorts.block(2)),
        "--log-dir", dir.resolve("nodes").toString(), "--data-dir", dir.resolve("data").toString()));
    args.addAll(List.of(extra));
    return NodeProcess.start("cluster local", TesseraCommand.class.getName(), args, "128m", dir.resolve("local.log"));
  }

  private static void assertAllGone(List<ProcessHandle> nodes) throws InterruptedException {
    Await.until("every node process has exited", Duration.ofSeconds(30),
        () -> nodes.stream().noneMatch(ProcessHandle::isAlive));
  }

  @Test
  void reportsMembershipAsItConvergesAndStopsItsNodesWhenFormed() throws Exception {
    NodeProcess local = startLocal("--exit-when-formed");
    List<ProcessHandle> nodes = List.of();
    try {
      assertThat(local.awaitOutput(Pattern.compile("1 members, 1 Up"), Duration.ofSeconds(90))).isTrue();
      nodes = local.descendants();

      assertThat(local.awaitExit(Duration.ofSeconds(120))).as("local exited").isTrue();
      assertThat(local.exitValue()).as(local.output()).isZero();
      assertThat(local.output())
          .contains("cluster formed: 2 nodes Up")
          .containsPattern("journal: H2 server on 127\\.0\\.0\\.1:\\d+")
          .containsPattern("2 members, 2 Up: 127\\.0\\.0\\.1:\\d+ Up, 127\\.0\\.0\\.1:\\d+ Up")
          .contains("all nodes stopped");
      assertThat(nodes).as("node processes seen while forming").isNotEmpty();
      assertAllGone(nodes);
    } finally {
      local.stop(Duration.ofSeconds(20));
      nodes.forEach(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void stoppingTheLauncherStopsEveryNode() throws Exception {
    NodeProcess local = startLocal();
    List<ProcessHandle> nodes = List.of();
    try {
      assertThat(local.awaitOutput(Pattern.compile("cluster formed: 2 nodes Up"), Duration.ofSeconds(120)))
          .as(local.output()).isTrue();
      nodes = local.descendants();
      assertThat(nodes).hasSize(2);

      local.terminate(); // what Ctrl-C does: the shutdown hook stops the nodes

      assertThat(local.awaitExit(Duration.ofSeconds(60))).as("local exited").isTrue();
      assertAllGone(nodes);
      assertThat(local.output()).contains("stopping 2 nodes...").contains("all nodes stopped");
    } finally {
      local.stop(Duration.ofSeconds(20));
      nodes.forEach(ProcessHandle::destroyForcibly);
    }
  }

  @Test
  void killingTheLauncherWithSigkillStopsEveryNodeWithinFiveSeconds() throws Exception {
    NodeProcess local = startLocal();
    List<ProcessHandle> nodes = List.of();
    try {
      assertThat(local.awaitOutput(Pattern.compile("cluster formed: 2 nodes Up"), Duration.ofSeconds(120)))
          .as(local.output()).isTrue();
      nodes = local.descendants();
      assertThat(nodes).hasSize(2);
      List<ProcessHandle> orphans = nodes;

      local.kill(); // no shutdown hook runs: only the nodes' watch on their parent can stop them
      long killed = System.nanoTime();
      Await.until("every node process has exited", Duration.ofSeconds(30),
          () -> orphans.stream().noneMatch(ProcessHandle::isAlive));
      Duration gone = Duration.ofNanos(System.nanoTime() - killed);

      System.out.printf("node processes gone %d ms after their parent's SIGKILL%n", gone.toMillis());
      assertThat(gone).as(() -> "time from the launcher's SIGKILL until its last node exited; node logs:\n"
              + nodeLogTails()).isLessThan(Duration.ofSeconds(5));
    } finally {
      local.stop(Duration.ofSeconds(20));
      nodes.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private String nodeLogTails() {
    StringBuilder tails = new StringBuilder();
    try (java.util.stream.Stream<Path> logs = java.nio.file.Files.list(dir.resolve("nodes"))) {
      for (Path log : logs.sorted().toList()) {
        List<String> lines = java.nio.file.Files.readAllLines(log);
        tails.append("== ").append(log.getFileName()).append('\n');
        lines.subList(Math.max(0, lines.size() - 12), lines.size()).forEach(l -> tails.append(l).append('\n'));
      }
    } catch (java.io.IOException e) {
      tails.append("(logs unreadable: ").append(e).append(')');
    }
    return tails.toString();
  }
}
