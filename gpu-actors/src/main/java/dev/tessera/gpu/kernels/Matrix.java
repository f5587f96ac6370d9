package dev.tessera.gpu.kernels;

import java.util.Objects;

/**
 * A dense float32 matrix in row-major order: element (i, j) is {@code values[i * cols + j]}.
 *
 * <p>The array is shared, not copied: kernels never write into a matrix they were given, they
 * return a new one, so a caller may keep using its inputs.
 */
public record Matrix(int rows, int cols, float[] values) {

  public Matrix {
    if (rows < 1 || cols < 1) {
      throw new IllegalArgumentException("a matrix needs at least one row and one column, got " + rows + " x " + cols);
    }
    Objects.requireNonNull(values, "values");
    if ((long) rows * cols != values.length) {
      throw new IllegalArgumentException(
          "a " + rows + " x " + cols + " matrix needs " + (long) rows * cols + " values, got " + values.length);
    }
  }

  /** A matrix of zeros. */
  public static Matrix zeros(int rows, int cols) {
    if ((long) rows * cols > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException(rows + " x " + cols + " is too large for one Java array");
    }
    return new Matrix(rows, cols, new float[Math.max(0, rows * cols)]);
  }

  public float get(int row, int col) {
    return values[row * cols + col];
  }

  /** The number of elements. */
  public int size() {
    return values.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Matrix m && rows == m.rows && cols == m.cols && java.util.Arrays.equals(values, m.values);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * rows + cols) + java.util.Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "Matrix[" + rows + " x " + cols + "]";
  }
}
