package dev.tessera.samples.heat;

import dev.tessera.gpu.kernels.Matrix;
import java.util.Optional;

/**
 * A tile's halo exchange: what it sends each neighbour (its own edge points on that side) and
 * what it does with what it receives (its halo on that side). A tile with its halo refreshed from
 * its neighbours' step-s edges computes step s + 1 exactly as the whole plate would.
 */
public final class Halo {

  /** The four sides of a tile; rows grow southwards. */
  public enum Side {
    NORTH, SOUTH, WEST, EAST;

    public Side opposite() {
      return switch (this) {
        case NORTH -> SOUTH;
        case SOUTH -> NORTH;
        case WEST -> EAST;
        case EAST -> WEST;
      };
    }
  }

  /** A tile's place in the plate's tiling. */
  public record TileId(int tx, int ty) {
    /** The neighbour on {@code side}, if the plate goes on there. */
    public Optional<TileId> neighbour(Side side, HeatProblem problem) {
      int x = tx + (side == Side.EAST ? 1 : side == Side.WEST ? -1 : 0);
      int y = ty + (side == Side.SOUTH ? 1 : side == Side.NORTH ? -1 : 0);
      return x < 0 || y < 0 || x >= problem.tilesX() || y >= problem.tilesY() ? Optional.empty() : Optional.of(new TileId(x, y));
    }
  }

  private Halo() {}

  /** The tile's own edge points on {@code side}: what its neighbour there needs as halo. */
  public static float[] edge(Matrix tile, Side side) {
    int rows = tile.rows();
    int cols = tile.cols();
    float[] v = tile.values();
    return switch (side) {
      case NORTH -> java.util.Arrays.copyOfRange(v, cols + 1, 2 * cols - 1);
      case SOUTH -> java.util.Arrays.copyOfRange(v, (rows - 2) * cols + 1, (rows - 1) * cols - 1);
      case WEST, EAST -> {
        int col = side == Side.WEST ? 1 : cols - 2;
        float[] edge = new float[rows - 2];
        for (int r = 1; r < rows - 1; r++) {
          edge[r - 1] = v[r * cols + col];
        }
        yield edge;
      }
    };
  }

  /**
   * A copy of {@code tile} with its halo on {@code side} replaced by {@code points} (the
   * neighbour's edge on the opposite side).
   *
   * @throws IllegalArgumentException if the neighbour's edge does not have this tile's length there
   */
  public static Matrix withHalo(Matrix tile, Side side, float[] points) {
    int rows = tile.rows();
    int cols = tile.cols();
    int expected = side == Side.NORTH || side == Side.SOUTH ? cols - 2 : rows - 2;
    if (points.length != expected) {
      throw new IllegalArgumentException("a " + side + " halo of this tile has " + expected + " points, got " + points.length);
    }
    float[] v = tile.values().clone();
    switch (side) {
      case NORTH -> System.arraycopy(points, 0, v, 1, cols - 2);
      case SOUTH -> System.arraycopy(points, 0, v, (rows - 1) * cols + 1, cols - 2);
      case WEST, EAST -> {
        int col = side == Side.WEST ? 0 : cols - 1;
        for (int r = 1; r < rows - 1; r++) {
          v[r * cols + col] = points[r - 1];
        }
      }
    }
    return new Matrix(rows, cols, v);
  }
}
