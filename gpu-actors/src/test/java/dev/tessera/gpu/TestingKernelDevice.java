package dev.tessera.gpu;

import dev.tessera.gpu.cuda.GpuDevice;
import dev.tessera.gpu.cuda.KernelDevice;
import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.KernelFailedException;
import dev.tessera.gpu.kernels.KernelRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A device that computes on the CPU, for testing {@link GpuActor} without a GPU: it counts
 * batches, can hold a batch until released (so calls pile up behind it), and fails the next batch
 * with a chosen exception.
 */
final class TestingKernelDevice implements KernelDevice {

  static final GpuDevice DEVICE = new GpuDevice(0, "Testing GPU", 1L << 30, "9.0", "13.0");

  private final CpuBackend cpu;
  final List<Integer> batchSizes = java.util.Collections.synchronizedList(new ArrayList<>());
  final AtomicInteger closed = new AtomicInteger();
  volatile Supplier<KernelFailedException> failNext;
  /** Throws something other than a kernel failure from the next batch (a bug, a JCuda exception). */
  volatile Supplier<RuntimeException> failNextUnexpected;
  /** Fails the next batch of more than one request (a batch that asked for too much at once). */
  volatile Supplier<KernelFailedException> failNextMulti;
  volatile CountDownLatch holdNext;
  /** What {@link #deviceBytesInUse} says (the buffer pool of a real device). */
  volatile long deviceBytes = -1;
  final CountDownLatch holding = new CountDownLatch(1);

  TestingKernelDevice(CpuBackend cpu) {
    this.cpu = cpu;
  }

  @Override
  public GpuDevice device() {
    return DEVICE;
  }

  @Override
  public List<Object> run(List<KernelRequest<?>> batch) {
    CountDownLatch hold = holdNext;
    if (hold != null) {
      holdNext = null;
      holding.countDown();
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    Supplier<KernelFailedException> failure = failNext;
    if (failure != null) {
      failNext = null;
      throw failure.get();
    }
    Supplier<RuntimeException> unexpected = failNextUnexpected;
    if (unexpected != null) {
      failNextUnexpected = null;
      throw unexpected.get();
    }
    Supplier<KernelFailedException> multi = failNextMulti;
    if (multi != null && batch.size() > 1) {
      failNextMulti = null;
      throw multi.get();
    }
    batchSizes.add(batch.size());
    List<Object> results = new ArrayList<>();
    for (KernelRequest<?> request : batch) {
      results.add(cpu.compute(request));
    }
    return results;
  }

  @Override
  public long deviceBytesInUse() {
    return deviceBytes;
  }

  @Override
  public void close() {
    closed.incrementAndGet();
  }
}
