package dev.tessera.gpu.cuda;

import dev.tessera.gpu.kernels.KernelFailedException;

/**
 * The device's context is unusable (an illegal address, a failed launch: CUDA errors that stick
 * to the context). The owner must close the device and open a fresh context.
 */
public final class DeviceLostException extends KernelFailedException {

  public DeviceLostException(String message) {
    super(message);
  }

  public DeviceLostException(String message, Throwable cause) {
    super(message, cause);
  }
}
