package dev.tessera.gpu.cuda;

import dev.tessera.gpu.kernels.KernelRequest;
import java.util.List;

/**
 * One accelerator, driven by one {@code dev.tessera.gpu.GpuActor}: runs a batch of requests with one
 * synchronisation at its end. {@link CudaDevice} is the real one. It lives here, beside
 * its implementation, so that {@code dev.tessera.gpu} depends on {@code cuda} and never the other way.
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
   * @throws DeviceLostException when the device must be reopened
   */
  List<Object> run(List<KernelRequest<?>> batch);

  /** Frees the device's context and memory. Never throws. */
  @Override
  void close();

  /** Device memory this device's buffer pool holds now, in bytes; -1 when unknown. Called on the device's thread. */
  default long deviceBytesInUse() {
    return -1;
  }
}
