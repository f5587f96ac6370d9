package dev.tessera.samples.heat;

import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.runtime.serialization.CborSerializable;

/**
 * A 2D heat-diffusion (Laplace, Jacobi iteration) problem on a plate: {@code width x height}
 * interior points inside a ring of fixed boundary temperatures, cut into {@code tilesX x tilesY}
 * tiles (as even as the sizes allow).
 *
 * <p>Grids are row-major {@link Matrix}es of {@code (height + 2) x (width + 2)}: row 0 and column
 * 0 are the boundary, interior point (r, c) is at (r + 1, c + 1). What a tile holds and sends is
 * in {@link Halo}.
 */
public record HeatProblem(int width, int height, int tilesX, int tilesY, Boundary boundary) implements CborSerializable {

  /** The plate's fixed edge temperatures. */
  public enum Boundary {
    /** The top edge at {@link #HOT}, the other three at 0: the classic picture. */
    HOT_TOP_EDGE,
    /**
     * Every edge at {@code HOT * x / (width + 1)} (x the column): the steady state is the same linear
     * ramp everywhere, exactly, on the discrete grid too (the stencil's mean of a linear function
     * is itself), which makes it a test of convergence.
     */
    LINEAR_IN_X
  }

  /** The hot edge's temperature. */
  public static final float HOT = 100f;

  public HeatProblem {
    if (width < 1 || height < 1) {
      throw new IllegalArgumentException("the plate needs at least 1 x 1 interior points, got " + width + " x " + height);
    }
    if (tilesX < 1 || tilesY < 1 || tilesX > width || tilesY > height) {
      throw new IllegalArgumentException(tilesX + " x " + tilesY + " tiles do not fit " + width + " x " + height + " points");
    }
    if ((long) (width + 2) * (height + 2) > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(width + " x " + height + " is too large for one grid");
    }
    java.util.Objects.requireNonNull(boundary, "boundary");
  }

  /** The grid at step 0: the boundary set, the interior at 0. */
  public Matrix initialGrid() {
    int cols = width + 2;
    int rows = height + 2;
    float[] values = new float[rows * cols];
    for (int c = 0; c < cols; c++) {
      values[c] = edge(0, c);
      values[(rows - 1) * cols + c] = edge(rows - 1, c);
    }
    for (int r = 0; r < rows; r++) {
      values[r * cols] = edge(r, 0);
      values[r * cols + cols - 1] = edge(r, cols - 1);
    }
    return new Matrix(rows, cols, values);
  }

  private float edge(int row, int col) {
    return switch (boundary) {
      case HOT_TOP_EDGE -> row == 0 && col > 0 && col < width + 1 ? HOT : 0f;
      case LINEAR_IN_X -> HOT * col / (width + 1);
    };
  }

  /** First interior row of tile row {@code ty} (interior coordinates). */
  public int firstRow(int ty) {
    return (int) ((long) height * ty / tilesY);
  }

  /** First interior column of tile column {@code tx}. */
  public int firstColumn(int tx) {
    return (int) ((long) width * tx / tilesX);
  }

  /** The sum of every interior point: the plate's heat, up to a constant. */
  public static double heat(Matrix grid) {
    double sum = 0;
    for (int r = 1; r < grid.rows() - 1; r++) {
      for (int c = 1; c < grid.cols() - 1; c++) {
        sum += grid.values()[r * grid.cols() + c];
      }
    }
    return sum;
  }
}
