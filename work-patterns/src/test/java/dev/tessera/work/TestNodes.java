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
