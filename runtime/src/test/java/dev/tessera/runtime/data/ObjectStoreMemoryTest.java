package dev.tessera.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's memory: freed object memory is pooled and reused by the next object of its size,
 * never while a reader still reads it, and pooled memory counts against the limit.
 */
class ObjectStoreMemoryTest {

  private static final int MIB = 1 << 20;

  @TempDir Path dir;

  private ObjectStore store(long memoryLimit) {
    return new ObjectStore(new DataSettings("127.0.0.1", "127.0.0.1", 0, memoryLimit, 1L << 30, dir, 64 << 10,
        Duration.ofSeconds(5), Duration.ofSeconds(5), 3, 4, 0), dir);
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static byte[] read(ObjectStore store, String id) {
    ObjectStore.Entry entry = store.lookup(id);
    try (ObjectStore.Reading reading = store.open(entry)) {
      assertThat(reading.memory()).as("%s in memory", id).isNotNull();
      byte[] bytes = new byte[reading.memory().remaining()];
      reading.memory().get(bytes);
      return bytes;
    }
  }

  @Test
  void aReleasedObjectsMemoryIsReusedByTheNextObjectOfItsSize() {
    try (ObjectStore store = store(16 * MIB)) {
      store.put("a", ByteBuffer.wrap(random(2 * MIB, 1)), null);
      assertThat(store.memoryUsed()).isEqualTo(2 * MIB);
      store.release("a");
      assertThat(store.memoryUsed()).isZero();
      assertThat(store.pooledBytes()).isEqualTo(2 * MIB);

      byte[] b = random(2 * MIB - 100, 2); // rounds up to the same 2 MiB
      store.put("b", ByteBuffer.wrap(b), null);

      assertThat(store.pooledBytes()).as("the pooled buffer was taken").isZero();
      assertThat(store.memoryUsed()).isEqualTo(2 * MIB);
      assertThat(read(store, "b")).as("b's bytes, none of a's beyond them").isEqualTo(b);
      assertThat(store.lookup("b").size).isEqualTo(b.length);
    }
  }

  @Test
  void memoryStillBeingReadIsNotReusedUntilItsReaderCloses() {
    try (ObjectStore store = store(16 * MIB)) {
      byte[] a = random(2 * MIB, 3);
      store.put("a", ByteBuffer.wrap(a), null);
      ObjectStore.Reading reading = store.open(store.lookup("a"));
      store.release("a");
      assertThat(store.pooledBytes()).as("a reader holds it").isZero();

      byte[] b = random(2 * MIB, 4);
      store.put("b", ByteBuffer.wrap(b), null); // gets memory of its own

      byte[] stillA = new byte[a.length];
      reading.memory().get(stillA);
      assertThat(stillA).as("the reader still reads a").isEqualTo(a);
      reading.close();
      assertThat(store.pooledBytes()).as("pooled once its reader closed").isEqualTo(2 * MIB);
      reading.close(); // a second close changes nothing
      assertThat(store.pooledBytes()).isEqualTo(2 * MIB);
      assertThat(read(store, "b")).isEqualTo(b);
    }
  }

  @Test
  void pooledMemoryCountsAgainstTheLimitAndIsFreedBeforeAnyObjectSpills() {
    try (ObjectStore store = store(16 * MIB)) {
      for (int i = 0; i < 4; i++) {
        store.put("three-" + i, ByteBuffer.wrap(random(3 * MIB, 10 + i)), null);
      }
      for (int i = 0; i < 4; i++) {
        store.release("three-" + i);
      }
      assertThat(store.pooledBytes()).isEqualTo(12 * MIB);
      store.put("kept", ByteBuffer.wrap(random(2 * MIB, 20)), null); // 12 + 2 of 16: the pool stays

      for (int i = 0; i < 3; i++) { // 3 x 4 MiB: another size, so the pool gives way
        store.put("four-" + i, ByteBuffer.wrap(random(4 * MIB, 30 + i)), null);
        assertThat(store.memoryUsed() + store.pooledBytes()).isLessThanOrEqualTo(16 * MIB);
      }

      assertThat(store.diskUsed()).as("nothing spilled while pooled memory could go").isZero();
      assertThat(store.memoryUsed()).isEqualTo(14 * MIB);
      assertThat(read(store, "kept")).isEqualTo(random(2 * MIB, 20));
      for (int i = 0; i < 3; i++) {
        assertThat(read(store, "four-" + i)).isEqualTo(random(4 * MIB, 30 + i));
      }
    }
  }

  @Test
  void smallObjectsAreNotPooled() {
    try (ObjectStore store = store(16 * MIB)) {
      store.put("small", ByteBuffer.wrap(random(100_000, 5)), null);
      assertThat(store.memoryUsed()).isEqualTo(100_000);
      store.release("small");
      assertThat(store.memoryUsed()).isZero();
      assertThat(store.pooledBytes()).isZero();
    }
  }
}
