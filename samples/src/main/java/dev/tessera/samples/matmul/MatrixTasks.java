package dev.tessera.samples.matmul;

import dev.tessera.gpu.GpuKernels;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.serialization.CborSerializable;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The block task of the distributed matrix multiply: one block of C = A x B, computed from A's
 * block row and B's block column through the node's {@link Kernels} (its GPU where it has one,
 * OpenBLAS on the CPU elsewhere).
 *
 * <p>A and B are defined by a seed: element (i, j) is a hash of (seed, matrix, i, j), uniform in
 * [-0.5, 0.5). So any node makes exactly the panels it needs, and only block coordinates travel to
 * it (in real use the panels would be read from shared storage, or sent in pieces); the C block
 * travels back.
 */
public final class MatrixTasks implements TaskLibrary {

  /** Which matrices: C = A (n x k) times B (k x m), A and B made from {@code seed}. */
  public record Problem(long seed, int n, int k, int m) implements CborSerializable {
    public Problem {
      if (n < 1 || k < 1 || m < 1) {
        throw new IllegalArgumentException("matrix sizes must be positive, got " + n + " x " + k + " times " + k + " x " + m);
      }
    }

    /** Element (i, j) of A ({@code matrix} 0) or B ({@code matrix} 1). */
    public float element(int matrix, int i, int j) {
      long x = seed ^ ((long) matrix << 62) ^ ((long) i << 31) ^ j;
      // SplitMix64's finaliser: every bit of the index moves every bit of the value.
      x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
      x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
      x = x ^ (x >>> 31);
      return (x >>> 40) / (float) (1 << 24) - 0.5f;
    }

    /** Rows {@code from..to-1} of A, all k columns. */
    public Matrix aRows(int from, int to) {
      float[] values = new float[(to - from) * k];
      for (int i = from; i < to; i++) {
        for (int p = 0; p < k; p++) {
          values[(i - from) * k + p] = element(0, i, p);
        }
      }
      return new Matrix(to - from, k, values);
    }

    /** Columns {@code from..to-1} of B, all k rows. */
    public Matrix bColumns(int from, int to) {
      float[] values = new float[k * (to - from)];
      for (int p = 0; p < k; p++) {
        for (int j = from; j < to; j++) {
          values[p * (to - from) + (j - from)] = element(1, p, j);
        }
      }
      return new Matrix(k, to - from, values);
    }
  }

  /** The block of C at block row {@code blockRow}, block column {@code blockColumn}, blocks of {@code size}. */
  public record Block(Problem problem, int blockRow, int blockColumn, int size) implements CborSerializable {
    public int firstRow() {
      return blockRow * size;
    }

    public int rows() {
      return Math.min(size, problem.n() - firstRow());
    }

    public int firstColumn() {
      return blockColumn * size;
    }

    public int columns() {
      return Math.min(size, problem.m() - firstColumn());
    }
  }

  /** A computed block of C, and what computed it. */
  public record BlockProduct(int blockRow, int blockColumn, int rows, int columns, float[] values, String computedBy)
      implements CborSerializable {}

  public static final TaskType<Block, BlockProduct> MULTIPLY_BLOCK =
      TaskType.of("samples.multiply-block", Block.class, BlockProduct.class);

  @Override
  public void register(TaskRegistry.Builder registry, ActorSystem<?> system) {
    registry.register(MULTIPLY_BLOCK, block -> multiply(block, GpuKernels.get(system).kernels()));
  }

  /** Computes one block with {@code kernels}. */
  public static BlockProduct multiply(Block block, Kernels kernels) {
    Problem problem = block.problem();
    Matrix a = problem.aRows(block.firstRow(), block.firstRow() + block.rows());
    Matrix b = problem.bColumns(block.firstColumn(), block.firstColumn() + block.columns());
    Matrix c = kernels.multiply(a, b);
    return new BlockProduct(block.blockRow(), block.blockColumn(), c.rows(), c.cols(), c.values(), kernels.describe());
  }
}
