package dev.tessera.samples.matmul;

import dev.tessera.gpu.GpuKernels;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.serialization.CborSerializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The block task of the distributed matrix multiply: one block of C = A x B, computed from one row
 * panel of A and one column panel of B through the node's {@link Kernels} (its GPU where it has
 * one, OpenBLAS on the CPU elsewhere).
 *
 * <p>The submitter puts each panel in the object store once; a task receives refs to its two
 * panels and fetches them, and the node keeps what it fetched for the rest of the job, so a panel
 * crosses the network at most once per node however many of the node's tasks use it (and is read
 * into an array once per node: {@link PanelCache}). The block of C travels back as the task's
 * result: larger than a message, it is stored on the worker's node and fetched by the submitter.
 *
 * <p>Matrices travel as raw float32, little-endian, row-major ({@link #toBytes}): 4 bytes an
 * element, copied in and out of arrays in bulk. A {@code float[]} through Jackson's CBOR takes 5
 * bytes an element, written and parsed one number at a time, several times slower.
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

  /** A matrix in the object store, as {@link #toBytes} writes it. */
  public record StoredMatrix(DataRef<byte[]> ref, int rows, int cols) implements CborSerializable {
    public StoredMatrix {
      if (ref.size() != 4L * rows * cols) {
        throw new IllegalArgumentException("a " + rows + " x " + cols + " matrix is " + 4L * rows * cols
            + " bytes, the object " + ref.id() + " holds " + ref.size());
      }
    }
  }

  /**
   * The block of C whose top left element is ({@code firstRow}, {@code firstColumn}): A's row
   * panel {@code a} (rows x k) times B's column panel {@code b} (k x columns).
   */
  public record Block(int firstRow, int firstColumn, StoredMatrix a, StoredMatrix b) implements CborSerializable {}

  /**
   * A computed block of C, what computed it, and how long the task spent fetching its panels (and
   * reading them into arrays) and multiplying them.
   *
   * @param block the block, put in the object store of the node that computed it ({@link #toBytes}'s
   *     layout); the submitter reads it from there and releases it
   */
  public record BlockProduct(int firstRow, int firstColumn, StoredMatrix block, String computedBy, long fetchNanos,
      long multiplyNanos) implements CborSerializable {}

  public static final TaskType<Block, BlockProduct> MULTIPLY_BLOCK =
      TaskType.of("samples.multiply-block", Block.class, BlockProduct.class);

  @Override
  public void register(TaskRegistry.Builder registry, ActorSystem<?> system) {
    // A quarter of the heap: MatrixMultiply.nodeJvm sizes the local nodes' heaps with room for it.
    PanelCache panels = new PanelCache(Runtime.getRuntime().maxMemory() / 4, id -> DataStore.get(system).holds(id));
    registry.register(MULTIPLY_BLOCK, block -> multiply(system, panels, block, GpuKernels.get(system).kernels()));
  }

  /** Fetches the block's panels (both at once, unless the node has them) and multiplies them with {@code kernels}. */
  static BlockProduct multiply(ActorSystem<?> system, PanelCache panels, Block block, Kernels kernels) {
    long started = System.nanoTime();
    // Read straight from the node's copy into floats (Data.get would copy it into a byte[] first).
    Function<StoredMatrix, CompletableFuture<Matrix>> fetch =
        stored -> Data.read(system, stored.ref(), bytes -> read(stored, bytes)).toCompletableFuture();
    CompletableFuture<Matrix> a = panels.get(block.a(), fetch);
    CompletableFuture<Matrix> b = panels.get(block.b(), fetch);
    Matrix panelA = a.join();
    Matrix panelB = b.join();
    long fetched = System.nanoTime();
    Matrix c = kernels.multiply(panelA, panelB);
    long multiplied = System.nanoTime();
    // The block goes back by reference: put here (the worker's store), read by the submitter
    // straight into C. Returned as a value it would be copied into a byte[], serialized, stored
    // and fetched all the same (it is larger than a message), with two more copies on each side.
    return new BlockProduct(block.firstRow(), block.firstColumn(), store(system, c), kernels.describe(),
        fetched - started, multiplied - fetched);
  }

  /** A direct buffer per task thread, for writing blocks into the store without a byte[] of each. */
  private static final ThreadLocal<ByteBuffer> SCRATCH = new ThreadLocal<>();

  /** Puts {@code m} in this node's object store as raw float32 ({@link #toBytes}'s layout). */
  static StoredMatrix store(ActorSystem<?> system, Matrix m) {
    int bytes = 4 * m.values().length;
    ByteBuffer scratch = SCRATCH.get();
    if (scratch == null || scratch.capacity() < bytes) {
      scratch = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
      SCRATCH.set(scratch);
    }
    scratch.clear().limit(bytes);
    scratch.asFloatBuffer().put(m.values());
    return new StoredMatrix(Data.put(system, scratch), m.rows(), m.cols()); // a put copies: the buffer is ours again
  }

  /** Float32 values as little-endian bytes, 4 each. */
  public static byte[] toBytes(float[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return bytes.array();
  }

  /** A stored matrix's bytes, read back. */
  static Matrix read(StoredMatrix stored, ByteBuffer bytes) {
    float[] values = new float[stored.rows() * stored.cols()];
    bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return new Matrix(stored.rows(), stored.cols(), values);
  }
}
