package dev.tessera.samples.heat;

import dev.tessera.gpu.kernels.Matrix;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a tile's points lie and what it exchanges with its neighbours.
 *
 * <p>A tile holds its <em>interior</em> (the points it computes) and a <em>halo</em> of {@code
 * depth} points of its neighbours on every side that has one (on the plate's edges, the one
 * point of fixed boundary). With its halo at step s, a tile can compute {@code depth} steps on its
 * own: each step spoils one more ring of the halo from the outside in (its outermost ring is never
 * updated), and after {@code depth} steps the spoilage reaches the interior's edge but not the
 * interior. Then the tiles exchange their interiors' edges again, corners included (up to eight
 * neighbours). A deeper halo means fewer exchanges, hence fewer network round trips per step, for
 * a little more arithmetic; the grid is the same, bit for bit, at any depth.
 *
 * <p>Coordinates are the whole grid's (row 0 and column 0 are the plate's boundary).
 */
public final class Halo {

  /** A tile's place in the plate's tiling. */
  public record TileId(int tx, int ty) {}

  /** A rectangle of grid points. */
  public record Rect(int row, int col, int rows, int cols) {
    public Rect {
      if (rows < 0 || cols < 0) {
        throw new IllegalArgumentException("a rectangle of " + rows + " x " + cols + " points");
      }
    }

    public boolean isEmpty() {
      return rows == 0 || cols == 0;
    }

    public int size() {
      return rows * cols;
    }

    /** The points both hold (possibly none). */
    public Rect intersect(Rect other) {
      int r0 = Math.max(row, other.row);
      int c0 = Math.max(col, other.col);
      int r1 = Math.min(row + rows, other.row + other.rows);
      int c1 = Math.min(col + cols, other.col + other.cols);
      return new Rect(r0, c0, Math.max(0, r1 - r0), Math.max(0, c1 - c0));
    }

    boolean contains(Rect other) {
      return other.row >= row && other.col >= col && other.row + other.rows <= row + rows
          && other.col + other.cols <= col + cols;
    }
  }

  private Halo() {}

  /** The points tile {@code id} computes. */
  public static Rect interior(HeatProblem problem, TileId id) {
    int r0 = problem.firstRow(id.ty()) + 1;
    int c0 = problem.firstColumn(id.tx()) + 1;
    return new Rect(r0, c0, problem.firstRow(id.ty() + 1) + 1 - r0, problem.firstColumn(id.tx() + 1) + 1 - c0);
  }

  /** The points tile {@code id} holds: its interior and its halo of {@code depth}. */
  public static Rect region(HeatProblem problem, TileId id, int depth) {
    checkDepth(problem, depth);
    Rect in = interior(problem, id);
    int north = id.ty() > 0 ? depth : 1;
    int south = id.ty() < problem.tilesY() - 1 ? depth : 1;
    int west = id.tx() > 0 ? depth : 1;
    int east = id.tx() < problem.tilesX() - 1 ? depth : 1;
    return new Rect(in.row() - north, in.col() - west, in.rows() + north + south, in.cols() + west + east);
  }

  /** The tiles around {@code id} (up to eight, corners included). */
  public static List<TileId> neighbours(HeatProblem problem, TileId id) {
    List<TileId> found = new ArrayList<>(8);
    for (int dy = -1; dy <= 1; dy++) {
      for (int dx = -1; dx <= 1; dx++) {
        int x = id.tx() + dx;
        int y = id.ty() + dy;
        if ((dx != 0 || dy != 0) && x >= 0 && y >= 0 && x < problem.tilesX() && y < problem.tilesY()) {
          found.add(new TileId(x, y));
        }
      }
    }
    return found;
  }

  /** What tile {@code from} sends {@code to} after each exchange: its interior points in {@code to}'s halo. */
  public static Rect sent(HeatProblem problem, TileId from, TileId to, int depth) {
    return interior(problem, from).intersect(region(problem, to, depth));
  }

  /**
   * The deepest halo this tiling allows: a halo must lie within the neighbouring tiles, so no
   * deeper than the smallest tile's rows and columns.
   */
  public static int deepest(HeatProblem problem) {
    int smallest = Integer.MAX_VALUE;
    for (int ty = 0; ty < problem.tilesY(); ty++) {
      smallest = Math.min(smallest, problem.firstRow(ty + 1) - problem.firstRow(ty));
    }
    for (int tx = 0; tx < problem.tilesX(); tx++) {
      smallest = Math.min(smallest, problem.firstColumn(tx + 1) - problem.firstColumn(tx));
    }
    return smallest;
  }

  /**
   * @throws IllegalArgumentException if {@code depth} is below 1 or deeper than the smallest tile
   */
  public static void checkDepth(HeatProblem problem, int depth) {
    if (depth < 1 || depth > deepest(problem)) {
      throw new IllegalArgumentException("a halo of " + depth + " points does not fit this tiling: it must be 1 to "
          + deepest(problem) + " (the smallest tile's side)");
    }
  }

  /** The points of {@code part} out of {@code m}, which holds the points of {@code at}; row by row. */
  public static float[] cut(Matrix m, Rect at, Rect part) {
    check(m, at, part);
    float[] out = new float[part.size()];
    for (int r = 0; r < part.rows(); r++) {
      System.arraycopy(m.values(), (part.row() - at.row() + r) * m.cols() + part.col() - at.col(), out, r * part.cols(),
          part.cols());
    }
    return out;
  }

  /** A copy of {@code m} (the points of {@code at}) with the points of {@code part} set to {@code values}. */
  public static Matrix paste(Matrix m, Rect at, Rect part, float[] values) {
    check(m, at, part);
    if (values.length != part.size()) {
      throw new IllegalArgumentException(part.rows() + " x " + part.cols() + " points expected, got " + values.length);
    }
    float[] v = m.values().clone();
    for (int r = 0; r < part.rows(); r++) {
      System.arraycopy(values, r * part.cols(), v, (part.row() - at.row() + r) * m.cols() + part.col() - at.col(),
          part.cols());
    }
    return new Matrix(m.rows(), m.cols(), v);
  }

  private static void check(Matrix m, Rect at, Rect part) {
    if (m.rows() != at.rows() || m.cols() != at.cols()) {
      throw new IllegalArgumentException("a " + m.rows() + " x " + m.cols() + " matrix does not hold " + at);
    }
    if (!at.contains(part)) {
      throw new IllegalArgumentException(part + " is not within " + at);
    }
  }

  /** Tile {@code id}'s points of {@code grid} with a halo of {@code depth}, as a seed holds them. */
  public static Matrix tileOf(HeatProblem problem, Matrix grid, TileId id, int depth) {
    Rect region = region(problem, id, depth);
    Rect whole = new Rect(0, 0, grid.rows(), grid.cols());
    return new Matrix(region.rows(), region.cols(), cut(grid, whole, region));
  }

  /** Copies tile {@code id}'s interior points out of {@code tile} (held with a halo of {@code depth}) into {@code grid}. */
  public static void placeTile(HeatProblem problem, float[] grid, TileId id, Matrix tile, int depth) {
    Rect region = region(problem, id, depth);
    Rect in = interior(problem, id);
    float[] points = cut(tile, region, in);
    int cols = problem.width() + 2;
    for (int r = 0; r < in.rows(); r++) {
      System.arraycopy(points, r * in.cols(), grid, (in.row() + r) * cols + in.col(), in.cols());
    }
  }
}
