package dev.tessera.chaos;

import com.typesafe.config.ConfigFactory;
import dev.tessera.persistence.checkpoint.Checkpoints;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A deterministic simulation run as its own process by {@link SimulationCrashTest}: heat spreading
 * along a rod, checkpointed every 100 steps; on start it resumes from its latest checkpoint.
 *
 * <pre>java ... CheckpointedRodSimulation DATA_DIR SIMULATION_ID STEPS [HOLD_AT_STEP]</pre>
 *
 * <p>With {@code HOLD_AT_STEP} it stops advancing at that step and waits (to be killed there);
 * otherwise it prints {@code final <sha256>} of the last state and exits 0.
 */
public final class CheckpointedRodSimulation {

  static final int CELLS = 20_000;
  static final int CHECKPOINT_EVERY = 100;

  /** The state saved in each checkpoint. */
  public record State(long step, double[] temperatures) {}

  private CheckpointedRodSimulation() {}

  public static void main(String[] args) throws Exception {
    String dataDir = args[0];
    String simulationId = args[1];
    long steps = Long.parseLong(args[2]);
    long holdAt = args.length > 3 ? Long.parseLong(args[3]) : -1;
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "simulation", ConfigFactory.load(
        ConfigFactory.parseString("tessera.persistence.data-dir = \"" + dataDir + "\"")));
    try {
      Checkpoints checkpoints = Checkpoints.open(system, simulationId).toCompletableFuture().get(60, TimeUnit.SECONDS);
      State state = checkpoints.latest(State.class).toCompletableFuture().get(60, TimeUnit.SECONDS)
          .orElseGet(() -> new State(0, initial(CELLS)));
      System.out.println("resumed from step " + state.step());
      double[] rod = state.temperatures();
      for (long step = state.step() + 1; step <= steps; step++) {
        if (step == holdAt) {
          System.out.println("holding at step " + step);
          Thread.sleep(Long.MAX_VALUE); // until the test kills this process
        }
        rod = advance(rod);
        if (step % CHECKPOINT_EVERY == 0) {
          checkpoints.save(step, new State(step, rod)).toCompletableFuture().get(60, TimeUnit.SECONDS);
          System.out.println("checkpoint " + step);
        }
      }
      System.out.println("final " + sha256(rod));
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  static double[] initial(int cells) {
    double[] t = new double[cells];
    for (int i = 0; i < cells; i++) {
      t[i] = Math.sin(i * 0.01) * 100 + (i % 97);
    }
    return t;
  }

  /** One explicit step of the heat equation; the ends stay at their temperature. */
  static double[] advance(double[] t) {
    double[] next = t.clone();
    for (int i = 1; i < t.length - 1; i++) {
      next[i] = t[i] + 0.25 * (t[i - 1] - 2 * t[i] + t[i + 1]);
    }
    return next;
  }

  /** The exact bits of the state, hashed. */
  static String sha256(double[] values) throws Exception {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * Double.BYTES);
    for (double v : values) {
      bytes.putLong(Double.doubleToRawLongBits(v));
    }
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
  }
}
