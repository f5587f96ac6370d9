package dev.tessera.runtime.data;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Freed object memory kept for the next object of the same capacity. Fresh direct memory costs
 * its first writer a page fault and the kernel's zeroing for every page (on this project's 2-core
 * VM, a sixth of a matrix multiply's CPU went to that), so a node that stores objects of the sizes
 * it freed (a job's results, the same panels or gradients each step) reuses their memory.
 *
 * <p>Buffers of 1 MiB or more are kept, by capacity: an object's size rounded up to 64 KiB ({@link
 * #capacityFor}), so that objects of nearly the same size share them. Smaller ones are left to the
 * collector (cheap to make again). The store counts pooled bytes against its memory limit and frees
 * them ({@link #freeOne}, at once, not at the collector's leisure) before it spills any object.
 *
 * <p>Thread safety: none; the store calls it under its lock.
 */
final class MemoryPool {

  /** Objects smaller than this are neither rounded up nor pooled. */
  static final int MIN_POOLED = 1 << 20;
  private static final long GRAIN = 64 << 10;

  private final Map<Integer, ArrayDeque<ByteBuffer>> buffers = new HashMap<>();
  private long bytes;

  /** What an object of {@code size} bytes takes in memory: its size rounded up to 64 KiB from 1 MiB on. */
  static int capacityFor(long size) {
    if (size < MIN_POOLED) {
      return (int) size;
    }
    long rounded = (size + GRAIN - 1) & ~(GRAIN - 1);
    return (int) Math.min(rounded, Integer.MAX_VALUE - 8);
  }

  /** Bytes kept. */
  long bytes() {
    return bytes;
  }

  /** Whether a buffer of exactly {@code capacity} bytes is kept. */
  boolean has(int capacity) {
    return buffers.containsKey(capacity);
  }

  /** Keeps a freed buffer ({@code allocateDirect}'s own, not a view) that nothing reads any more. */
  void give(ByteBuffer root) {
    if (root.capacity() < MIN_POOLED) {
      return;
    }
    buffers.computeIfAbsent(root.capacity(), c -> new ArrayDeque<>()).push(root.clear());
    bytes += root.capacity();
  }

  /** A kept buffer of exactly {@code capacity} bytes, cleared, or null. */
  ByteBuffer take(int capacity) {
    ArrayDeque<ByteBuffer> kept = buffers.get(capacity);
    if (kept == null) {
      return null;
    }
    ByteBuffer buffer = kept.pop();
    if (kept.isEmpty()) {
      buffers.remove(capacity);
    }
    bytes -= capacity;
    return buffer.clear();
  }

  /** Frees one kept buffer's memory now; false if none is kept. */
  boolean freeOne() {
    Iterator<Map.Entry<Integer, ArrayDeque<ByteBuffer>>> it = buffers.entrySet().iterator();
    if (!it.hasNext()) {
      return false;
    }
    Map.Entry<Integer, ArrayDeque<ByteBuffer>> first = it.next();
    ByteBuffer buffer = first.getValue().pop();
    if (first.getValue().isEmpty()) {
      it.remove();
    }
    bytes -= buffer.capacity();
    DirectMemory.free(buffer);
    return true;
  }

  /** Frees every kept buffer now. */
  void freeAll() {
    while (freeOne()) {
      // next
    }
  }
}
