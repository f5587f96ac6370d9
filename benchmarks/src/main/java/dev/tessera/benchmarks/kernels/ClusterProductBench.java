package dev.tessera.benchmarks.kernels;

import dev.tessera.gpu.GpuKernels;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.gpu.tasks.KernelTasks.ProductSummary;
import dev.tessera.gpu.tasks.KernelTasks.RandomProduct;
import dev.tessera.gpu.tasks.KernelTasks;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.FreePorts;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobResult;
import dev.tessera.work.WorkPulling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A 4096 x 4096 product submitted as a cluster task: one node process with roles {@code
 * worker,gpu} (its GPU where it has one, its CPU otherwise) and this JVM as the submitter. Each
 * round times submit-to-result, and the task reports how long the product alone took on the node;
 * the baseline is the same task body (make both matrices, multiply) run in this JVM in the same
 * round, on this JVM's kernels.
 *
 * <pre>bin/bench-kernels --cluster-task [rounds]</pre>
 */
public final class ClusterProductBench {

  private static final int N = 4096;

  private ClusterProductBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Path logs = Files.createTempDirectory("tessera-cluster-product");
    LocalCluster.Spec spec = new LocalCluster.Spec(
        "tessera", 1, FreePorts.block(1), FreePorts.block(1), List.of("worker", "gpu"), "1g", Duration.ofSeconds(120), logs, List.of());
    System.out.printf(Locale.ROOT, "cluster task: %d x %d product, %d rounds; node log in %s%n", N, N, rounds, logs);
    try (LocalCluster cluster = LocalCluster.startOnFreePorts(spec);
        ComputeNode submitter = ComputeNode.joinAsClient(cluster.spec().seedList(), Map.of(), Duration.ofSeconds(120))) {
      Kernels local = GpuKernels.get(submitter.system()).kernels();
      JobOptions onGpuNodes = JobOptions.defaults().withRequiredRole("gpu").withTaskTimeout(Duration.ofMinutes(5));
      for (int round = 0; round <= rounds; round++) {
        RandomProduct input = new RandomProduct(N, round);
        long start = System.nanoTime();
        JobResult<ProductSummary> result = WorkPulling.submit(submitter.system(), KernelTasks.RANDOM_PRODUCT, List.of(input), onGpuNodes)
            .result().toCompletableFuture().get(10, TimeUnit.MINUTES);
        double clusterSeconds = (System.nanoTime() - start) / 1e9;
        if (!result.succeeded()) {
          throw new IllegalStateException("the task failed: " + result.failures());
        }
        ProductSummary summary = result.results().get(0);
        long localStart = System.nanoTime();
        Matrix[] ab = KernelTasks.randomPair(input);
        local.multiply(ab[0], ab[1]);
        double localSeconds = (System.nanoTime() - localStart) / 1e9;
        System.out.printf(Locale.ROOT,
            "%s submit-to-result %.2f s (product alone on the node %.2f s, %s); same body in this JVM %.2f s (%s); ratio %.2f%n",
            round == 0 ? "warm-up " : "round " + round + " ", clusterSeconds, summary.multiplyNanos() / 1e9, summary.kernels(),
            localSeconds, local.describe(), localSeconds / clusterSeconds);
      }
    }
  }
}
