package dev.tessera.chaos;


import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.cluster.MembersView;
import dev.tessera.runtime.launch.LocalCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real node processes on loopback: one is killed with SIGKILL (a crashed machine) and must be
 * downed and removed by the others, then rejoin when restarted; one is frozen with SIGSTOP and must
 * be removed, then stop itself when it wakes; one is sent SIGTERM and must leave gracefully.
 */
class NodeFailureTest {

  private static final Duration FORM = Duration.ofSeconds(120);
  private static final Duration REMOVAL = Duration.ofSeconds(60);

  @TempDir Path logs;

  /** What `tessera node` logs once ComputeNode.start has returned and the node is Up in its own view. */
  private static final Pattern STARTED = Pattern.compile("node pekko://\\S+ is Up; `tessera status");

  /**
   * Starts three nodes and waits until each of them has finished starting and sees all three Up in
   * its own view. Node 1 seeing a node Up is not enough: node 1 (the leader) moves a joining node to
   * Up without waiting for it to process the Welcome reply to its Join, and until it has, the node
   * is not a member in its own view and cannot leave gracefully (Pekko drops its Leave and finishes
   * the cluster-leave phase at once), so a signal sent then would test something else.
   */
  private LocalCluster startThreeNodes() throws Exception {
    LocalCluster cluster = LocalCluster.startOnFreePorts(LocalCluster.Spec.onFreePorts(3, logs));
    try {
      Await.until("every node has started and sees 3 members Up in its own view", FORM,
          () -> startedAndUpInOwnView(cluster, 1) && startedAndUpInOwnView(cluster, 2) && startedAndUpInOwnView(cluster, 3));
    } catch (AssertionError | Exception e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  private static boolean startedAndUpInOwnView(LocalCluster cluster, int node) throws Exception {
    return cluster.view(node).upCount() == 3 && STARTED.matcher(cluster.node(node).output()).find();
  }

  /** Node 2's output, for failure messages (read when a message is needed). */
  private static String node2Log(LocalCluster cluster) {
    try {
      return "node 2's own log:\n" + cluster.node(2).output();
    } catch (IOException e) {
      return "node 2's log could not be read: " + e;
    }
  }

  private static boolean removed(LocalCluster cluster, int observer, int node) throws Exception {
    MembersView view = cluster.view(observer);
    return view.member(cluster.address(node)).isEmpty();
  }

  @Test
  void killedNodeIsDownedAndRemovedThenRejoinsWhenRestarted() throws Exception {
    try (LocalCluster cluster = startThreeNodes()) {
      cluster.node(3).kill();

      Await.until("node 1 and node 2 have removed the killed node 3", REMOVAL,
          () -> removed(cluster, 1, 3) && removed(cluster, 2, 3));
      for (int survivor : new int[] {1, 2}) {
        MembersView view = cluster.view(survivor);
        assertThat(view.members()).extracting(MembersView.Member::status).containsExactly("Up", "Up");
        assertThat(view.unreachable()).isEmpty();
        assertThat(cluster.node(survivor).isAlive()).isTrue();
      }
      // The split brain resolver downed it: it did not leave on its own.
      String node3 = Pattern.quote(cluster.address(3));
      assertThat(cluster.node(1).output() + cluster.node(2).output())
          .as("the survivors' logs").containsPattern("member pekko://tessera@" + node3 + " is unreachable");
      assertThat(cluster.node(1).output()).containsPattern("member pekko://tessera@" + node3 + " is Removed \\(was Down\\)");

      cluster.startNode(3);

      Await.until("the restarted node 3 is Up again in every view", FORM,
          () -> cluster.view(1).upCount() == 3 && cluster.view(2).upCount() == 3 && cluster.view(3).upCount() == 3);
    }
  }

  @Test
  void frozenNodeIsDownedAndStopsItselfWhenItWakesUp() throws Exception {
    try (LocalCluster cluster = startThreeNodes()) {
      cluster.node(3).freeze(); // SIGSTOP: a hung machine, or a GC pause far beyond any tolerance

      Await.until("node 1 and node 2 have removed the frozen node 3", REMOVAL,
          () -> removed(cluster, 1, 3) && removed(cluster, 2, 3));
      assertThat(cluster.view(1).upCount()).isEqualTo(2);

      cluster.node(3).resume();

      // It must not come back as a zombie member: it learns it was removed and stops, saying why.
      assertThat(cluster.node(3).awaitExit(Duration.ofSeconds(60))).as("node 3 exited after waking up").isTrue();
      assertThat(cluster.node(3).exitValue()).as(cluster.node(3).output()).isEqualTo(5);
      assertThat(cluster.node(3).output()).contains("error: this node was downed by the cluster and stopped; restart it to rejoin");
      assertThat(cluster.view(1).members()).extracting(MembersView.Member::hostPort)
          .containsExactlyInAnyOrder(cluster.address(1), cluster.address(2));
    }
  }

  /**
   * A node that is a member in its own view leaves gracefully on SIGTERM. (One whose Join is still
   * in flight cannot: it stops without leaving and is downed after failure detection; see
   * ComputeNode#leave. startThreeNodes rules that case out.)
   */
  @Test
  void terminatedNodeLeavesGracefully() throws Exception {
    try (LocalCluster cluster = startThreeNodes()) {
      cluster.node(2).terminate();

      try {
        Await.until("node 1 and node 3 have removed node 2", REMOVAL,
            () -> removed(cluster, 1, 2) && removed(cluster, 3, 2));
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "\n" + node2Log(cluster), e);
      }
      assertThat(cluster.node(2).awaitExit(Duration.ofSeconds(30))).as(() -> "node 2 exited; " + node2Log(cluster)).isTrue();
      assertThat(cluster.node(2).exitValue()).as(() -> "exit code after SIGTERM; " + node2Log(cluster)).isEqualTo(143);
      // Left through Leaving/Exiting, not downed after failure detection.
      String node2 = Pattern.quote(cluster.address(2));
      assertThat(cluster.node(1).output())
          .as(() -> "node 1's log; " + node2Log(cluster))
          .containsPattern("member pekko://tessera@" + node2 + " is Removed \\(was Exiting\\)");
      assertThat(cluster.node(1).output())
          .as(() -> "node 1's log; " + node2Log(cluster))
          .doesNotContainPattern("member pekko://tessera@" + node2 + " is unreachable");
      assertThat(cluster.view(1).upCount()).isEqualTo(2);
      assertThat(cluster.view(3).upCount()).isEqualTo(2);
    }
  }
}
