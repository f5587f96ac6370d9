package dev.tessera.chaos;

import dev.tessera.runtime.launch.FreePorts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.launch.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `cluster local` as a user runs it: it forms a cluster, reports it, and never leaves a node behind. */
class LocalCommandTest {

  @TempDir Path dir;

  private NodeProcess startLocal(String... extra) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of(
        "local", "--nodes", "2", "--heap", "128m",
        "--base-port", String.valueOf(FreePorts.block(2)), "--http-port", String.valueOf(FreePorts.block(2)),
        "--log-dir", dir.resolve("nodes").toString(), "--data-dir", dir.resolve("data").toString()));
    args.addAll(List.of(extra));
    return NodeProcess.start("cluster local", args, "128m", dir.resolve("local.log"));
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
}
