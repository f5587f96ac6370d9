package dev.tessera.gpu.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each buffer of a batch lives in its one device block, and at the same offset in the pinned
 * staging buffer. Every buffer starts on a 256-byte boundary (what {@code cuMemAlloc} gives), so
 * float4 and double accesses of the kernels stay aligned.
 *
 * <p>Not thread-safe: built by the batch's thread.
 */
final class BatchLayout {

  static final long ALIGNMENT = 256;

  /**
   * @param upload copied to the device before the kernels run (null: the kernels fill it)
   * @param download copied back after they ran
   */
  record Region(long offset, long bytes, float[] upload, boolean download) {}

  private final List<Region> regions = new ArrayList<>();
  private long total;

  /** A buffer of {@code bytes}. */
  Region add(long bytes, float[] upload, boolean download) {
    long offset = (total + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    Region region = new Region(offset, bytes, upload, download);
    regions.add(region);
    total = offset + bytes;
    return region;
  }

  /** A buffer holding {@code values}. */
  Region upload(float[] values, boolean download) {
    return add(4L * values.length, values, download);
  }

  List<Region> regions() {
    return regions;
  }

  /** The bytes the batch needs, from the first buffer's start to the last one's end. */
  long total() {
    return total;
  }
}
