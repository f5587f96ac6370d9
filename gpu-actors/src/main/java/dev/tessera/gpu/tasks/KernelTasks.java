package dev.tessera.gpu.tasks;

import dev.tessera.gpu.GpuKernels;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.SplittableRandom;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Kernel tasks every node with this module can run, on its GPU or its CPU. Submit them with
 * {@code JobOptions.withRequiredRole("gpu")} to keep them on GPU nodes.
 *
 * <pre>{@code
 * WorkPulling.submit(system, KernelTasks.RANDOM_PRODUCT, List.of(new RandomProduct(4096, 1)),
 *     JobOptions.defaults().withRequiredRole("gpu"));
 * }</pre>
 */
public final class KernelTasks implements TaskLibrary {

  /**
   * Multiplies two n x n matrices of uniform [-1, 1) values drawn from {@code seed} (A first, then
   * B, row by row) and returns a summary: the inputs are made where they are used, so a benchmark
   * or a test moves 16 bytes to the node, not 2 n^2 floats.
   */
  public static final TaskType<RandomProduct, ProductSummary> RANDOM_PRODUCT =
      TaskType.of("tessera.gpu.random-product", RandomProduct.class, ProductSummary.class);

  /** {@link #RANDOM_PRODUCT}'s input. */
  public record RandomProduct(int n, long seed) implements CborSerializable {
    public RandomProduct {
      if (n < 1 || n > 16384) {
        throw new IllegalArgumentException("n must be between 1 and 16384, got " + n);
      }
    }
  }

  /**
   * @param sum the sum of every element of the product (checkable without the product: it equals
   *     the sum over k of A's column sums times B's row sums)
   * @param kernels what computed it ({@link Kernels#describe()})
   * @param node the node that ran it
   * @param multiplyNanos the time the product alone took on that node
   */
  public record ProductSummary(int n, double sum, String kernels, String node, long multiplyNanos)
      implements CborSerializable {}

  @Override
  public void register(TaskRegistry.Builder registry, ActorSystem<?> system) {
    registry.register(RANDOM_PRODUCT, input -> {
      Kernels kernels = GpuKernels.get(system).kernels();
      Matrix[] ab = randomPair(input);
      long start = System.nanoTime();
      Matrix c = kernels.multiply(ab[0], ab[1]);
      long nanos = System.nanoTime() - start;
      double sum = 0;
      for (float v : c.values()) {
        sum += v;
      }
      return new ProductSummary(input.n(), sum, kernels.describe(), Cluster.get(system).selfMember().address().toString(), nanos);
    });
  }

  /** The two matrices of a {@link RandomProduct}. */
  public static Matrix[] randomPair(RandomProduct input) {
    SplittableRandom random = new SplittableRandom(input.seed());
    int n = input.n();
    Matrix a = Matrix.zeros(n, n);
    Matrix b = Matrix.zeros(n, n);
    for (Matrix m : new Matrix[] {a, b}) {
      float[] values = m.values();
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) random.nextDouble(-1, 1);
      }
    }
    return new Matrix[] {a, b};
  }

  /**
   * The exact sum of the elements of A B, in double: {@code sum_k colsum(A)_k * rowsum(B)_k}, and
   * the bound a float32 product's element sum keeps to it ({@code n^2} elements, each within the
   * dot-product bound of its own).
   */
  public static double[] expectedSum(RandomProduct input) {
    Matrix[] ab = randomPair(input);
    int n = input.n();
    double[] colSumA = new double[n];
    double[] rowSumB = new double[n];
    double magnitude = 0;
    double[] absColA = new double[n];
    double[] absRowB = new double[n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < n; k++) {
        float a = ab[0].values()[i * n + k];
        float b = ab[1].values()[i * n + k];
        colSumA[k] += a;
        absColA[k] += Math.abs(a);
        rowSumB[i] += b;
        absRowB[i] += Math.abs(b);
      }
    }
    double sum = 0;
    for (int k = 0; k < n; k++) {
      sum += colSumA[k] * rowSumB[k];
      magnitude += absColA[k] * absRowB[k];
    }
    double u = Math.ulp(1f) / 2;
    return new double[] {sum, (n + 2) * 2 * u * magnitude};
  }
}
