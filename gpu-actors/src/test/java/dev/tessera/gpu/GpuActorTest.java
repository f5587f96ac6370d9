package dev.tessera.gpu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.gpu.cuda.DeviceLostException;
import dev.tessera.gpu.cuda.DeviceUnavailableException;
import dev.tessera.gpu.cuda.GpuDevice;
import dev.tessera.gpu.cuda.OutOfDeviceMemoryException;
import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.KernelRequest;
import dev.tessera.gpu.kernels.Matrix;
import dev.tessera.gpu.kernels.SumMax;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class GpuActorTest {

  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final CpuBackend cpu = CpuBackend.create(CpuBackend.Blas.JAVA, 2);
  private static final GpuActor.Settings SETTINGS = new GpuActor.Settings(8, 1 << 20, Duration.ofMillis(50));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    cpu.close();
  }

  @Test
  void computesWhatTheDeviceComputes() {
    TestingKernelDevice device = new TestingKernelDevice(cpu);
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> device, SETTINGS));
    TestProbe<StatusReply<SumMax>> probe = testKit.createTestProbe();

    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {1f, 5f, -2f}), probe.ref()));

    StatusReply<SumMax> reply = probe.receiveMessage();
    assertThat(reply.isSuccess()).isTrue();
    assertThat(reply.getValue()).isEqualTo(new SumMax(4.0, 5f));
  }

  @Test
  void callsArrivingDuringABatchShareTheNextBatch() throws Exception {
    TestingKernelDevice device = new TestingKernelDevice(cpu);
    CountDownLatch release = new CountDownLatch(1);
    device.holdNext = release;
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> device, SETTINGS));
    TestProbe<StatusReply<SumMax>> probe = testKit.createTestProbe();

    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {0f}), probe.ref()));
    assertThat(device.holding.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 1; i <= 20; i++) {
      gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {i}), probe.ref()));
    }
    release.countDown();

    List<Double> sums = new ArrayList<>();
    for (int i = 0; i <= 20; i++) {
      sums.add(probe.receiveMessage().getValue().sum());
    }
    assertThat(sums).hasSize(21).doesNotHaveDuplicates();
    // The first call ran alone; the 20 behind it went in batches of at most 8.
    assertThat(device.batchSizes).containsExactly(1, 8, 8, 4);
    TestProbe<GpuActor.Stats> stats = testKit.createTestProbe();
    gpu.tell(new GpuActor.GetStats(stats.ref()));
    assertThat(stats.receiveMessage()).isEqualTo(new GpuActor.Stats(21, 0, 4, 1));
  }

  @Test
  void aFailedCallIsAnErrorReplyAndTheDeviceGoesOn() {
    TestingKernelDevice device = new TestingKernelDevice(cpu);
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> device, SETTINGS));
    TestProbe<StatusReply<SumMax>> probe = testKit.createTestProbe();
    device.failNext = () -> new OutOfDeviceMemoryException("out of GPU memory on Testing GPU: this call needs 9 MiB");

    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {1f}), probe.ref()));
    StatusReply<SumMax> failed = probe.receiveMessage();
    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {2f}), probe.ref()));
    StatusReply<SumMax> next = probe.receiveMessage();

    assertThat(failed.isError()).isTrue();
    assertThat(failed.getError()).isInstanceOf(OutOfDeviceMemoryException.class).hasMessageContaining("needs 9 MiB");
    assertThat(next.getValue().sum()).isEqualTo(2.0);
    assertThat(device.closed).hasValue(0);
  }

  @Test
  void aBatchThatFailsIsRetriedOneCallAtATime() throws Exception {
    TestingKernelDevice device = new TestingKernelDevice(cpu);
    CountDownLatch release = new CountDownLatch(1);
    device.holdNext = release;
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> device, SETTINGS));
    TestProbe<StatusReply<SumMax>> probe = testKit.createTestProbe();
    device.failNextMulti = () -> new OutOfDeviceMemoryException("out of GPU memory");
    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {0f}), probe.ref()));
    assertThat(device.holding.await(10, TimeUnit.SECONDS)).isTrue();
    for (int i = 1; i <= 3; i++) {
      gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {i}), probe.ref()));
    }

    // The first (held) batch succeeds; the batch of three behind it fails as a whole once.
    release.countDown();
    assertThat(probe.receiveMessage().getValue().sum()).isEqualTo(0.0);

    List<Double> sums = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      sums.add(probe.receiveMessage().getValue().sum());
    }
    assertThat(sums).containsExactly(1.0, 2.0, 3.0);
    assertThat(device.batchSizes).containsExactly(1, 1, 1, 1);
  }

  @Test
  void aLostDeviceFailsItsBatchIsReopenedAndServesTheCallsWaiting() throws Exception {
    List<TestingKernelDevice> opened = new CopyOnWriteArrayList<>();
    TestingKernelDevice first = new TestingKernelDevice(cpu);
    CountDownLatch release = new CountDownLatch(1);
    first.holdNext = release;
    first.failNext = () -> new DeviceLostException("running the batch failed on Testing GPU: CUDA_ERROR_ILLEGAL_ADDRESS");
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> {
      TestingKernelDevice device = opened.isEmpty() ? first : new TestingKernelDevice(cpu);
      opened.add(device);
      return device;
    }, SETTINGS));
    TestProbe<StatusReply<SumMax>> probe = testKit.createTestProbe();

    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {-1f}), probe.ref()));
    assertThat(first.holding.await(10, TimeUnit.SECONDS)).isTrue();
    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {7f}), probe.ref()));
    release.countDown();

    StatusReply<SumMax> lost = probe.receiveMessage();
    assertThat(lost.isError()).isTrue();
    assertThat(lost.getError()).isInstanceOf(DeviceLostException.class).hasMessageContaining("ILLEGAL_ADDRESS");
    StatusReply<SumMax> waiting = probe.receiveMessage(Duration.ofSeconds(10));
    assertThat(waiting.getValue().sum()).isEqualTo(7.0);
    assertThat(opened).hasSize(2);
    assertThat(first.closed).hasValue(1);
    TestProbe<GpuActor.Stats> stats = testKit.createTestProbe();
    gpu.tell(new GpuActor.GetStats(stats.ref()));
    assertThat(stats.receiveMessage()).isEqualTo(new GpuActor.Stats(1, 1, 1, 2));
  }

  @Test
  void aDeviceThatCannotBeOpenedAnswersAtOnceSoCallersUseTheCpu() {
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> {
      throw new IllegalStateException("cuCtxCreate failed: CUDA_ERROR_OUT_OF_MEMORY");
    }, SETTINGS));
    TestProbe<StatusReply<Matrix>> probe = testKit.createTestProbe();
    TestProbe<GpuDevice> describe = testKit.createTestProbe();

    gpu.tell(new GpuActor.Compute<>(new KernelRequest.Gemm(1f, Matrix.zeros(2, 2), Matrix.zeros(2, 2), 0f, null), probe.ref()));
    gpu.tell(new GpuActor.Describe(describe.ref()));

    assertThat(probe.receiveMessage().getError())
        .isInstanceOf(DeviceUnavailableException.class)
        .hasMessageContaining("cuCtxCreate failed");
    assertThat(describe.receiveMessage()).isEqualTo(TestingKernelDevice.DEVICE);
  }

  @Test
  void anUnexpectedExceptionFailsItsCallsAndTheDeviceIsReopened() {
    List<TestingKernelDevice> opened = new CopyOnWriteArrayList<>();
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> {
      TestingKernelDevice device = new TestingKernelDevice(cpu);
      if (opened.isEmpty()) {
        device.failNextUnexpected = () -> new IllegalStateException("a bug");
      }
      opened.add(device);
      return device;
    }, SETTINGS));
    TestProbe<StatusReply<SumMax>> probe = testKit.createTestProbe();

    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {1f}), probe.ref()));
    StatusReply<SumMax> failed = probe.receiveMessage();
    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {2f}), probe.ref()));
    StatusReply<SumMax> next = probe.receiveMessage(Duration.ofSeconds(10));

    assertThat(failed.getError()).isInstanceOf(DeviceLostException.class).hasMessageContaining("a bug");
    assertThat(next.getValue().sum()).isEqualTo(2.0);
    assertThat(opened).hasSize(2);
  }

  @Test
  void aDeviceThatCouldNotBeOpenedIsTriedAgainAndThenServes() {
    java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> {
      if (attempts.incrementAndGet() == 1) {
        throw new IllegalStateException("cuCtxCreate failed: CUDA_ERROR_DEVICE_UNAVAILABLE");
      }
      return new TestingKernelDevice(cpu);
    }, SETTINGS));
    TestProbe<StatusReply<SumMax>> probe = testKit.createTestProbe();

    gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {3f}), probe.ref()));
    assertThat(probe.receiveMessage().getError()).isInstanceOf(DeviceUnavailableException.class);

    StatusReply<SumMax> served = probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(50), () -> {
      gpu.tell(new GpuActor.Compute<>(new KernelRequest.SumMaxOf(new float[] {3f}), probe.ref()));
      StatusReply<SumMax> reply = probe.receiveMessage();
      assertThat(reply.isSuccess()).as("served after the device was opened again").isTrue();
      return reply;
    });
    assertThat(served.getValue().sum()).isEqualTo(3.0);
    assertThat(attempts).hasValue(2);
  }

  @Test
  void theBackendComputesOnTheCpuWhenTheGpuIsTooSmall() {
    TestingKernelDevice device = new TestingKernelDevice(cpu);
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> device, SETTINGS));
    GpuBackend backend = new GpuBackend(List.of(gpu), "Testing GPU", cpu, Duration.ofSeconds(10), testKit.scheduler());
    Matrix a = new Matrix(2, 2, new float[] {1, 2, 3, 4});
    device.failNext = () -> new OutOfDeviceMemoryException("out of GPU memory");

    Matrix product = backend.multiply(a, a);

    assertThat(product.values()).containsExactly(7, 10, 15, 22);
    assertThat(device.batchSizes).isEmpty();
    assertThat(backend.multiply(a, a).values()).containsExactly(7, 10, 15, 22);
    assertThat(device.batchSizes).containsExactly(1);
  }

  @Test
  void theBackendThrowsWhenTheDeviceIsLostMidCall() {
    TestingKernelDevice device = new TestingKernelDevice(cpu);
    ActorRef<GpuActor.Command> gpu = testKit.spawn(GpuActor.create(TestingKernelDevice.DEVICE, d -> device, SETTINGS));
    GpuBackend backend = new GpuBackend(List.of(gpu), "Testing GPU", cpu, Duration.ofSeconds(10), testKit.scheduler());
    device.failNext = () -> new DeviceLostException("CUDA_ERROR_LAUNCH_FAILED");

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> backend.sumMax(new float[] {1f}))
        .isInstanceOf(DeviceLostException.class)
        .hasMessageContaining("LAUNCH_FAILED");
  }
}
