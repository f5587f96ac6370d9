package dev.tessera.gpu.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BufferPoolTest {

  /** Hands out numbered buffers, failing once more than {@code capacity} bytes are out. */
  private static final class CountingAllocator implements BufferPool.Allocator<long[]> {
    final long capacity;
    long used;
    final List<long[]> freed = new ArrayList<>();

    CountingAllocator(long capacity) {
      this.capacity = capacity;
    }

    @Override
    public long[] allocate(long bytes) {
      if (used + bytes > capacity) {
        return null;
      }
      used += bytes;
      return new long[] {bytes};
    }

    @Override
    public void free(long[] buffer) {
      used -= buffer[0];
      freed.add(buffer);
    }
  }

  @Test
  void repeatedShapesAllocateOnce() {
    BufferPool<long[]> pool = new BufferPool<>(new CountingAllocator(1L << 30), 1L << 28);

    for (int i = 0; i < 100; i++) {
      long[] buffer = pool.acquire(3 * 4096L * 4096 * 4);
      pool.release(buffer, 3 * 4096L * 4096 * 4);
    }

    assertThat(pool.allocations()).isEqualTo(1);
  }

  @Test
  void sizesShareAClassWhenTheyDifferALittle() {
    assertThat(BufferPool.sizeClass(1)).isEqualTo(256);
    assertThat(BufferPool.sizeClass(257)).isEqualTo(512);
    assertThat(BufferPool.sizeClass(1000 * 1000 * 4)).isEqualTo(4L << 20);
    assertThat(BufferPool.sizeClass((2L << 20) + 1)).isEqualTo(4L << 20);
    assertThat(BufferPool.sizeClass(1000)).isEqualTo(BufferPool.sizeClass(1024));
  }

  @Test
  void outOfMemoryFreesThePoolAndTriesAgain() {
    CountingAllocator allocator = new CountingAllocator(10L << 20);
    BufferPool<long[]> pool = new BufferPool<>(allocator, 1L << 30);
    long[] small = pool.acquire(6L << 20);
    pool.release(small, 6L << 20);

    long[] large = pool.acquire(8L << 20);

    assertThat(large).isNotNull();
    assertThat(allocator.freed).containsExactly(small);
    assertThat(pool.pooledBytes()).isZero();
    assertThat(pool.acquire(8L << 20)).as("nothing left to free").isNull();
  }

  @Test
  void buffersBeyondThePoolLimitAreFreed() {
    CountingAllocator allocator = new CountingAllocator(1L << 30);
    BufferPool<long[]> pool = new BufferPool<>(allocator, 4L << 20);
    long[] a = pool.acquire(4L << 20);
    long[] b = pool.acquire(4L << 20);

    pool.release(a, 4L << 20);
    pool.release(b, 4L << 20);

    assertThat(pool.pooledBytes()).isEqualTo(4L << 20);
    assertThat(allocator.freed).containsExactly(b);
  }
}
