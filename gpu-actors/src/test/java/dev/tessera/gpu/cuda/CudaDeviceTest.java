package dev.tessera.gpu.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.gpu.kernels.KernelRequest;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.gpu.kernels.SumMax;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CUDA device itself: pooling and batching. Skipped, saying why, without a GPU. */
class CudaDeviceTest {

  private static GpuDevice firstDevice() {
    GpuDiscovery.Result found = GpuDiscovery.discover();
    assumeTrue(found.found(), () -> "skipped: no usable GPU here: " + found.unavailableReason().orElse("?"));
    return found.devices().get(0);
  }

  @Test
  void repeatedShapesAllocateNoDeviceMemory() {
    try (CudaDevice device = CudaDevice.open(firstDevice(), 1L << 30, false)) {
      Matrix a = Matrix.zeros(512, 512);
      for (int i = 0; i < 20; i++) {
        device.run(List.of(new KernelRequest.Gemm(1f, a, a, 0f, null)));
      }

      assertThat(device.deviceAllocations()).isEqualTo(1);
    }
  }

  @Test
  void aBatchAnswersEachRequestInOrder() {
    try (CudaDevice device = CudaDevice.open(firstDevice(), 1L << 30, true)) {
      List<KernelRequest<?>> batch = new ArrayList<>();
      for (int i = 1; i <= 50; i++) {
        float[] x = new float[i];
        java.util.Arrays.fill(x, i);
        batch.add(new KernelRequest.SumMaxOf(x));
      }

      List<Object> results = device.run(batch);

      for (int i = 1; i <= 50; i++) {
        assertThat(results.get(i - 1)).isEqualTo(new SumMax((double) i * i, i));
      }
    }
  }
}
