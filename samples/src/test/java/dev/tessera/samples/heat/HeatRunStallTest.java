package dev.tessera.samples.heat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.samples.launch.OneNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
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
    try (ComputeNode node = OneNode.start(dataDir)) { // no node has the tile role
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
