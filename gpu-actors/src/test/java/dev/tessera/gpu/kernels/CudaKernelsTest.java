package dev.tessera.gpu.kernels;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tessera.gpu.GpuActor;
import dev.tessera.gpu.GpuBackend;
import dev.tessera.gpu.cuda.CudaDevice;
import dev.tessera.gpu.cuda.GpuDevice;
import dev.tessera.gpu.cuda.GpuDiscovery;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The kernel contract on the first CUDA device, through its {@link GpuActor}, with every output
 * buffer poisoned on the device ({@code cuMemsetD32Async} to NaN) before each batch. Skipped,
 * saying why, on a machine without a usable GPU; the CPU tests carry CI there.
 */
class CudaKernelsTest extends KernelsContract {

  private static ActorTestKit testKit;
  private static Kernels gpu;

  /** Where the GPU test must not quietly pass on the CPU. */
  private static final Kernels NO_FALLBACK = new Kernels() {
    @Override
    public <R> R compute(KernelRequest<R> request) {
      throw new AssertionError("the GPU did not compute " + request.getClass().getSimpleName() + " and fell back to the CPU");
    }

    @Override
    public String describe() {
      return "no fallback";
    }
  };

  @BeforeAll
  static void start() {
    GpuDiscovery.Result found = GpuDiscovery.discover();
    if (!found.found()) {
      return;
    }
    testKit = ActorTestKit.create();
    GpuDevice device = found.devices().get(0);
    ActorRef<GpuActor.Command> actor = testKit.spawn(
        GpuActor.create(device, d -> CudaDevice.open(d, 1L << 30, true), new GpuActor.Settings(64, 16 << 20, Duration.ofMillis(200))),
        "gpu",
        DispatcherSelector.fromConfig("tessera.gpu.device-dispatcher"));
    gpu = new GpuBackend(List.of(actor), device.toString(), NO_FALLBACK, Duration.ofSeconds(60), testKit.scheduler());
  }

  @AfterAll
  static void stop() {
    if (testKit != null) {
      testKit.shutdownTestKit();
    }
  }

  @Override
  protected Kernels kernels() {
    assumeTrue(gpu != null, () -> "skipped: no usable GPU here: " + GpuDiscovery.discover().unavailableReason().orElse("?"));
    return gpu;
  }
}
