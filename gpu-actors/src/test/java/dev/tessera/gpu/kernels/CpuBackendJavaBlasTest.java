package dev.tessera.gpu.kernels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The CPU backend with netlib's Java BLAS, which splits products across threads itself. */
class CpuBackendJavaBlasTest extends KernelsContract {

  private static CpuBackend backend;

  @BeforeAll
  static void start() {
    backend = CpuBackend.create(CpuBackend.Blas.JAVA, 3, true);
  }

  @AfterAll
  static void stop() {
    backend.close();
  }

  @Override
  protected Kernels kernels() {
    return backend;
  }
}
