package dev.tessera.samples.matmul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.Matrix;
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
    MatrixMultiply.Blocking blocking = new MatrixMultiply.Blocking(16, 12);
    assertThat(blocking.count(50, 41)).isEqualTo(4 * 4);
    int[] covered = new int[50 * 41];
    for (int row = 0; row < blocking.blockRows(50); row++) {
      for (int column = 0; column < blocking.blockColumns(41); column++) {
        for (int r = row * 16; r < Math.min(50, (row + 1) * 16); r++) {
          for (int c = column * 12; c < Math.min(41, (column + 1) * 12); c++) {
            covered[r * 41 + c]++;
          }
        }
      }
    }
    assertThat(covered).containsOnly(1);
  }

  @Test
  void theDefaultBlockingCutsAtLeastAsManyBlocksAsAskedForAsSquareAsTheCountAllows() {
    assertThat(MatrixMultiply.Blocking.plan(4096, 4096, 4)).isEqualTo(new MatrixMultiply.Blocking(2048, 2048));
    assertThat(MatrixMultiply.Blocking.plan(4096, 4096, 6)).isEqualTo(new MatrixMultiply.Blocking(2048, 1366));
    assertThat(MatrixMultiply.Blocking.plan(4096, 4096, 12).count(4096, 4096)).isEqualTo(12);
    assertThat(MatrixMultiply.Blocking.plan(4096, 4096, 1)).isEqualTo(new MatrixMultiply.Blocking(4096, 4096));
    assertThat(MatrixMultiply.Blocking.plan(4096, 4096, 7).count(4096, 4096)).isEqualTo(8);
    // Never more blocks than elements.
    assertThat(MatrixMultiply.Blocking.plan(2, 3, 100)).isEqualTo(new MatrixMultiply.Blocking(1, 1));
  }

  @Test
  void blocksAreGivenAsRowsByColumnsOrAsASide() {
    assertThat(MatrixMultiply.Blocking.parse("1024x2048")).isEqualTo(new MatrixMultiply.Blocking(1024, 2048));
    assertThat(MatrixMultiply.Blocking.parse("512")).isEqualTo(new MatrixMultiply.Blocking(512, 512));
    assertThatThrownBy(() -> MatrixMultiply.Blocking.parse("12x")).hasMessageContaining("ROWSxCOLUMNS");
    assertThatThrownBy(() -> MatrixMultiply.Blocking.parse("0x5")).hasMessageContaining("at least one row");
  }

  @Test
  void aBlockIsItsPartOfTheProductWithinRoundingBounds() {
    CpuBackend cpu = CpuBackend.create();
    float[] c = new float[50 * 41];
    MatrixMultiply.Blocking blocking = new MatrixMultiply.Blocking(16, 12);
    for (int row = 0; row < blocking.blockRows(50); row++) {
      for (int column = 0; column < blocking.blockColumns(41); column++) {
        int firstRow = row * 16;
        int firstColumn = column * 12;
        Matrix block = cpu.multiply(problem.aRows(firstRow, Math.min(50, firstRow + 16)),
            problem.bColumns(firstColumn, Math.min(41, firstColumn + 12)));
        byte[] bytes = MatrixTasks.toBytes(block.values()); // as the task stores it
        MatrixMultiply.place(c, 41, firstRow, firstColumn, block.rows(), block.cols(), java.nio.ByteBuffer.wrap(bytes));
      }
    }
    assertThat(MatrixMultiply.worstError(problem, c)).isLessThanOrEqualTo(1.0);

    c[7 * 41 + 9] += 0.01f; // a wrong element is caught
    assertThat(MatrixMultiply.worstError(problem, c)).isGreaterThan(1.0);
  }

  @Test
  void aMatrixReadsBackFromItsBytesBitForBit() {
    float[] values = {1.5f, -0f, Float.MIN_VALUE, Float.NaN, -3.25e-7f, 6f};
    byte[] bytes = MatrixTasks.toBytes(values);
    assertThat(bytes).hasSize(24);
    assertThat(bytes[0]).isZero(); // little-endian: 1.5f is 0x3FC00000
    assertThat(bytes[3]).isEqualTo((byte) 0x3F);
    float[] back = new float[6];
    java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(back);
    for (int i = 0; i < values.length; i++) {
      assertThat(Float.floatToRawIntBits(back[i])).isEqualTo(Float.floatToRawIntBits(values[i]));
    }
  }
}
