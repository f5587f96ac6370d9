package dev.tessera.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.typesafe.config.ConfigFactory;
import dev.tessera.gpu.cuda.GpuDiscovery;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.Matrix;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.LoggingTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Test;

/**
 * A node without a GPU (no libcuda, no device) starts and computes on the CPU, saying so once; a
 * node with one computes on it.
 */
class GpuKernelsTest {

  @Test
  void withoutAGpuTheNodeComputesOnTheCpuAndSaysWhy() {
    GpuDiscovery.Result found = GpuDiscovery.discover();
    assumeFalse(found.found(), "skipped: this machine has a GPU; the CPU fallback is tested where there is none");
    ActorTestKit testKit = ActorTestKit.create();
    try {
      GpuKernels gpu = LoggingTestKit.info("no GPU (")
          .withMessageContains("kernels run on the CPU")
          .expect(testKit.system(), () -> GpuKernels.get(testKit.system()));

      Kernels kernels = gpu.kernels();
      Matrix product = kernels.multiply(new Matrix(1, 2, new float[] {1, 2}), new Matrix(2, 1, new float[] {3, 4}));

      assertThat(product.values()).containsExactly(11f);
      assertThat(kernels.describe()).startsWith("cpu: ");
      assertThat(gpu.devices()).isEmpty();
      assertThat(gpu.deviceActors()).isEmpty();
      assertThat(gpu.unavailableReason()).isPresent();
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void withAGpuTheNodeComputesOnIt() {
    GpuDiscovery.Result found = GpuDiscovery.discover();
    assumeTrue(found.found(), () -> "skipped: no usable GPU here: " + found.unavailableReason().orElse("?"));
    ActorTestKit testKit = ActorTestKit.create();
    try {
      GpuKernels gpu = LoggingTestKit.info("kernels run on " + found.devices().size() + " GPU(s)")
          .expect(testKit.system(), () -> GpuKernels.get(testKit.system()));

      Matrix product = gpu.kernels().multiply(new Matrix(1, 2, new float[] {1, 2}), new Matrix(2, 1, new float[] {3, 4}));

      assertThat(product.values()).containsExactly(11f);
      assertThat(gpu.kernels()).isInstanceOf(GpuBackend.class);
      assertThat(gpu.devices()).isEqualTo(found.devices());
      assertThat(gpu.unavailableReason()).isEmpty();
      // The product ran on the first device, not on the CPU fallback.
      TestProbe<GpuActor.Stats> stats = testKit.createTestProbe();
      gpu.deviceActors().get(0).tell(new GpuActor.GetStats(stats.ref()));
      GpuActor.Stats first = stats.receiveMessage();
      assertThat(first.calls()).isEqualTo(1);
      assertThat(first.failedCalls()).isZero();
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void discoveryWithoutTheDriverLibraryNamesIt() {
    GpuDiscovery.Result found = GpuDiscovery.discover();
    assumeFalse(found.found(), "skipped: this machine has a GPU");
    boolean driverInstalled = java.nio.file.Files.exists(java.nio.file.Path.of("/usr/lib/x86_64-linux-gnu/libcuda.so.1"));
    assumeFalse(driverInstalled, "skipped: libcuda.so.1 is installed here (but no device): the reason names the device");

    assertThat(found.unavailableReason().orElseThrow()).contains("libcuda.so.1");
  }

  @Test
  void modeOffNeverTouchesCuda() {
    ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString("tessera.gpu.mode = off").withFallback(ConfigFactory.load()));
    try {
      GpuKernels gpu = GpuKernels.get(testKit.system());

      assertThat(gpu.unavailableReason()).contains("tessera.gpu.mode is off");
      assertThat(gpu.kernels()).isSameAs(gpu.cpu());
    } finally {
      testKit.shutdownTestKit();
    }
  }

  @Test
  void aBadSettingIsRejectedNamingTheKey() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> GpuSettings.create(
            ConfigFactory.parseString("tessera.gpu.cpu.blas = fortran").withFallback(ConfigFactory.load())))
        .hasMessageContaining("tessera.gpu.cpu.blas")
        .hasMessageContaining("fortran");
  }
}
