package dev.tessera.work;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Nodes for the tests of this module: on loopback, every message serialized, no automatic worker. */
final class TestNodes {

  private TestNodes() {}

  /**
   * Starts a node with {@code roles} that joins {@code seeds} (none: it forms a new cluster). The
   * tests start their own task workers, with registries of their own, instead of the one
   * TaskWorkerPlugin would start.
   */
  /** Waits until {@code node} sees {@code count} members Up (at most 60 s). */
  static void awaitUp(ComputeNode node, int count) throws InterruptedException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (node.members().stream().filter(m -> m.status() == org.apache.pekko.cluster.MemberStatus.up()).count()
        < count) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(count + " members Up within 60 s; seen: " + node.members());
      }
      Thread.sleep(50);
    }
  }

  static ComputeNode start(List<String> roles, List<String> seeds) {
    return ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.enabled", false,
        "tessera.node.roles", roles,
        "tessera.node.seeds", seeds,
        "pekko.actor.serialize-messages", "on",
        "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
        "tessera.work-pulling.worker.role", "no-automatic-worker")));
  }
}
