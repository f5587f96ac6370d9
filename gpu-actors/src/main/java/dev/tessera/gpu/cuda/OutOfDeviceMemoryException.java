package dev.tessera.gpu.cuda;

import dev.tessera.gpu.kernels.KernelFailedException;

/** The device had too little free memory for a call; the device itself is fine. */
public final class OutOfDeviceMemoryException extends KernelFailedException {

  public OutOfDeviceMemoryException(String message) {
    super(message);
  }
}
