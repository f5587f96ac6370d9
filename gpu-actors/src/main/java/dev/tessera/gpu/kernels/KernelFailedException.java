package dev.tessera.gpu.kernels;

/** A backend could not compute an operation; the message says why (out of GPU memory, a lost device). */
public class KernelFailedException extends RuntimeException {

  public KernelFailedException(String message) {
    super(message);
  }

  public KernelFailedException(String message, Throwable cause) {
    super(message, cause);
  }
}
