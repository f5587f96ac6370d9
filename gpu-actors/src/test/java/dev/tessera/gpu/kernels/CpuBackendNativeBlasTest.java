package dev.tessera.gpu.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CPU backend with the system's OpenBLAS through JNI. Skipped, saying so, where no native BLAS
 * loads; {@code .ci/run} installs {@code libopenblas0-pthread}, so CI runs it.
 */
class CpuBackendNativeBlasTest extends KernelsContract {

  private static CpuBackend backend;
  private static String unavailable;

  @BeforeAll
  static void start() {
    try {
      backend = CpuBackend.create(CpuBackend.Blas.NATIVE, 2, true);
    } catch (IllegalStateException e) {
      unavailable = e.getMessage();
    }
  }

  @AfterAll
  static void stop() {
    if (backend != null) {
      backend.close();
    }
  }

  @Override
  protected Kernels kernels() {
    assumeTrue(backend != null, () -> "skipped: " + unavailable);
    return backend;
  }

  @Test
  void autoPicksTheNativeBlasWhereItLoads() {
    assumeTrue(backend != null, () -> "skipped: " + unavailable);
    try (CpuBackend auto = CpuBackend.create()) {
      org.assertj.core.api.Assertions.assertThat(auto.nativeBlas()).isTrue();
      org.assertj.core.api.Assertions.assertThat(auto.describe()).contains("native BLAS");
    }
  }
}
