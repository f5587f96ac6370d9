package dev.tessera.gpu.cuda;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Device buffers kept for reuse, so that repeated calls of one shape allocate nothing: a buffer
 * given back is kept in a free list of its size class, up to {@code maxPooledBytes} in all.
 * Sizes are rounded up to a class (powers of two below 2 MiB, multiples of 2 MiB above), so
 * shapes that differ a little share buffers.
 *
 * <p>Not thread-safe: owned by the one actor of a device.
 *
 * @param <B> the allocator's buffer handle
 */
final class BufferPool<B> {

  /** Allocates and frees device memory. */
  interface Allocator<B> {
    /** A new buffer of exactly {@code bytes}; null when the device is out of memory. */
    B allocate(long bytes);

    void free(B buffer);
  }

  private static final long LARGE = 2L << 20;

  private final Allocator<B> allocator;
  private final long maxPooledBytes;
  private final Map<Long, Deque<B>> free = new HashMap<>();
  private long pooledBytes;
  private long allocations;
  /** Bytes allocated from the device and not freed: in use by a call, or pooled. */
  private long deviceBytes;

  BufferPool(Allocator<B> allocator, long maxPooledBytes) {
    this.allocator = Objects.requireNonNull(allocator, "allocator");
    if (maxPooledBytes < 0) {
      throw new IllegalArgumentException("maxPooledBytes must not be negative, got " + maxPooledBytes);
    }
    this.maxPooledBytes = maxPooledBytes;
  }

  /** The size class a request of {@code bytes} is served from. */
  static long sizeClass(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("bytes must be positive, got " + bytes);
    }
    if (bytes >= LARGE) {
      return (bytes + LARGE - 1) / LARGE * LARGE;
    }
    return Math.max(256, Long.highestOneBit(bytes - 1) << 1);
  }

  /**
   * A buffer of at least {@code bytes}, from the pool or newly allocated. When the device is out of
   * memory, every pooled buffer is freed and the allocation tried once more.
   *
   * @return null when even that fails
   */
  B acquire(long bytes) {
    long size = sizeClass(bytes);
    Deque<B> list = free.get(size);
    if (list != null && !list.isEmpty()) {
      pooledBytes -= size;
      return list.pop();
    }
    B buffer = allocator.allocate(size);
    if (buffer == null && pooledBytes > 0) {
      trim();
      buffer = allocator.allocate(size);
    }
    if (buffer != null) {
      allocations++;
      deviceBytes += size;
    }
    return buffer;
  }

  /** Gives back a buffer acquired for {@code bytes}. */
  void release(B buffer, long bytes) {
    long size = sizeClass(bytes);
    if (pooledBytes + size > maxPooledBytes) {
      allocator.free(buffer);
      deviceBytes -= size;
      return;
    }
    free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(buffer);
    pooledBytes += size;
  }

  /** Frees every pooled buffer. */
  void trim() {
    for (Map.Entry<Long, Deque<B>> e : free.entrySet()) {
      Deque<B> list = e.getValue();
      while (!list.isEmpty()) {
        allocator.free(list.pop());
        deviceBytes -= e.getKey();
      }
    }
    pooledBytes = 0;
  }

  /** Bytes allocated from the device and not freed (in use by a call, or pooled). */
  long deviceBytes() {
    return deviceBytes;
  }

  long pooledBytes() {
    return pooledBytes;
  }

  /** How many buffers were allocated from the device so far (not served from the pool). */
  long allocations() {
    return allocations;
  }
}
