package dev.tessera.samples.matmul;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.samples.launch.ClusterOptions;
import dev.tessera.samples.launch.JobProgressBar;
import dev.tessera.samples.launch.SampleCluster;
import dev.tessera.work.GatherHandle;
import dev.tessera.work.Gathered;
import dev.tessera.work.WorkPulling;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.pekko.actor.typed.ActorSystem;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Distributed matrix multiply: C = A x B cut into square blocks, one task per block of C, each
 * computed by a node's GPU where it has one and by OpenBLAS elsewhere; the blocks are put in place
 * as they arrive. Prints GFLOP/s and which backends computed how many blocks; {@code --check}
 * compares every element with a double-precision product computed here.
 *
 * <pre>bin/sample matmul --size 4096
 * bin/sample matmul --size 300 --check
 * bin/sample matmul --size 2048 --baseline     # and the same product on this machine's CPU, for the ratio
 * bin/sample matmul --size 8192 --gpu-only --seeds gpu-box:25520 --host 192.168.1.20</pre>
 */
@Command(name = "matmul", mixinStandardHelpOptions = true,
    description = "Multiply two generated matrices over the cluster, block by block, on GPUs where nodes have them.")
public final class MatrixMultiply implements Callable<Integer> {

  /**
   * Largest block side: a block of C travels back in one task result, which a worker refuses
   * above 64 KiB (tessera.work-pulling.worker.max-result-bytes); 120 x 120 floats are 57.6 kB.
   */
  static final int MAX_BLOCK = 120;

  @Mixin
  ClusterOptions cluster;

  @Option(names = "--size", paramLabel = "N", defaultValue = "2048", description = "A, B and C are N x N (default: ${DEFAULT-VALUE})")
  int size;

  @Option(names = "--block", paramLabel = "B", defaultValue = "96",
      description = "side of a block of C, one task each (default: ${DEFAULT-VALUE}, at most " + MAX_BLOCK + ")")
  int block;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed of A and B (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--check", description = "compare every element with a double-precision product computed here (N up to 1024)")
  boolean check;

  @Option(names = "--gpu-only", description = "run blocks only on nodes with the gpu role")
  boolean gpuOnly;

  @Option(names = "--baseline",
      description = "also multiply A and B in one piece on this JVM's CPU (OpenBLAS), and print the cluster's speed relative to it")
  boolean baseline;

  /** What a run computed. */
  public record Result(MatrixTasks.Problem problem, float[] c, Map<String, Integer> blocksByBackend, double seconds) {
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
    PrintStream out = System.out;
    try (SampleCluster running = cluster.open("matmul", out)) {
      JobOptions options = gpuOnly ? JobOptions.defaults().withRequiredRole("gpu") : JobOptions.defaults();
      Result result = run(running.system(), problem, block, options, out);
      out.printf("C = A x B, %d x %d, in %.2f s: %.2f GFLOP/s%n", size, size, result.seconds(), result.gflops());
      result.blocksByBackend().forEach((backend, blocks) -> out.printf("  %5d blocks on %s%n", blocks, backend));
      if (baseline) {
        CpuBackend cpu = CpuBackend.create();
        Matrix a = problem.aRows(0, size);
        Matrix b = problem.bColumns(0, size);
        long started = System.nanoTime();
        cpu.multiply(a, b);
        double seconds = (System.nanoTime() - started) / 1e9;
        double local = 2.0 * size * size * size / seconds / 1e9;
        out.printf("baseline: the same product in one piece here (%s): %.2f s, %.2f GFLOP/s; cluster / baseline = %.2f%n",
            cpu.describe(), seconds, local, result.gflops() / local);
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

  /** The blocks of C, row by row. */
  public static List<MatrixTasks.Block> blocks(MatrixTasks.Problem problem, int block) {
    if (block < 1 || block > MAX_BLOCK) {
      throw new IllegalArgumentException("--block: " + block + " is out of range (1.." + MAX_BLOCK + ")");
    }
    List<MatrixTasks.Block> blocks = new ArrayList<>();
    for (int row = 0; row * block < problem.n(); row++) {
      for (int column = 0; column * block < problem.m(); column++) {
        blocks.add(new MatrixTasks.Block(problem, row, column, block));
      }
    }
    return blocks;
  }

  /** Multiplies on the cluster of {@code system}; C comes back row-major, n x m. */
  public static Result run(ActorSystem<?> system, MatrixTasks.Problem problem, int block, JobOptions options,
      PrintStream out) throws Exception {
    if ((long) problem.n() * problem.m() > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("C of " + problem.n() + " x " + problem.m() + " does not fit one Java array");
    }
    List<MatrixTasks.Block> blocks = blocks(problem, block);
    float[] c = new float[problem.n() * problem.m()];
    Map<String, Integer> backends = new TreeMap<>();
    long started = System.nanoTime();
    // The combiner runs on one thread at a time: it may write into c and backends directly.
    GatherHandle<Integer> job = WorkPulling.scatterGather(system, MatrixTasks.MULTIPLY_BLOCK, blocks, options, 0,
        (placed, product) -> {
          int firstRow = product.blockRow() * block;
          int firstColumn = product.blockColumn() * block;
          for (int r = 0; r < product.rows(); r++) {
            System.arraycopy(product.values(), r * product.columns(), c, (firstRow + r) * problem.m() + firstColumn,
                product.columns());
          }
          backends.merge(product.computedBy(), 1, Integer::sum);
          return placed + 1;
        });
    Gathered<Integer> gathered = JobProgressBar.follow("matmul", job::progress, job.result(), out, Duration.ofHours(24));
    if (!gathered.succeeded()) {
      var failure = gathered.failures().entrySet().iterator().next();
      throw new IllegalStateException("matmul: " + gathered.failures().size() + " blocks failed, e.g. block "
          + failure.getKey() + ": " + failure.getValue().lastCause());
    }
    return new Result(problem, c, backends, (System.nanoTime() - started) / 1e9);
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
