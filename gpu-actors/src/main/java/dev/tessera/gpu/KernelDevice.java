package dev.tessera.gpu;

import dev.tessera.gpu.cuda.GpuDevice;
import dev.tessera.gpu.kernels.KernelRequest;
import java.util.List;

/**
 * One accelerator, driven by one {@link GpuActor}: runs a batch of requests with one
 * synchronisation at its end. {@link dev.tessera.gpu.cuda.CudaDevice} is the real one.
 *
 * <p>Threading: confined to the thread of its actor (a CUDA context is current on one thread).
 */
public interface KernelDevice extends AutoCloseable {

  GpuDevice device();

  /**
   * Runs every request of the batch, returning their results in order.
   *
   * @throws dev.tessera.gpu.kernels.KernelFailedException when the batch failed but the device is
   *     fine (out of memory, a launch it refused); none of the batch's results exist
   * @throws dev.tessera.gpu.cuda.DeviceLostException when the device must be reopened
   */
  List<Object> run(List<KernelRequest<?>> batch);

  /** Frees the device's context and memory. Never throws. */
  @Override
  void close();
}
