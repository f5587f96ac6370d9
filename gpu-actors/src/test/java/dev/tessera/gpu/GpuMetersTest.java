package dev.tessera.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.KernelFailedException;
import dev.tessera.gpu.kernels.KernelRequest;
import dev.tessera.gpu.kernels.SumMax;
import dev.tessera.runtime.metrics.NodeMetrics;
import dev.tessera.runtime.metrics.Promtool;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A GPU's meters: calls by outcome, call latency, device memory held by its pool, and the calls
 * computed on the CPU because the GPU could not take them; the text passes {@code promtool check
 * metrics}.
 */
class GpuMetersTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final CpuBackend cpu = CpuBackend.create(CpuBackend.Blas.JAVA, 1);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    cpu.close();
  }

  @Test
  void countsCallsLatencyMemoryAndCpuFallbacks() throws Exception {
    TestingKernelDevice device = new TestingKernelDevice(cpu);
    device.deviceBytes = 3L << 20;
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> device,
        new GpuActor.Settings(8, 1 << 20, Duration.ofMillis(50))));
    NodeMetrics metrics = NodeMetrics.get(testKit.system());
    GpuBackend backend = new GpuBackend(List.of(gpu), "testing", cpu, Duration.ofSeconds(10), testKit.system().scheduler(),
        metrics.registry());

    for (int i = 0; i < 5; i++) {
      assertThat(backend.compute(new KernelRequest.SumMaxOf(new float[] {i, 1f}))).isEqualTo(new SumMax(i + 1.0, Math.max(i, 1f)));
    }
    device.failNext = () -> new KernelFailedException("out of device memory (testing)");
    assertThat(backend.compute(new KernelRequest.SumMaxOf(new float[] {2f, 3f}))).as("computed on the CPU instead")
        .isEqualTo(new SumMax(5.0, 3f));

    String text = metrics.scrape().orElseThrow();
    assertThat(text).contains("tessera_gpu_calls_total{gpu=\"0\",outcome=\"ok\"} 5.0")
        .contains("tessera_gpu_calls_total{gpu=\"0\",outcome=\"failed\"} 1.0")
        .contains("tessera_gpu_cpu_fallbacks_total 1.0")
        .contains("tessera_gpu_memory_used_bytes{gpu=\"0\"} 3145728.0")
        .contains("tessera_gpu_call_seconds_count{gpu=\"0\"} 6");
    promtoolAccepts(text);
  }

  private static void promtoolAccepts(String text) throws Exception {
    Assumptions.assumeTrue(Promtool.available(), "promtool (Debian's prometheus package) is not installed");
    assertThat(Promtool.check(text)).as("promtool check metrics").isEmpty();
  }

}
