package dev.tessera.samples.matmul;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.samples.launch.ClusterOptions;
import dev.tessera.samples.launch.JobProgressBar;
import dev.tessera.samples.launch.NodeJvm;
import dev.tessera.samples.launch.SampleCluster;
import dev.tessera.work.GatherHandle;
import dev.tessera.work.Gathered;
import dev.tessera.work.WorkPulling;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Distributed matrix multiply: C = A x B cut into blocks, one task per block of C. A is cut into
 * row panels and B into column panels, each put in the object store once; a task fetches its two
 * panels (once per node: the node keeps them for the job), multiplies them on the node's GPU where
 * it has one and with OpenBLAS elsewhere, and puts its block in its node's store; the block is read
 * from there into its place in C as its ref arrives. Prints
 * GFLOP/s, which backends computed how many blocks and where the tasks' time went; {@code --check}
 * compares every element with a double-precision product computed here.
 *
 * <pre>bin/sample matmul --size 4096 --baseline     # 3 products, each against the same on this machine's CPU: medians
 * bin/sample matmul --size 300 --check
 * bin/sample matmul --size 4096 --block 1024x2048
 * bin/sample matmul --size 8192 --gpu-only --seeds gpu-box:25520 --host 192.168.1.20</pre>
 */
@Command(name = "matmul", mixinStandardHelpOptions = true,
    description = "Multiply two generated matrices over the cluster, block by block, on GPUs where nodes have them.")
public final class MatrixMultiply implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(MatrixMultiply.class);

  /**
   * Blocks per task thread of the cluster by default. A worker asks for two tasks per thread at
   * once, so with fewer blocks than that the first workers to ask take them all and the others
   * idle; more blocks mean more panels fetched (each node fetches every panel its blocks touch).
   * Measured here (4096, 3 nodes on 2 busy cores): 12 blocks took 3.5-5.3 s, 6 took 4.1-5.5 s, 4 took 7.6-14.4 s.
   */
  static final int BLOCKS_PER_SLOT = 2;
  /** Node heap beyond what the blocks of a node's running tasks take: the node itself, in MiB. */
  private static final long NODE_BASE_HEAP_MIB = 256;

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--size", paramLabel = "N", defaultValue = "2048", description = "A, B and C are N x N (default: ${DEFAULT-VALUE})")
  int size;

  @Option(names = "--block", paramLabel = "ROWSxCOLUMNS",
      description = "the blocks of C, one task each: ROWSxCOLUMNS (1024x2048) or a side (1024); the default cuts C into twice"
          + " as many blocks as the cluster has task threads (nodes with the job's role times this machine's cores)")
  String block;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed of A and B (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--check", description = "compare every element with a double-precision product computed here (N up to 1024)")
  boolean check;

  @Option(names = "--gpu-only", description = "run blocks only on nodes with the gpu role")
  boolean gpuOnly;

  @Option(names = "--repeat", paramLabel = "N",
      description = "multiply N times (and, with --baseline, time the baseline after each) and print the medians;"
          + " default 3 with --baseline (one run on a shared machine says little), else 1")
  Integer repeat;

  @Option(names = "--no-warm-up",
      description = "time the first product the cluster computes, without a small one through the same path first")
  boolean noWarmUp;

  @Option(names = "--baseline",
      description = "also multiply A and B in one piece on this JVM's CPU (OpenBLAS), and print the cluster's speed relative to it")
  boolean baseline;

  /**
   * How C is cut: blocks of {@code rows} x {@code columns}, smaller in the last block row and
   * column where the sizes do not divide. Block row i uses A's row panel i, block column j B's
   * column panel j.
   */
  public record Blocking(int rows, int columns) {
    public Blocking {
      if (rows < 1 || columns < 1) {
        throw new IllegalArgumentException("--block: blocks need at least one row and column, got " + rows + "x" + columns);
      }
    }

    /** {@code ROWSxCOLUMNS} or one side for square blocks. */
    public static Blocking parse(String text) {
      String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x", -1);
      try {
        if (parts.length == 1) {
          int side = Integer.parseInt(parts[0]);
          return new Blocking(side, side);
        }
        if (parts.length == 2) {
          return new Blocking(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
        }
      } catch (NumberFormatException e) {
        // said below
      }
      throw new IllegalArgumentException("--block: '" + text + "' is neither ROWSxCOLUMNS (1024x2048) nor a side (1024)");
    }

    /**
     * At least {@code tasks} blocks (or one per element of C, if that is fewer), cut so that the
     * panels the tasks fetch are the fewest bytes: a grid of r x c blocks moves c copies of A and
     * r copies of B at most. Of equal cuts, the one with fewer blocks.
     */
    public static Blocking plan(int n, int m, int tasks) {
      if (tasks < 1) {
        throw new IllegalArgumentException("tasks must be at least 1, got " + tasks);
      }
      long wanted = Math.min(tasks, (long) n * m);
      Blocking best = null;
      long bestMoved = Long.MAX_VALUE;
      long bestCount = 0;
      for (int rowBlocks = 1; rowBlocks <= Math.min(n, wanted); rowBlocks++) {
        // Rounded to whole rows and columns, a grid may come out with fewer blocks: take the next.
        for (long columnBlocks = Math.min(m, (wanted + rowBlocks - 1) / rowBlocks); columnBlocks <= m; columnBlocks++) {
          Blocking candidate = new Blocking(ceilDiv(n, rowBlocks), ceilDiv(m, (int) columnBlocks));
          long count = candidate.count(n, m);
          long moved = (long) candidate.blockColumns(m) * n + (long) candidate.blockRows(n) * m;
          boolean enough = count >= wanted;
          boolean better = best == null || (enough && bestCount < wanted) || (enough == (bestCount >= wanted)
              && (enough ? moved < bestMoved || (moved == bestMoved && count < bestCount) : count > bestCount));
          if (better) {
            best = candidate;
            bestMoved = moved;
            bestCount = count;
          }
          if (enough) {
            break;
          }
        }
      }
      return best;
    }

    /** Blocks down C's n rows (= A's row panels). */
    public int blockRows(int n) {
      return ceilDiv(n, rows);
    }

    /** Blocks across C's m columns (= B's column panels). */
    public int blockColumns(int m) {
      return ceilDiv(m, columns);
    }

    public long count(int n, int m) {
      return (long) blockRows(n) * blockColumns(m);
    }

    @Override
    public String toString() {
      return rows + " x " + columns;
    }

    private static int ceilDiv(int a, int b) {
      return (a + b - 1) / b;
    }
  }

  /**
   * What a run computed, and where its time went.
   *
   * @param seconds from cutting the panels to the last block in place
   * @param putSeconds cutting A and B into panels and putting them in the object store
   * @param fetchSeconds the tasks' time fetching their panels into arrays, summed over tasks
   * @param multiplySeconds the tasks' time multiplying, summed over tasks
   */
  public record Result(MatrixTasks.Problem problem, Blocking blocking, float[] c, Map<String, Integer> blocksByBackend,
      double seconds, double putSeconds, double fetchSeconds, double multiplySeconds) {
    public double gflops() {
      return 2.0 * problem.n() * problem.k() * problem.m() / seconds / 1e9;
    }
  }

  @Override
  public Integer call() throws Exception {
    if (check && size > 1024) {
      throw new IllegalArgumentException("--check computes the reference here, in O(N^3) doubles: use N <= 1024");
    }
    MatrixTasks.Problem problem = new MatrixTasks.Problem(seed, size, size, size);
    Blocking chosen = block == null ? null : Blocking.parse(block);
    // Local nodes are started for the blocks: the ones the default cuts for them, or --block's.
    int threadsPerNode = Runtime.getRuntime().availableProcessors();
    Blocking planned = chosen != null ? chosen
        : Blocking.plan(size, size, BLOCKS_PER_SLOT * cluster.localNodes() * threadsPerNode);
    PrintStream out = System.out;
    try (SampleCluster running = cluster.open("matmul", out, node -> List.of(), nodeJvm(problem, planned, threadsPerNode))) {
      JobOptions options = gpuOnly ? JobOptions.defaults().withRequiredRole("gpu") : JobOptions.defaults();
      Blocking blocking = chosen != null ? chosen
          : Blocking.plan(size, size, BLOCKS_PER_SLOT * taskThreads(running.system(), options.requiredRole()));
      long made = System.nanoTime();
      Matrix a = problem.aRows(0, size);
      Matrix b = problem.bColumns(0, size);
      out.printf("matmul: A and B made in %.2f s (not counted below)%n", (System.nanoTime() - made) / 1e9);
      if (!noWarmUp) {
        warmUp(running.system(), blocking.count(size, size), options, out);
      }
      CpuBackend cpu = null;
      if (baseline) {
        cpu = CpuBackend.create();
        cpu.multiply(new Matrix(8, 8, new float[64]), new Matrix(8, 8, new float[64])); // BLAS loaded and started
      }
      int runs = repeat != null ? repeat : baseline ? 3 : 1;
      if (runs < 1) {
        throw new IllegalArgumentException("--repeat: at least 1, got " + runs);
      }
      double[] clusterSeconds = new double[runs];
      double[] baselineSeconds = new double[runs];
      Result result = null;
      for (int r = 0; r < runs; r++) {
        result = run(running.system(), problem, a, b, blocking, options, out);
        clusterSeconds[r] = result.seconds();
        out.printf("C = A x B, %d x %d, in %.2f s: %.2f GFLOP/s%s%n", size, size, result.seconds(), result.gflops(),
            runs > 1 ? " (run " + (r + 1) + " of " + runs + ")" : "");
        result.blocksByBackend().forEach((backend, blocks) -> out.printf("  %5d blocks on %s%n", blocks, backend));
        out.printf("  panels cut and put in %.2f s; the tasks fetched panels for %.2f s and multiplied for %.2f s"
            + " (summed over tasks)%n", result.putSeconds(), result.fetchSeconds(), result.multiplySeconds());
        if (cpu != null) {
          long started = System.nanoTime();
          cpu.multiply(a, b);
          baselineSeconds[r] = (System.nanoTime() - started) / 1e9;
          out.printf("baseline: the same product in one piece here (%s): %.2f s, %.2f GFLOP/s; cluster / baseline = %.2f%n",
              cpu.describe(), baselineSeconds[r], gflops(size, baselineSeconds[r]), baselineSeconds[r] / result.seconds());
        }
      }
      if (cpu != null && runs > 1) {
        double clusterMedian = median(clusterSeconds);
        double baselineMedian = median(baselineSeconds);
        out.printf("medians of %d runs: cluster %.2f s (%.2f GFLOP/s), baseline %.2f s (%.2f GFLOP/s);"
            + " cluster / baseline = %.2f%n", runs, clusterMedian, gflops(size, clusterMedian), baselineMedian,
            gflops(size, baselineMedian), baselineMedian / clusterMedian);
      }
      if (check) {
        double worst = worstError(problem, result.c());
        out.printf("check: every element within its float32 rounding bound (worst: %.2f of the bound)%n", worst);
        if (worst > 1) {
          throw new IllegalStateException("check failed: an element is " + worst + " times its rounding bound off");
        }
      }
    }
    return 0;
  }

  private static double gflops(int n, double seconds) {
    return 2.0 * n * n * n / seconds / 1e9;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  /** Side of the warm-up product: big enough that every part of the path runs, small enough to cost little. */
  static final int WARM_UP_SIDE = 512;

  /**
   * Runs a small product through the same path first, cut into as many blocks as the timed one, so
   * that each node has run a task, fetched panels and returned a stored block before the clock
   * starts: the classes of that path are loaded and its first calls made, as the baseline's BLAS
   * is loaded and run once before it is timed. Measured here (4096, 3 nodes, 2 cores): the first
   * product on a fresh cluster took 2.8-3.5 s, a second one 1.8-2.5 s.
   */
  static void warmUp(ActorSystem<?> system, long blocks, JobOptions options, PrintStream out) throws Exception {
    long started = System.nanoTime();
    MatrixTasks.Problem small = new MatrixTasks.Problem(7, WARM_UP_SIDE, WARM_UP_SIDE, WARM_UP_SIDE);
    Blocking blocking = Blocking.plan(WARM_UP_SIDE, WARM_UP_SIDE, (int) Math.min(blocks, WARM_UP_SIDE));
    run(system, small, blocking, options, new PrintStream(java.io.OutputStream.nullOutputStream()));
    out.printf("matmul: warmed up with a %d x %d product in %d blocks through the same path, %.2f s (not counted;"
        + " --no-warm-up times the first)%n", WARM_UP_SIDE, WARM_UP_SIDE, blocking.count(WARM_UP_SIDE, WARM_UP_SIDE),
        (System.nanoTime() - started) / 1e9);
  }

  /**
   * Task threads of the cluster, as far as this node can tell: the nodes that are Up with {@code
   * role}, times this machine's cores (a worker runs a task per core by default; nodes elsewhere
   * may have more or fewer).
   */
  static int taskThreads(ActorSystem<?> system, String role) {
    int nodes = 0;
    for (var member : Cluster.get(system).state().getMembers()) {
      if (member.status() == MemberStatus.up() && (role.isEmpty() || member.hasRole(role))) {
        nodes++;
      }
    }
    return Math.max(1, nodes) * Runtime.getRuntime().availableProcessors();
  }

  /**
   * How local nodes start for these blocks. Their heap holds {@code threads} tasks' worth of
   * blocks at once, twice over (each task holds its two panels and its block twice: the bytes
   * fetched or sent, and the arrays; the panels read stay in {@link PanelCache}), and is set up
   * for large arrays ({@link NodeJvm#largeArrays}): a collection while BLAS multiplies waits for it
   * (it holds its arrays pinned), and so does every thread that needs memory meanwhile, the
   * worker's heartbeats included. OpenBLAS gets one thread per call: a worker runs a task per core
   * already, and more BLAS threads than cores only take turns (measured here, 2 busy cores: 6
   * blocks at once took 1.3 s on one thread each, 5.0 s on two).
   */
  static NodeJvm nodeJvm(MatrixTasks.Problem problem, Blocking blocking, int threads) {
    long rows = Math.min(blocking.rows(), problem.n());
    long columns = Math.min(blocking.columns(), problem.m());
    long perTask = 2 * 4 * (rows * problem.k() + problem.k() * columns + rows * columns);
    long mib = Math.max(256, NODE_BASE_HEAP_MIB + ((2 * threads * perTask) >> 20));
    Map<String, String> environment = System.getenv("OPENBLAS_NUM_THREADS") == null
        ? Map.of("OPENBLAS_NUM_THREADS", "1") : Map.of();
    return new NodeJvm(mib + "m", true, environment);
  }

  /** Multiplies on the cluster of {@code system} the matrices of {@code problem}, made here first. */
  public static Result run(ActorSystem<?> system, MatrixTasks.Problem problem, Blocking blocking, JobOptions options,
      PrintStream out) throws Exception {
    return run(system, problem, problem.aRows(0, problem.n()), problem.bColumns(0, problem.m()), blocking, options, out);
  }

  /**
   * Multiplies {@code a} (n x k) by {@code b} (k x m) on the cluster of {@code system}; C comes back
   * row-major, n x m. The panels are released when the job has ended, however it ended.
   */
  public static Result run(ActorSystem<?> system, MatrixTasks.Problem problem, Matrix a, Matrix b, Blocking blocking,
      JobOptions options, PrintStream out) throws Exception {
    if ((long) problem.n() * problem.m() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("C of " + problem.n() + " x " + problem.m() + " does not fit one Java array");
    }
    long started = System.nanoTime();
    MatrixTasks.StoredMatrix[] aPanels = new MatrixTasks.StoredMatrix[blocking.blockRows(problem.n())];
    MatrixTasks.StoredMatrix[] bPanels = new MatrixTasks.StoredMatrix[blocking.blockColumns(problem.m())];
    List<DataRef<byte[]>> blockRefs = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      // A's panels on another thread, B's on this one: copying and checksumming is all a put does.
      // Each side cuts into one buffer, used again for every panel (a put copies it).
      CompletableFuture<Void> rows = CompletableFuture.runAsync(() -> {
        ByteBuffer scratch = panelBuffer(blocking.rows(), a.cols());
        for (int i = 0; i < aPanels.length; i++) {
          aPanels[i] = rowPanel(system, a, i * blocking.rows(), blocking.rows(), scratch);
        }
      });
      ByteBuffer scratch = panelBuffer(b.rows(), blocking.columns());
      for (int i = 0; i < bPanels.length; i++) {
        bPanels[i] = columnPanel(system, b, i * blocking.columns(), blocking.columns(), scratch);
      }
      rows.join();
      double putSeconds = (System.nanoTime() - started) / 1e9;
      List<MatrixTasks.Block> blocks = new ArrayList<>();
      for (int row = 0; row < aPanels.length; row++) {
        for (int column = 0; column < bPanels.length; column++) {
          blocks.add(new MatrixTasks.Block(row * blocking.rows(), column * blocking.columns(), aPanels[row],
              bPanels[column]));
        }
      }
      out.printf("matmul: A in %d row panels, B in %d column panels (%d MiB) put in %.2f s; %d blocks of %s%n",
          aPanels.length, bPanels.length, (4L * (a.size() + b.size())) >> 20, putSeconds, blocks.size(), blocking);
      float[] c = new float[problem.n() * problem.m()];
      Map<String, Integer> backends = new TreeMap<>();
      long[] nanos = new long[2];
      // Each block is read from its worker's store straight into its place in c as its product
      // arrives, on the store's threads (blocks of C do not overlap); the reads are waited for below.
      List<CompletableFuture<Void>> placing = java.util.Collections.synchronizedList(new ArrayList<>());
      // The combiner runs on one thread at a time: it may write into backends and nanos directly.
      GatherHandle<Integer> job = WorkPulling.scatterGather(system, MatrixTasks.MULTIPLY_BLOCK, blocks, options, 0,
          (placed, product) -> {
            blockRefs.add(product.block().ref());
            placing.add(Data.read(system, product.block().ref(), view -> {
              place(c, problem.m(), product.firstRow(), product.firstColumn(), product.block().rows(),
                  product.block().cols(), view);
              return (Void) null;
            }).toCompletableFuture());
            backends.merge(product.computedBy(), 1, Integer::sum);
            nanos[0] += product.fetchNanos();
            nanos[1] += product.multiplyNanos();
            return placed + 1;
          });
      Gathered<Integer> gathered = JobProgressBar.follow("matmul", job::progress, job.result(), out, Duration.ofHours(24));
      if (!gathered.succeeded()) {
        var failure = gathered.failures().entrySet().iterator().next();
        throw new IllegalStateException("matmul: " + gathered.failures().size() + " blocks failed, e.g. block "
            + failure.getKey() + ": " + failure.getValue().lastCause());
      }
      try {
        CompletableFuture.allOf(placing.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
      } catch (ExecutionException e) {
        throw new IllegalStateException("matmul: a block could not be read back: " + e.getCause().getMessage(), e);
      }
      return new Result(problem, blocking, c, backends, (System.nanoTime() - started) / 1e9, putSeconds, nanos[0] / 1e9,
          nanos[1] / 1e9);
    } finally {
      release(system, aPanels, bPanels, blockRefs);
    }
  }

  private static ByteBuffer panelBuffer(int rows, int columns) {
    return ByteBuffer.allocate(4 * rows * columns).order(ByteOrder.LITTLE_ENDIAN);
  }

  /**
   * Rows {@code first..first+count-1} of {@code a} (fewer at its end), cut into {@code scratch}
   * and put in the object store.
   */
  static MatrixTasks.StoredMatrix rowPanel(ActorSystem<?> system, Matrix a, int first, int count, ByteBuffer scratch) {
    int rows = Math.min(count, a.rows() - first);
    scratch.clear().limit(4 * rows * a.cols());
    scratch.asFloatBuffer().put(a.values(), first * a.cols(), rows * a.cols());
    return new MatrixTasks.StoredMatrix(Data.put(system, scratch), rows, a.cols());
  }

  /**
   * Columns {@code first..first+count-1} of {@code b} (fewer at its end), cut into {@code scratch}
   * and put in the object store.
   */
  static MatrixTasks.StoredMatrix columnPanel(ActorSystem<?> system, Matrix b, int first, int count, ByteBuffer scratch) {
    int columns = Math.min(count, b.cols() - first);
    scratch.clear().limit(4 * b.rows() * columns);
    FloatBuffer floats = scratch.asFloatBuffer();
    for (int p = 0; p < b.rows(); p++) {
      floats.put(b.values(), p * b.cols() + first, columns);
    }
    return new MatrixTasks.StoredMatrix(Data.put(system, scratch), b.rows(), columns);
  }

  /**
   * Copies a block of C, as {@link MatrixTasks#toBytes} lays it out in {@code bytes}, into its place
   * in {@code c}, which has {@code m} columns.
   */
  static void place(float[] c, int m, int firstRow, int firstColumn, int rows, int columns, ByteBuffer bytes) {
    FloatBuffer values = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    for (int r = 0; r < rows; r++) {
      values.get(c, (firstRow + r) * m + firstColumn, columns);
    }
  }

  /** Frees the panels and blocks on every node; a failure to is only logged (the job's answer stands). */
  private static void release(ActorSystem<?> system, MatrixTasks.StoredMatrix[] a, MatrixTasks.StoredMatrix[] b,
      List<DataRef<byte[]>> blocks) {
    List<CompletableFuture<Void>> released = new ArrayList<>();
    for (MatrixTasks.StoredMatrix[] panels : List.of(a, b)) {
      for (MatrixTasks.StoredMatrix panel : panels) {
        if (panel != null) { // null: its put failed, or never ran
          released.add(Data.release(system, panel.ref()).toCompletableFuture());
        }
      }
    }
    synchronized (blocks) {
      blocks.forEach(block -> released.add(Data.release(system, block).toCompletableFuture()));
    }
    try {
      CompletableFuture.allOf(released.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("matmul: releasing the panels and blocks failed; nodes that held them free them when they stop: {}",
          e.toString());
    }
  }

  /**
   * The largest ratio, over C's elements, of |c - exact| to the float32 rounding bound of a dot
   * product of length k: k u / (1 - k u) times the sum of |a_ip b_pj| (u = 2^-24), with "exact"
   * computed in double precision here. At most 1 for a correct product.
   */
  public static double worstError(MatrixTasks.Problem problem, float[] c) {
    int n = problem.n();
    int k = problem.k();
    int m = problem.m();
    double[] a = new double[n * k];
    double[] b = new double[k * m];
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < k; p++) {
        a[i * k + p] = problem.element(0, i, p);
      }
    }
    for (int p = 0; p < k; p++) {
      for (int j = 0; j < m; j++) {
        b[p * m + j] = problem.element(1, p, j);
      }
    }
    double u = Math.pow(2, -24);
    double gamma = k * u / (1 - k * u);
    double worst = 0;
    double[] exact = new double[m];
    double[] magnitude = new double[m];
    for (int i = 0; i < n; i++) {
      java.util.Arrays.fill(exact, 0);
      java.util.Arrays.fill(magnitude, 0);
      for (int p = 0; p < k; p++) {
        double aip = a[i * k + p];
        for (int j = 0; j < m; j++) {
          exact[j] += aip * b[p * m + j];
          magnitude[j] += Math.abs(aip * b[p * m + j]);
        }
      }
      for (int j = 0; j < m; j++) {
        double bound = gamma * magnitude[j];
        worst = Math.max(worst, Math.abs(c[i * m + j] - exact[j]) / bound);
      }
    }
    return worst;
  }
}
