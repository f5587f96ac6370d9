package dev.tessera.gpu.kernels;

import dev.ludovic.netlib.blas.BLAS;
import dev.ludovic.netlib.blas.JavaBLAS;
import dev.ludovic.netlib.blas.NativeBLAS;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;

/**
 * The kernels on the CPU. Matrix products and SAXPY go to BLAS through {@code dev.ludovic.netlib}:
 * the system's OpenBLAS through JNI where it is installed (Debian {@code libopenblas0-pthread}),
 * netlib's own Java kernels elsewhere (SIMD with {@code --add-modules jdk.incubator.vector}). What
 * BLAS lacks (reductions, the stencil, n-body) is written here, split across a pool of threads.
 *
 * <p>Thread-safe: any number of callers may share one instance; they share its thread pool, so a
 * node's tasks together use at most that many threads for kernels.
 */
public final class CpuBackend implements Kernels, AutoCloseable {

  /** Which BLAS computes matrix products. */
  public enum Blas {
    /** OpenBLAS (or whatever {@code libblas.so.3} is) where it loads, the Java kernels otherwise. */
    AUTO,
    /** The system BLAS through JNI; failing if it cannot be loaded. */
    NATIVE,
    /** netlib's Java kernels, whatever is installed. */
    JAVA
  }

  /**
   * netlib logs (through java.util.logging) a warning for each BLAS it tries and cannot load, such
   * as its SIMD kernels on a JVM started without the Vector API: expected, and noise in a node's
   * log. {@link #describe()} says which BLAS computes. Held here so the setting is not collected.
   */
  private static final java.util.logging.Logger NETLIB_LOG =
      java.util.logging.Logger.getLogger("dev.ludovic.netlib.blas.InstanceBuilder");

  static {
    NETLIB_LOG.setLevel(java.util.logging.Level.SEVERE);
  }

  /** The tile of products on the Java BLAS (see {@link #tiledProduct}). */
  private static final int TILE = 256;
  private static final int REDUCE_GRAIN = 1 << 16;

  private final BLAS blas;
  private final boolean blasIsNative;
  private final int threads;
  private final boolean poisonOutputs;
  private final ForkJoinPool pool;

  private CpuBackend(BLAS blas, int threads, boolean poisonOutputs) {
    this.blas = Objects.requireNonNull(blas, "blas");
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    this.blasIsNative = blas instanceof NativeBLAS;
    this.threads = threads;
    this.poisonOutputs = poisonOutputs;
    this.pool = new ForkJoinPool(threads, namedThreads(), null, false);
  }

  /** The best BLAS this machine has, one thread per core. */
  public static CpuBackend create() {
    return create(Blas.AUTO, Runtime.getRuntime().availableProcessors());
  }

  /**
   * @param threads threads for the hand-written kernels and for products on the Java BLAS (OpenBLAS
   *     keeps its own threads, {@code OPENBLAS_NUM_THREADS})
   * @throws IllegalStateException for {@link Blas#NATIVE} when no native BLAS loads, saying why
   */
  public static CpuBackend create(Blas choice, int threads) {
    Objects.requireNonNull(choice, "choice");
    return create(choice, threads, false);
  }

  /**
   * Like {@link #create(Blas, int)}; with {@code poisonOutputs} every buffer a kernel writes is
   * filled with NaN first, so that an element a kernel fails to write cannot pass a test by
   * happening to hold the right value. Costs one extra pass over each output; meant for tests.
   */
  public static CpuBackend create(Blas choice, int threads, boolean poisonOutputs) {
    Objects.requireNonNull(choice, "choice");
    return new CpuBackend(blas(choice), threads, poisonOutputs);
  }

  private static BLAS blas(Blas choice) {
    return switch (choice) {
      case AUTO -> BLAS.getInstance();
      case JAVA -> JavaBLAS.getInstance();
      case NATIVE -> {
        try {
          yield NativeBLAS.getInstance();
        } catch (RuntimeException | LinkageError e) {
          throw new IllegalStateException(
              "no native BLAS could be loaded (install libopenblas0-pthread, which provides libblas.so.3): " + e, e);
        }
      }
    };
  }

  /** Whether products run on a native BLAS (OpenBLAS) rather than the Java fallback. */
  public boolean nativeBlas() {
    return blasIsNative;
  }

  @Override
  public String describe() {
    return "cpu: " + (blasIsNative ? "native BLAS (" : "Java BLAS (") + blas.getClass().getSimpleName() + "), "
        + threads + " threads";
  }

  @Override
  @SuppressWarnings("unchecked")
  public <R> R compute(KernelRequest<R> request) {
    Objects.requireNonNull(request, "request");
    Object result;
    if (request instanceof KernelRequest.Gemm g) {
      result = product(g);
    } else if (request instanceof KernelRequest.Axpy x) {
      result = scaledSum(x);
    } else if (request instanceof KernelRequest.SumMaxOf s) {
      result = reduce(s.x());
    } else if (request instanceof KernelRequest.JacobiSteps j) {
      result = stencil(j);
    } else {
      result = gravity((KernelRequest.NBodySteps) request);
    }
    return (R) result;
  }

  private Matrix product(KernelRequest.Gemm g) {
    int m = g.a().rows();
    int k = g.a().cols();
    int n = g.b().cols();
    float[] c = g.beta() == 0f ? output(m * n) : g.c().values().clone();
    float[] a = g.a().values();
    float[] b = g.b().values();
    if (blasIsNative || (m <= TILE && n <= TILE && k <= TILE)) {
      // BLAS is column-major: the row-major C = A B is the column-major C^T = B^T A^T, so the
      // operands swap and no transposition is needed. OpenBLAS blocks and threads by itself.
      blas.sgemm("N", "N", n, m, k, g.alpha(), b, 0, n, a, 0, k, g.beta(), c, 0, n);
    } else {
      tiledProduct(g, c);
    }
    return new Matrix(m, n, c);
  }

  /**
   * The product on the Java BLAS in 256 x 256 tiles of C, 256 deep, spread over the pool. netlib's
   * Java kernels do not block for the cache: measured on this kind of machine they fall from 24
   * GFLOP/s at 1024 to 2 GFLOP/s at 2048 on one thread; on packed 256-tiles they keep 27 GFLOP/s.
   * Each tile's panels are copied into small contiguous arrays (B's transposed, for the faster "T",
   * "N" kernel), which costs 1/256 of the arithmetic.
   */
  private void tiledProduct(KernelRequest.Gemm g, float[] c) {
    int m = g.a().rows();
    int k = g.a().cols();
    int n = g.b().cols();
    float[] a = g.a().values();
    float[] b = g.b().values();
    int rowTiles = (m + TILE - 1) / TILE;
    int colTiles = (n + TILE - 1) / TILE;
    forEachRange(rowTiles * colTiles, 1, (from, to) -> {
      float[] panelA = new float[TILE * TILE];
      float[] panelB = new float[TILE * TILE];
      float[] tile = new float[TILE * TILE];
      for (int t = from; t < to; t++) {
        int i0 = t / colTiles * TILE;
        int j0 = t % colTiles * TILE;
        int mb = Math.min(TILE, m - i0);
        int nb = Math.min(TILE, n - j0);
        float beta = g.beta();
        if (beta != 0f) {
          for (int i = 0; i < mb; i++) {
            System.arraycopy(c, (i0 + i) * n + j0, tile, i * nb, nb);
          }
        }
        for (int p0 = 0; p0 < k; p0 += TILE) {
          int kb = Math.min(TILE, k - p0);
          for (int i = 0; i < mb; i++) {
            System.arraycopy(a, (i0 + i) * k + p0, panelA, i * kb, kb);
          }
          for (int p = 0; p < kb; p++) {
            int row = (p0 + p) * n + j0;
            for (int j = 0; j < nb; j++) {
              panelB[j * kb + p] = b[row + j];
            }
          }
          // Read column-major, panelB is B's block (kb x nb) and panelA is A's block transposed
          // (kb x mb), so "T", "N" gives B_blk^T A_blk^T = (A_blk B_blk)^T: the tile, row-major.
          blas.sgemm("T", "N", nb, mb, kb, g.alpha(), panelB, 0, kb, panelA, 0, kb, beta, tile, 0, nb);
          beta = 1f;
        }
        for (int i = 0; i < mb; i++) {
          System.arraycopy(tile, i * nb, c, (i0 + i) * n + j0, nb);
        }
      }
    });
  }

  private float[] scaledSum(KernelRequest.Axpy x) {
    float[] y = x.y().clone();
    blas.saxpy(y.length, x.a(), x.x(), 1, y, 1);
    return y;
  }

  private SumMax reduce(float[] x) {
    int chunks = (x.length + REDUCE_GRAIN - 1) / REDUCE_GRAIN;
    double[] sums = new double[chunks];
    float[] maxima = output(chunks);
    if (poisonOutputs) {
      java.util.Arrays.fill(sums, Double.NaN);
    }
    forEachRange(chunks, 1, (from, to) -> {
      for (int chunk = from; chunk < to; chunk++) {
        int end = Math.min(x.length, (chunk + 1) * REDUCE_GRAIN);
        double sum = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = chunk * REDUCE_GRAIN; i < end; i++) {
          float v = x[i];
          sum += v;
          // NaN compares false, so it never becomes the maximum (CUDA's fmaxf does the same).
          if (v > max) {
            max = v;
          }
        }
        sums[chunk] = sum;
        maxima[chunk] = max;
      }
    });
    double sum = 0;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < chunks; i++) {
      sum += sums[i];
      if (maxima[i] > max) {
        max = maxima[i];
      }
    }
    return new SumMax(sum, max);
  }

  private Matrix stencil(KernelRequest.JacobiSteps j) {
    int rows = j.grid().rows();
    int cols = j.grid().cols();
    float[] original = j.grid().values();
    float[] src = original;
    float[] dst = output(original.length);
    // The caller's grid is read, never written: steps ping-pong between two new arrays.
    float[] other = j.steps() > 1 ? output(original.length) : null;
    int rowsPerPart = Math.max(8, (1 << 14) / cols);
    for (int step = 0; step < j.steps(); step++) {
      float[] in = src;
      float[] out = dst;
      copyBoundary(in, out, rows, cols);
      forEachRange(Math.max(0, rows - 2), rowsPerPart, (from, to) -> jacobiRows(in, out, cols, from + 1, to + 1));
      dst = in == original ? other : in;
      src = out;
    }
    return new Matrix(rows, cols, src);
  }

  /** The boundary rows and columns, which a step keeps as they are. */
  private static void copyBoundary(float[] in, float[] out, int rows, int cols) {
    System.arraycopy(in, 0, out, 0, cols);
    System.arraycopy(in, (rows - 1) * cols, out, (rows - 1) * cols, cols);
    for (int i = 1; i < rows - 1; i++) {
      out[i * cols] = in[i * cols];
      out[i * cols + cols - 1] = in[i * cols + cols - 1];
    }
  }

  /** One step of the stencil for interior rows {@code [from, to)}. */
  static void jacobiRows(float[] in, float[] out, int cols, int from, int to) {
    for (int i = from; i < to; i++) {
      int row = i * cols;
      for (int c = 1; c < cols - 1; c++) {
        int p = row + c;
        out[p] = 0.25f * ((in[p - cols] + in[p + cols]) + (in[p - 1] + in[p + 1]));
      }
    }
  }

  private NBodyState gravity(KernelRequest.NBodySteps s) {
    int n = s.state().bodies();
    float[] pos = s.state().positionsAndMasses();
    float[] vel = s.state().velocities();
    float[] nextPos = output(pos.length);
    float[] nextVel = output(vel.length);
    float eps2 = s.softening() * s.softening();
    int grain = Math.max(1, 4096 / Math.max(1, n / 64));
    for (int step = 0; step < s.steps(); step++) {
      float[] p = pos;
      float[] v = vel;
      float[] np = nextPos;
      float[] nv = nextVel;
      forEachRange(n, grain, (from, to) -> nbodyBodies(p, v, np, nv, n, s.dt(), eps2, from, to));
      pos = np;
      vel = nv;
      // The caller's arrays are read, never written: the first step's inputs are not reused.
      nextPos = p == s.state().positionsAndMasses() ? output(p.length) : p;
      nextVel = v == s.state().velocities() ? output(v.length) : v;
    }
    return new NBodyState(pos, vel);
  }

  /** One n-body step for bodies {@code [from, to)}, reading every body of {@code pos}. */
  static void nbodyBodies(float[] pos, float[] vel, float[] nextPos, float[] nextVel, int n, float dt, float eps2, int from, int to) {
    for (int i = from; i < to; i++) {
      float xi = pos[4 * i];
      float yi = pos[4 * i + 1];
      float zi = pos[4 * i + 2];
      float ax = 0f;
      float ay = 0f;
      float az = 0f;
      for (int j = 0; j < n; j++) {
        float dx = pos[4 * j] - xi;
        float dy = pos[4 * j + 1] - yi;
        float dz = pos[4 * j + 2] - zi;
        float r2 = dx * dx + dy * dy + dz * dz + eps2;
        float inv = (float) (1.0 / Math.sqrt(r2));
        float s = pos[4 * j + 3] * inv * inv * inv;
        ax += dx * s;
        ay += dy * s;
        az += dz * s;
      }
      float vx = vel[3 * i] + ax * dt;
      float vy = vel[3 * i + 1] + ay * dt;
      float vz = vel[3 * i + 2] + az * dt;
      nextVel[3 * i] = vx;
      nextVel[3 * i + 1] = vy;
      nextVel[3 * i + 2] = vz;
      nextPos[4 * i] = xi + vx * dt;
      nextPos[4 * i + 1] = yi + vy * dt;
      nextPos[4 * i + 2] = zi + vz * dt;
      nextPos[4 * i + 3] = pos[4 * i + 3];
    }
  }

  /** A new array for a kernel to fill: NaN everywhere when outputs are poisoned. */
  private float[] output(int length) {
    float[] out = new float[length];
    if (poisonOutputs) {
      java.util.Arrays.fill(out, Float.NaN);
    }
    return out;
  }

  @FunctionalInterface
  interface RangeBody {
    void run(int from, int to);
  }

  /** Runs {@code body} over {@code [0, n)} in ranges of about {@code grain}, on the pool, and waits. */
  private void forEachRange(int n, int grain, RangeBody body) {
    if (n <= 0) {
      return;
    }
    int parts = (int) Math.min((long) threads * 4, (n + (long) grain - 1) / grain);
    if (parts <= 1 || threads == 1) {
      body.run(0, n);
      return;
    }
    List<ForkJoinTask<?>> tasks = new ArrayList<>(parts);
    for (int p = 0; p < parts; p++) {
      int from = (int) ((long) n * p / parts);
      int to = (int) ((long) n * (p + 1) / parts);
      tasks.add(new RecursiveAction() {
        @Override
        protected void compute() {
          body.run(from, to);
        }
      });
    }
    if (ForkJoinTask.inForkJoinPool() && ForkJoinTask.getPool() == pool) {
      ForkJoinTask.invokeAll(tasks);
    } else {
      for (ForkJoinTask<?> task : tasks) {
        pool.execute(task);
      }
      for (ForkJoinTask<?> task : tasks) {
        task.join();
      }
    }
  }

  private static ForkJoinPool.ForkJoinWorkerThreadFactory namedThreads() {
    return p -> {
      var thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
      thread.setName("tessera-cpu-kernels-" + thread.getPoolIndex());
      thread.setDaemon(true);
      return thread;
    };
  }

  /** Stops the thread pool; the backend must not be used afterwards. */
  @Override
  public void close() {
    pool.shutdown();
  }
}
