package dev.tessera.runtime.data;

import java.io.InterruptedIOException;
import java.util.concurrent.locks.LockSupport;

/**
 * Caps the bytes per second a node's store sends, over all its connections together
 * ({@code tessera.data.max-serve-rate}): a Raspberry Pi on Wi-Fi serving a large object should not
 * starve its own cluster heartbeats. Zero means no cap, and costs nothing.
 *
 * <p>Thread safety: any thread; each sender waits for its own turn outside the lock.
 */
final class ServeRate {

  private final long bytesPerSecond;
  private long nextFreeNanos = System.nanoTime();

  ServeRate(long bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** True when there is a cap. */
  boolean limited() {
    return bytesPerSecond > 0;
  }

  /** Waits until {@code bytes} more may be sent. */
  void pace(long bytes) throws InterruptedIOException {
    if (bytesPerSecond <= 0) {
      return;
    }
    long start;
    long now;
    synchronized (this) {
      now = System.nanoTime();
      start = Math.max(now, nextFreeNanos);
      nextFreeNanos = start + (long) (bytes * 1e9 / bytesPerSecond);
    }
    long deadline = start;
    while (System.nanoTime() < deadline) {
      LockSupport.parkNanos(deadline - System.nanoTime());
      if (Thread.interrupted()) {
        throw new InterruptedIOException("interrupted while pacing the store's sends");
      }
    }
  }
}
