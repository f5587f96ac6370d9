package dev.tessera.samples.matmul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.gpu.kernels.CpuBackend;
import java.util.List;
import org.junit.jupiter.api.Test;

class MatrixTasksTest {

  private final MatrixTasks.Problem problem = new MatrixTasks.Problem(3, 50, 37, 41);

  @Test
  void elementsAreFixedBySeedAndSpreadOverTheirRange() {
    assertThat(problem.element(0, 4, 5)).isEqualTo(new MatrixTasks.Problem(3, 50, 37, 41).element(0, 4, 5));
    assertThat(problem.element(0, 4, 5)).isNotEqualTo(problem.element(1, 4, 5));
    assertThat(problem.element(0, 4, 5)).isNotEqualTo(new MatrixTasks.Problem(4, 50, 37, 41).element(0, 4, 5));
    double sum = 0;
    float min = 1;
    float max = -1;
    for (int i = 0; i < 200; i++) {
      for (int j = 0; j < 200; j++) {
        float x = problem.element(0, i, j);
        sum += x;
        min = Math.min(min, x);
        max = Math.max(max, x);
      }
    }
    assertThat(min).isGreaterThanOrEqualTo(-0.5f);
    assertThat(max).isLessThan(0.5f);
    assertThat(sum / 40_000).isBetween(-0.01, 0.01); // mean 0, standard error 0.0014
  }

  @Test
  void blocksTileCExactlyOnce() {
    List<MatrixTasks.Block> blocks = MatrixMultiply.blocks(problem, 16);
    assertThat(blocks).hasSize(4 * 3);
    int[] covered = new int[50 * 41];
    for (MatrixTasks.Block block : blocks) {
      for (int r = 0; r < block.rows(); r++) {
        for (int c = 0; c < block.columns(); c++) {
          covered[(block.firstRow() + r) * 41 + block.firstColumn() + c]++;
        }
      }
    }
    assertThat(covered).containsOnly(1);
    assertThatThrownBy(() -> MatrixMultiply.blocks(problem, 121)).hasMessageContaining("out of range");
  }

  @Test
  void aBlockIsItsPartOfTheProductWithinRoundingBounds() {
    CpuBackend cpu = CpuBackend.create();
    float[] c = new float[50 * 41];
    for (MatrixTasks.Block block : MatrixMultiply.blocks(problem, 16)) {
      MatrixTasks.BlockProduct product = MatrixTasks.multiply(block, cpu);
      assertThat(product.computedBy()).isEqualTo(cpu.describe());
      for (int r = 0; r < product.rows(); r++) {
        System.arraycopy(product.values(), r * product.columns(), c, (block.firstRow() + r) * 41 + block.firstColumn(),
            product.columns());
      }
    }
    assertThat(MatrixMultiply.worstError(problem, c)).isLessThanOrEqualTo(1.0);

    c[7 * 41 + 9] += 0.01f; // a wrong element is caught
    assertThat(MatrixMultiply.worstError(problem, c)).isGreaterThan(1.0);
  }
}
