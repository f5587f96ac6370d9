package dev.tessera.gpu.kernels;

import static dev.tessera.gpu.kernels.Float64Reference.U;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Kernels} backend must do, checked against {@link Float64Reference} on random
 * inputs of awkward sizes. The backend under test poisons its outputs (NaN) before each run, so an
 * element a kernel never writes fails the bound check (NaN compares false).
 *
 * <p>The bounds, per output element (u = 2^-24, float32 unit roundoff):
 *
 * <ul>
 *   <li>SGEMM: {@code (k + 2) * 2u * (|alpha| |A| |B| + |beta| |C|)} (the classic dot-product bound);
 *   <li>SAXPY: {@code 2u * (|a x| + |y|)};
 *   <li>sum: {@code 1e-9 * sum |x|} (both backends accumulate in double); max: exact;
 *   <li>Jacobi: {@code steps * 4u * max |grid|} (each step rounds four times; averaging does not
 *       amplify earlier errors);
 *   <li>n-body, one step: velocity {@code 2u |v| + dt (n + 32) u * sum_j |term_j|}, position {@code
 *       2u |x| + dt * (velocity bound + 2u |v|)}; several steps equal the same number of single
 *       steps exactly.
 * </ul>
 */
abstract class KernelsContract {

  /** A backend that poisons its outputs before each run. */
  protected abstract Kernels kernels();

  private static final int[] SIZES = {1, 17, 255, 1000};

  @ParameterizedTest(name = "{0} x {1} times {1} x {2}")
  @CsvSource({"1,1,1", "17,17,17", "255,255,255", "1000,1000,1000", "17,255,1", "1,1000,17", "255,17,1000", "1000,1,255"})
  void matrixProductIsWithinTheDotProductBound(int m, int k, int n) {
    SplittableRandom random = new SplittableRandom(m * 1_000_003L + k * 1009L + n);
    Matrix a = random(m, k, random);
    Matrix b = random(k, n, random);
    Matrix before = copy(a);

    Matrix c = kernels().multiply(a, b);

    assertThat(c.rows()).isEqualTo(m);
    assertThat(c.cols()).isEqualTo(n);
    double[][] ref = Float64Reference.gemm(1f, a, b, 0f, null);
    assertWithin(c.values(), ref[0], i -> (k + 2) * 2 * U * ref[1][i], "C");
    assertThat(a).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0} x {1} times {1} x {2}")
  @CsvSource({"17,255,255", "300,513,257"})
  void gemmScalesAndAddsWithoutWritingItsInputs(int m, int k, int n) {
    SplittableRandom random = new SplittableRandom(7);
    Matrix a = random(m, k, random);
    Matrix b = random(k, n, random);
    Matrix c = random(m, n, random);
    Matrix cBefore = copy(c);

    Matrix result = kernels().gemm(0.5f, a, b, -2f, c);

    double[][] ref = Float64Reference.gemm(0.5f, a, b, -2f, c);
    assertWithin(result.values(), ref[0], i -> (k + 2) * 2 * U * ref[1][i], "C");
    assertThat(c).as("the caller's C").isEqualTo(cBefore);
  }

  @ParameterizedTest(name = "n = {0}")
  @ValueSource(ints = {1, 17, 255, 1000, 1_000_003})
  void saxpyIsWithinRounding(int n) {
    SplittableRandom random = new SplittableRandom(n);
    float[] x = randomVector(n, random);
    float[] y = randomVector(n, random);
    float[] yBefore = y.clone();

    float[] result = kernels().axpy(-1.75f, x, y);

    double[] ref = new double[n];
    for (int i = 0; i < n; i++) {
      ref[i] = -1.75 * x[i] + y[i];
    }
    assertWithin(result, ref, i -> 2 * U * (Math.abs(1.75 * x[i]) + Math.abs(y[i])), "y");
    assertThat(y).as("the caller's y").isEqualTo(yBefore);
  }

  @ParameterizedTest(name = "n = {0}")
  @ValueSource(ints = {1, 17, 255, 1000, 65_537, 1_000_003})
  void sumAndMaxMatchTheReference(int n) {
    SplittableRandom random = new SplittableRandom(31L * n);
    float[] x = randomVector(n, random);
    double sum = 0;
    double abs = 0;
    float max = Float.NEGATIVE_INFINITY;
    for (float v : x) {
      sum += v;
      abs += Math.abs(v);
      max = Math.max(max, v);
    }

    SumMax result = kernels().sumMax(x);

    assertThat(Math.abs(result.sum() - sum)).as("sum error, sum = %s", sum).isLessThanOrEqualTo(1e-9 * abs);
    assertThat(result.max()).isEqualTo(max);
  }

  @Test
  void maxIgnoresNaNAndSumKeepsIt() {
    SumMax result = kernels().sumMax(new float[] {Float.NaN, -3f, 2f, Float.NaN});

    assertThat(result.max()).isEqualTo(2f);
    assertThat(result.sum()).isNaN();
    assertThat(kernels().sumMax(new float[] {Float.NaN}).max()).isEqualTo(Float.NEGATIVE_INFINITY);
  }

  @ParameterizedTest(name = "{0} x {1}, {2} steps")
  @CsvSource({"1,1,1", "1,17,3", "17,1,3", "17,17,1", "17,17,5", "255,1000,3", "1000,17,2", "1000,1000,4"})
  void jacobiStepsAreWithinRoundingAndKeepTheBoundary(int rows, int cols, int steps) {
    SplittableRandom random = new SplittableRandom(rows * 7919L + cols);
    Matrix grid = random(rows, cols, random);
    Matrix before = copy(grid);

    Matrix result = kernels().jacobi(grid, steps);

    double[] ref = Float64Reference.jacobi(grid, steps);
    double max = 0;
    for (float v : grid.values()) {
      max = Math.max(max, Math.abs(v));
    }
    double bound = steps * 4 * U * max;
    assertWithin(result.values(), ref, i -> bound, "grid");
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        if (i == 0 || j == 0 || i == rows - 1 || j == cols - 1) {
          assertThat(result.get(i, j)).as("boundary (%d, %d)", i, j).isEqualTo(grid.get(i, j));
        }
      }
    }
    assertThat(grid).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0} bodies")
  @ValueSource(ints = {1, 17, 255, 1000})
  void nbodyStepIsWithinTheSummationBound(int n) {
    NBodyState state = randomBodies(n, new SplittableRandom(n * 104729L));
    NBodyState before = new NBodyState(state.positionsAndMasses().clone(), state.velocities().clone());
    float dt = 1e-3f;
    float softening = 0.05f;

    NBodyState result = kernels().nbody(state, dt, softening, 1);

    double[] pos = Float64Reference.toDouble(state.positionsAndMasses());
    double[] vel = Float64Reference.toDouble(state.velocities());
    double[][] ref = Float64Reference.nbodyStep(pos, vel, dt, softening);
    double[] velBound = new double[3 * n];
    for (int i = 0; i < 3 * n; i++) {
      velBound[i] = 2 * U * Math.abs(vel[i]) + dt * (n + 32) * U * ref[2][i / 3] + 2 * U * Math.abs(ref[1][i]);
    }
    assertWithin(result.velocities(), ref[1], i -> velBound[i], "velocity");
    assertWithin(
        result.positionsAndMasses(),
        ref[0],
        i -> i % 4 == 3 ? 0 : 2 * U * Math.abs(pos[i]) + dt * (velBound[3 * (i / 4) + i % 4] + 2 * U * Math.abs(ref[1][3 * (i / 4) + i % 4])) + 2 * U * Math.abs(ref[0][i]),
        "position");
    assertThat(state).as("the caller's bodies").isEqualTo(before);
  }

  @ParameterizedTest(name = "{0} bodies")
  @ValueSource(ints = {17, 1000})
  void severalNbodyStepsEqualAsManySingleSteps(int n) {
    NBodyState state = randomBodies(n, new SplittableRandom(n));

    NBodyState three = kernels().nbody(state, 1e-3f, 0.05f, 3);

    NBodyState stepped = state;
    for (int i = 0; i < 3; i++) {
      stepped = kernels().nbody(stepped, 1e-3f, 0.05f, 1);
    }
    assertThat(three).isEqualTo(stepped);
  }

  @Test
  void mismatchedShapesAreRejectedWithTheShapesNamed() {
    Kernels kernels = kernels();
    assertThatThrownBy(() -> kernels.multiply(Matrix.zeros(2, 3), Matrix.zeros(4, 5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("2 x 3")
        .hasMessageContaining("4 x 5");
    assertThatThrownBy(() -> kernels.axpy(1f, new float[2], new float[3]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("same length");
    assertThatThrownBy(() -> kernels.nbody(randomBodies(2, new SplittableRandom(1)), 1e-3f, 0f, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("softening");
  }

  // --- helpers ---

  interface Bound {
    double at(int index);
  }

  static void assertWithin(float[] actual, double[] expected, Bound bound, String what) {
    assertThat(actual).as(what + " length").hasSize(expected.length);
    for (int i = 0; i < actual.length; i++) {
      double error = Math.abs(actual[i] - expected[i]);
      double allowed = bound.at(i);
      if (!(error <= allowed)) {
        throw new AssertionError(
            what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " within " + allowed
                + " (error " + error + ")");
      }
    }
  }

  static Matrix random(int rows, int cols, SplittableRandom random) {
    return new Matrix(rows, cols, randomVector(rows * cols, random));
  }

  static float[] randomVector(int n, SplittableRandom random) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextDouble(-1, 1);
    }
    return v;
  }

  static NBodyState randomBodies(int n, SplittableRandom random) {
    float[] pos = new float[4 * n];
    float[] vel = new float[3 * n];
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < 3; d++) {
        pos[4 * i + d] = (float) random.nextDouble(-1, 1);
        vel[3 * i + d] = (float) random.nextDouble(-0.1, 0.1);
      }
      pos[4 * i + 3] = (float) (random.nextDouble(0.5, 1.5) / n);
    }
    return new NBodyState(pos, vel);
  }

  static Matrix copy(Matrix m) {
    return new Matrix(m.rows(), m.cols(), Arrays.copyOf(m.values(), m.size()));
  }
}
