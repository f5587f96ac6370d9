package dev.tessera.gpu.cuda;

import dev.tessera.gpu.kernels.KernelFailedException;

/** The device could not be opened (or reopened after a failure); calls should go to the CPU. */
public final class DeviceUnavailableException extends KernelFailedException {

  public DeviceUnavailableException(String message) {
    super(message);
  }
}
