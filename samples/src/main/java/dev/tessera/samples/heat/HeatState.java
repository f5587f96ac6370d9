package dev.tessera.samples.heat;

import dev.tessera.gpu.kernels.Matrix;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The whole plate at one step: what a checkpoint holds and what a run ends with. The tiling is not
 * part of it (a grid computed with any tiling is the same, bit for bit), so a run may resume on
 * more or fewer tiles than it started with.
 */
public record HeatState(HeatProblem problem, long step, Matrix grid) {

  public HeatState {
    Objects.requireNonNull(problem, "problem");
    Objects.requireNonNull(grid, "grid");
    if (step < 0) {
      throw new IllegalArgumentException("step " + step + " is negative");
    }
    if (grid.rows() != problem.height() + 2 || grid.cols() != problem.width() + 2) {
      throw new IllegalArgumentException("a " + problem.width() + " x " + problem.height() + " plate's grid is "
          + (problem.height() + 2) + " x " + (problem.width() + 2) + " with its boundary, got " + grid.rows() + " x " + grid.cols());
    }
  }

  /** Step 0 of {@code problem}. */
  public static HeatState initial(HeatProblem problem) {
    return new HeatState(problem, 0, problem.initialGrid());
  }

  /** Whether {@code other} describes the same plate (size and boundary; the tiling may differ). */
  public boolean samePlate(HeatProblem other) {
    return problem.width() == other.width() && problem.height() == other.height() && problem.boundary() == other.boundary();
  }

  /** SHA-256 of the grid's exact bits (every point's float, big-endian, row by row), in hex. */
  public String sha256() {
    ByteBuffer bytes = ByteBuffer.allocate(grid.size() * Float.BYTES);
    for (float v : grid.values()) {
      bytes.putInt(Float.floatToRawIntBits(v));
    }
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
  }
}
