package dev.tessera.samples.heat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run whose tiles never answer (here: no node has the tile role) rolls back after the stall
 * timeout, again and again, and then fails with a message that says so, instead of waiting for
 * ever; its checkpoint is kept.
 */
class HeatRunStallTest {

  @TempDir
  Path dataDir;

  @Test
  void tilesThatNeverAnswerEndTheRunAfterAFewRollbacksWithAClearError() throws Exception {
    try (ComputeNode node = ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.enabled", false,
        "tessera.node.roles", List.of("client"),
        "tessera.node.seeds", List.of(),
        "tessera.gpu.mode", "off",
        "tessera.persistence.data-dir", dataDir.toAbsolutePath().toString(),
        "tessera.samples.heat.tile-role", "no-node-has-this")))) {
      node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
      HeatProblem problem = new HeatProblem(20, 10, 2, 1, HeatProblem.Boundary.HOT_TOP_EDGE);
      HeatRun.Plan plan = new HeatRun.Plan("stalled", problem, 2, 100, 50, 0, dataDir.resolve("frames"),
          Duration.ofMillis(100), Duration.ofMillis(300));
      ByteArrayOutputStream printed = new ByteArrayOutputStream();

      long started = System.nanoTime();
      assertThatThrownBy(() -> HeatSimulation.run(node.system(), plan, new PrintStream(printed, true, StandardCharsets.UTF_8)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("run stalled: " + HeatRun.MAX_ROLLBACKS_WITHOUT_PROGRESS + " rollbacks from step 0 without getting further")
          .hasMessageContaining("no tile has answered for 0.3 s");
      // Six stall timeouts of 0.3 s (checked every 0.5 s): seconds, not for ever.
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }
  }
}
