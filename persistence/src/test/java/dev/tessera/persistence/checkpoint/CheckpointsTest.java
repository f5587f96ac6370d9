package dev.tessera.persistence.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.metrics.NodeMetrics;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints in a real journal: the embedded H2 file, written by one actor system and read back
 * by the next, as after a crash or a restart of the node.
 */
class CheckpointsTest {

  @TempDir Path dataDir;

  /** A node's actor system on the journal in {@code dataDir}, with small chunks so states span many. */
  private ActorTestKit node() {
    return node("1 KiB");
  }

  private ActorTestKit node(String chunkSize) {
    // load(overrides): the journal URL in reference.conf is resolved against the data-dir given here.
    return ActorTestKit.create("checkpoints", ConfigFactory.load(ConfigFactory.parseString(
        "tessera.persistence.data-dir = \"" + dataDir.toAbsolutePath() + "\"\n"
            + "tessera.persistence.checkpoint.chunk-size = " + chunkSize + "\n"
            + "tessera.persistence.checkpoint.timeout = 20s\n")));
  }

  private static Checkpoints open(ActorTestKit node, String simulation) throws Exception {
    return Checkpoints.open(node.system(), simulation).toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void theLatestCheckpointSurvivesARestartBitForBitAcrossManyChunks() throws Exception {
    String simulation = "sim-" + UUID.randomUUID();
    byte[] early = new byte[3000];
    byte[] late = new byte[10 * 1024 + 17]; // 11 chunks, the last one short
    new Random(1).nextBytes(early);
    new Random(2).nextBytes(late);
    ActorTestKit first = node();
    try {
      Checkpoints checkpoints = open(first, simulation);
      assertThat(await(checkpoints.latest())).isEmpty();
      await(checkpoints.save(100, early));
      await(checkpoints.save(200, late));
      String metrics = NodeMetrics.get(first.system()).scrape().orElseThrow();
      assertThat(metrics).contains("tessera_checkpoints_saved_total 2.0")
          .contains("tessera_checkpoint_bytes_count 2").contains("tessera_checkpoint_bytes_sum " + (double) (3000 + late.length));
    } finally {
      first.shutdownTestKit();
    }

    ActorTestKit second = node();
    try {
      Optional<Checkpoint> latest = await(open(second, simulation).latest());
      assertThat(latest).isPresent();
      assertThat(latest.get().step()).isEqualTo(200);
      assertThat(latest.get().state()).isEqualTo(late);
      // The journal keeps its highest deleted row (marked deleted) so that sequence numbers are never
      // reused: at most one old chunk stays on disk.
      assertThat(rows("select count(*) from \"event_journal\" where \"persistence_id\" = ? and not \"deleted\"", simulation))
          .as("only the latest checkpoint's chunks are live").isEqualTo(11);
      assertThat(rows("select count(*) from \"event_journal\" where \"persistence_id\" = ?", simulation))
          .as("rows on disk").isEqualTo(12);
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void aHundredMegabyteStateIsSavedAndReadBackInOneMegabyteChunks() throws Exception {
    byte[] state = new byte[100 * 1024 * 1024];
    new Random(3).nextBytes(state);
    String simulation = "big-" + UUID.randomUUID();
    ActorTestKit first = node("1 MiB");
    try {
      await(open(first, simulation).save(1, state));
    } finally {
      first.shutdownTestKit();
    }
    ActorTestKit second = node("1 MiB");
    try {
      Checkpoint latest = await(open(second, simulation).latest()).orElseThrow();
      assertThat(latest.step()).isEqualTo(1);
      assertThat(Arrays.equals(latest.state(), state)).as("100 MB back bit for bit").isTrue();
      assertThat(rows("select count(*) from \"event_journal\" where \"persistence_id\" = ? and not \"deleted\"", simulation))
          .isEqualTo(100);
    } finally {
      second.shutdownTestKit();
    }
  }

  @Test
  void stepsMustIncrease() throws Exception {
    ActorTestKit node = node();
    try {
      Checkpoints checkpoints = open(node, "sim-" + UUID.randomUUID());
      await(checkpoints.save(10, new byte[] {1}));

      assertThatThrownBy(() -> await(checkpoints.save(5, new byte[] {2})))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(CheckpointException.class)
          .hasMessageContaining("checkpoint step 5 of simulation").hasMessageContaining("not after the latest saved step 10");
      assertThat(await(checkpoints.latest()).orElseThrow().state()).containsExactly(1);
    } finally {
      node.shutdownTestKit();
    }
  }

  @Test
  void aDamagedCheckpointIsAnErrorNamingTheSimulationAndStepNeverWrongData() throws Exception {
    String simulation = "sim-" + UUID.randomUUID();
    ActorTestKit node = node();
    try {
      Checkpoints checkpoints = open(node, simulation);
      await(checkpoints.save(7, new byte[4000]));
      // Lose a chunk, as a bad disk or a careless hand might.
      execute("delete from \"event_journal\" where \"persistence_id\" = ? and \"sequence_number\" = 2", simulation);

      assertThatThrownBy(() -> await(checkpoints.latest()))
          .cause().isInstanceOf(CheckpointException.class)
          .hasMessage("the checkpoint of simulation " + simulation + " at step 7 is damaged: "
              + "event 3 is not chunk 1 of step 7");
    } finally {
      node.shutdownTestKit();
    }
  }

  /**
   * A deterministic simulation (heat spreading along a rod) killed mid-run resumes from its latest
   * checkpoint and ends with exactly the state of a run that was never interrupted.
   */
  @Test
  void aSimulationKilledMidRunResumesFromItsCheckpointAndEndsBitForBitEqual() throws Exception {
    int steps = 1000;
    double[] uninterrupted = HeatRod.initial(2000);
    for (int step = 1; step <= steps; step++) {
      uninterrupted = HeatRod.advance(uninterrupted);
    }

    String simulation = "heat-" + UUID.randomUUID();
    ActorTestKit first = node();
    try {
      Checkpoints checkpoints = open(first, simulation);
      double[] rod = HeatRod.initial(2000);
      for (int step = 1; step <= 650; step++) { // the node dies at step 650
        rod = HeatRod.advance(rod);
        if (step % 100 == 0) {
          await(checkpoints.save(step, new HeatRod.State(step, rod)));
        }
      }
    } finally {
      first.shutdownTestKit();
    }

    ActorTestKit second = node();
    try {
      HeatRod.State resumed = await(open(second, simulation).latest(HeatRod.State.class)).orElseThrow();
      assertThat(resumed.step()).isEqualTo(600);
      double[] rod = resumed.temperatures();
      for (long step = resumed.step() + 1; step <= steps; step++) {
        rod = HeatRod.advance(rod);
      }
      assertThat(Arrays.equals(rod, uninterrupted)).as("bit-for-bit equal to the uninterrupted run").isTrue();
    } finally {
      second.shutdownTestKit();
    }
  }

  /** Explicit heat diffusion on a rod with fixed-temperature ends. */
  static final class HeatRod {
    record State(long step, double[] temperatures) {}

    static double[] initial(int cells) {
      double[] t = new double[cells];
      for (int i = 0; i < cells; i++) {
        t[i] = Math.sin(i * 0.01) * 100 + (i % 97);
      }
      return t;
    }

    static double[] advance(double[] t) {
      double[] next = t.clone();
      for (int i = 1; i < t.length - 1; i++) {
        next[i] = t[i] + 0.25 * (t[i - 1] - 2 * t[i] + t[i + 1]);
      }
      return next;
    }
  }

  private long rows(String sql, String simulation) throws Exception {
    try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, CheckpointStore.persistenceIdOf(simulation));
      var result = s.executeQuery();
      result.next();
      return result.getLong(1);
    }
  }

  private void execute(String sql, String simulation) throws Exception {
    try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, CheckpointStore.persistenceIdOf(simulation));
      assertThat(s.executeUpdate()).isEqualTo(1);
    }
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection("jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0", "sa", "");
  }
}
