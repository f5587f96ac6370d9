package dev.tessera.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes' object stores in one JVM (two actor systems), talking over loopback TCP as two
 * machines would: puts, reads across, spill, release, damaged chunks, limits and lost owners.
 */
class DataStoreTest {

  @TempDir static Path dir;

  static ActorTestKit owner;
  static ActorTestKit reader;

  static Config config(String name, String memoryLimit, String diskLimit) {
    return ConfigFactory.parseString("""
        tessera.data.directory = "%s"
        tessera.data.memory-limit = %s
        tessera.data.disk-limit = %s
        tessera.data.chunk-size = 64 KiB
        tessera.data.idle-timeout = 5s
        """.formatted(dir.resolve(name).toString().replace("\\", "/"), memoryLimit, diskLimit))
        .withFallback(ConfigFactory.load());
  }

  @BeforeAll
  static void start() {
    owner = ActorTestKit.create("owner", config("owner", "4 MiB", "256 MiB"));
    reader = ActorTestKit.create("reader", config("reader", "4 MiB", "256 MiB"));
  }

  @AfterAll
  static void stop() {
    owner.shutdownTestKit();
    reader.shutdownTestKit();
  }

  static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void anObjectPutOnOneNodeIsReadIntactOnAnother() throws Exception {
    byte[] small = random(1000, 1);
    byte[] large = random(20 << 20, 2); // beyond a quarter of the memory limit: a file
    DataRef<byte[]> smallRef = Data.put(owner.system(), small);
    DataRef<byte[]> largeRef = Data.put(owner.system(), large);
    assertThat(largeRef.size()).isEqualTo(large.length);
    assertThat(largeRef.owner()).isEqualTo(DataStore.get(owner.system()).self());

    assertThat(await(Data.get(reader.system(), smallRef))).isEqualTo(small);
    assertThat(await(Data.get(reader.system(), largeRef))).isEqualTo(large);
    // Outside a task the reader keeps no copy.
    assertThat(DataStore.get(reader.system()).holds(largeRef.id())).isFalse();
  }

  @Test
  void readGivesAReadOnlyViewOfTheNodesCopyInMemoryOrInAFile() throws Exception {
    byte[] small = random(300 << 10, 60); // memory
    byte[] large = random(6 << 20, 61); // beyond a quarter of the memory limit: a file
    for (byte[] bytes : List.of(small, large)) {
      DataRef<byte[]> ref = Data.put(owner.system(), bytes);
      java.util.function.Function<ByteBuffer, byte[]> copyOut = view -> {
        assertThat(view.isReadOnly()).isTrue();
        assertThat(view.position()).isZero();
        byte[] read = new byte[view.remaining()];
        view.get(read);
        return read;
      };
      assertThat(await(Data.read(owner.system(), ref, copyOut))).as("on its owner").isEqualTo(bytes);
      assertThat(await(Data.read(reader.system(), ref, copyOut))).as("fetched").isEqualTo(bytes);
      assertThat(DataStore.get(reader.system()).holds(ref.id())).as("outside a task no copy stays").isFalse();
      await(Data.release(owner.system(), ref));
    }
    DataRef<byte[]> released = Data.put(owner.system(), small);
    await(Data.release(owner.system(), released));
    assertThat(causeOf(() -> await(Data.read(reader.system(), released, view -> 0))))
        .isInstanceOf(DataException.class).hasMessageContaining(released.id());
  }

  @Test
  void valuesRoundTripAsTheirType() throws Exception {
    double[] values = {1.5, -2.25, 3e300};
    DataRef<double[]> ref = Data.putValue(owner.system(), values);
    assertThat(await(Data.getValue(reader.system(), ref, double[].class))).containsExactly(values);
  }

  @Test
  void memoryBeyondTheLimitSpillsToFilesAndStaysReadable() throws Exception {
    DataStore store = DataStore.get(owner.system());
    List<DataRef<byte[]>> refs = new ArrayList<>();
    for (int i = 0; i < 12; i++) { // 12 x 512 KiB = 6 MiB into a 4 MiB memory
      refs.add(Data.put(owner.system(), random(512 << 10, 100 + i)));
    }
    assertThat(store.memoryUsed()).isLessThanOrEqualTo(4 << 20);
    assertThat(store.diskUsed()).isGreaterThan(0);
    for (int i = 0; i < 12; i++) {
      assertThat(await(Data.get(reader.system(), refs.get(i)))).isEqualTo(random(512 << 10, 100 + i));
    }
    refs.forEach(ref -> Data.release(owner.system(), ref).toCompletableFuture().join());
  }

  @Test
  void aReleasedObjectIsGoneEverywhereAndItsDiskSpaceReturns() throws Exception {
    DataStore store = DataStore.get(owner.system());
    long diskBefore = store.diskUsed();
    DataRef<byte[]> ref = Data.put(owner.system(), random(8 << 20, 3));
    assertThat(store.diskUsed()).isEqualTo(diskBefore + (8 << 20));
    long filesBefore = filesIn(dir.resolve("owner"));

    await(Data.release(reader.system(), ref)); // released from another node: asks the owner

    assertThat(store.diskUsed()).isEqualTo(diskBefore);
    assertThat(filesIn(dir.resolve("owner"))).isEqualTo(filesBefore - 1);
    assertThatThrownBy(() -> await(Data.get(reader.system(), ref)))
        .hasCauseInstanceOf(DataException.class)
        .hasMessageContaining(ref.id())
        .hasMessageContaining("no node holds it");
    assertThat(((DataException) causeOf(() -> await(Data.get(reader.system(), ref)))).reason())
        .isEqualTo(DataException.Reason.UNKNOWN);
  }

  @Test
  void aDamagedChunkIsDetectedAndFetchedAgain() throws Exception {
    byte[] bytes = random(1 << 20, 4);
    DataRef<byte[]> ref = Data.put(owner.system(), bytes);
    AtomicInteger damaged = new AtomicInteger();
    DataStore.get(reader.system()).damageIncoming((id, chunk, data) -> {
      if (id.equals(ref.id()) && chunk == 5 && damaged.getAndIncrement() == 0) {
        data.put(data.position() + 100, (byte) (data.get(data.position() + 100) ^ 0x40));
        return true;
      }
      return false;
    });
    try {
      assertThat(await(Data.get(reader.system(), ref))).isEqualTo(bytes);
      assertThat(damaged.get()).isEqualTo(2); // damaged once, then fetched again from chunk 5 intact
    } finally {
      DataStore.get(reader.system()).damageIncoming(null);
    }
  }

  @Test
  void aChunkDamagedOnEveryTryFailsTheReadNamingTheObject() throws Exception {
    DataRef<byte[]> ref = Data.put(owner.system(), random(300 << 10, 5));
    DataStore.get(reader.system()).damageIncoming((id, chunk, data) -> {
      data.put(data.position(), (byte) ~data.get(data.position()));
      return true;
    });
    try {
      DataException e = (DataException) causeOf(() -> await(Data.get(reader.system(), ref)));
      assertThat(e.reason()).isEqualTo(DataException.Reason.CORRUPT);
      assertThat(e.getMessage()).contains(ref.id()).contains("chunk 0");
    } finally {
      DataStore.get(reader.system()).damageIncoming(null);
    }
  }

  @Test
  void aThousandConcurrentReadsOfOneObjectShareOneTransfer() throws Exception {
    byte[] bytes = random(2 << 20, 6);
    DataRef<byte[]> ref = Data.put(owner.system(), bytes);
    long transfersBefore = DataStore.get(reader.system()).transfersStarted();
    long expected = crcOf(bytes);
    // Each read's bytes are checked and dropped as it completes: a thousand 2 MiB arrays at once
    // would be the test's heap, not the store's.
    List<CompletableFuture<Long>> reads = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      reads.add(Data.get(reader.system(), ref).thenApply(DataStoreTest::crcOf).toCompletableFuture());
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    for (CompletableFuture<Long> read : reads) {
      assertThat(read.join()).isEqualTo(expected);
    }
    // Reads that come after a shared transfer's readers have all finished start another: far fewer
    // than one per read.
    assertThat(DataStore.get(reader.system()).transfersStarted() - transfersBefore).isBetween(1L, 20L);
  }

  @Test
  void aPutBeyondTheDiskLimitFailsClearlyAndLosesNothing() throws Exception {
    ActorTestKit small = ActorTestKit.create("small", config("small", "1 MiB", "10 MiB"));
    try {
      DataRef<byte[]> kept = Data.put(small.system(), random(6 << 20, 7));
      DataException e = (DataException) catchThrowable(() -> Data.put(small.system(), random(6 << 20, 8)));
      assertThat(e.reason()).isEqualTo(DataException.Reason.STORE_FULL);
      assertThat(e.getMessage()).contains("tessera.data.disk-limit").contains("cannot store 6291456 bytes");
      assertThat(await(Data.get(reader.system(), kept))).isEqualTo(random(6 << 20, 7));
      assertThat(DataStore.get(small.system()).objects()).isEqualTo(1);
    } finally {
      small.shutdownTestKit();
    }
  }

  @Test
  void aNodeWithAnotherChunkSizeReadsAndKeepsACopyThatMatchesTheRef() throws Exception {
    ActorTestKit other = ActorTestKit.create("other", ConfigFactory.parseString("tessera.data.chunk-size = 192 KiB")
        .withFallback(config("other", "4 MiB", "64 MiB")));
    try {
      byte[] bytes = random(3 << 20, 13);
      DataRef<byte[]> ref = Data.put(owner.system(), bytes);
      try (DataScope.Entered ignored = DataScope.enter("job-chunks", 0)) { // kept: checked against the ref's hash
        assertThat(await(Data.get(other.system(), ref))).isEqualTo(bytes);
      }
      assertThat(DataStore.get(other.system()).holds(ref.id())).isTrue();
    } finally {
      other.shutdownTestKit();
    }
  }

  @Test
  void aReadFromAStoppedOwnerFailsNamingTheObjectAndTheNodeWithoutHanging() throws Exception {
    ActorTestKit gone = ActorTestKit.create("gone", config("gone", "4 MiB", "64 MiB"));
    DataRef<byte[]> ref = Data.put(gone.system(), random(1000, 9));
    gone.shutdownTestKit();
    long start = System.nanoTime();
    DataException e = (DataException) causeOf(() -> await(Data.get(reader.system(), ref)));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    assertThat(e.reason()).isEqualTo(DataException.Reason.LOST);
    assertThat(e.getMessage()).contains(ref.id()).contains(ref.owner().node()).contains("refused");
  }

  @Test
  void objectsOfAJobAreFreedWhenItEndsExceptThoseKept() throws Exception {
    DataStore store = DataStore.get(owner.system());
    DataRef<byte[]> scratch;
    DataRef<byte[]> result;
    try (DataScope.Entered ignored = DataScope.enter("job-1", 7)) {
      scratch = Data.put(owner.system(), random(1000, 10));
      result = Data.put(owner.system(), random(1000, 11));
    }
    assertThat(scratch.lineage()).isEqualTo(new DataRef.Lineage("job-1", 7, 0));
    assertThat(result.lineage()).isEqualTo(new DataRef.Lineage("job-1", 7, 1));
    // A reader inside the same job keeps its copy for the job.
    try (DataScope.Entered ignored = DataScope.enter("job-1", 8)) {
      await(Data.get(reader.system(), scratch));
    }
    assertThat(DataStore.get(reader.system()).holds(scratch.id())).isTrue();

    store.keep(List.of(result));
    assertThat(store.releaseJob("job-1")).isEqualTo(1);
    assertThat(DataStore.get(reader.system()).releaseJob("job-1")).isEqualTo(1);
    assertThat(store.holds(scratch.id())).isFalse();
    assertThat(store.holds(result.id())).isTrue();
  }

  @Test
  void refsSerializeAsPlainValuesAndAreSeenWhenWritten() throws Exception {
    DataRef<byte[]> ref = Data.put(owner.system(), random(10, 12));
    var codec = new dev.tessera.runtime.job.PayloadCodec();
    RefsSeen.Seen<byte[]> seen = RefsSeen.during(() -> codec.encode(List.of(ref, ref)));
    assertThat(seen.refs()).containsExactly(ref, ref);
    @SuppressWarnings("unchecked")
    DataRef<byte[]> back = codec.decode(codec.encode(ref), DataRef.class);
    assertThat(back).isEqualTo(ref);
  }

  private static long crcOf(byte[] bytes) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(bytes);
    return crc.getValue() ^ ((long) bytes.length << 32);
  }

  @Test
  void aResultThatFitsMemoryIsStoredWithoutAFileAndALargerOneGoesStraightToOne() throws Exception {
    DataStore store = DataStore.get(owner.system());
    byte[] small = random(600 << 10, 40); // within a quarter of the 4 MiB memory limit
    byte[] large = random(3 << 20, 41); // beyond it
    long filesBefore = filesIn(dir.resolve("owner"));
    long diskBefore = store.diskUsed();

    DataRef<byte[]> inMemory = store.putResult(out -> {
      out.write(small, 0, 1000); // in pieces, as a serializer writes
      out.write(small, 1000, small.length - 1000);
    }, "job-results", 1);
    assertThat(filesIn(dir.resolve("owner"))).as("no file for a result that fits memory").isEqualTo(filesBefore);
    assertThat(store.diskUsed()).isEqualTo(diskBefore);

    DataRef<byte[]> inFile = store.putResult(out -> {
      for (int offset = 0; offset < large.length; offset += 100_000) {
        out.write(large, offset, Math.min(100_000, large.length - offset));
      }
    }, "job-results", 2);
    assertThat(store.diskUsed()).isEqualTo(diskBefore + large.length);

    assertThat(inMemory.lineage().taskId()).isEqualTo(1);
    assertThat(await(Data.get(reader.system(), inMemory))).isEqualTo(small);
    assertThat(await(Data.get(reader.system(), inFile))).isEqualTo(large);
    assertThat(store.releaseJob("job-results")).isEqualTo(2);
    assertThat(filesIn(dir.resolve("owner"))).isEqualTo(filesBefore);
  }

  @Test
  void aPrefetchedObjectBelongsToItsJobAndAReleasedJobPrefetchesNothing() throws Exception {
    byte[] bytes = random(700 << 10, 50);
    DataRef<byte[]> ref = Data.put(owner.system(), bytes);
    DataStore store = DataStore.get(reader.system());
    long transfers = store.transfersStarted();

    store.prefetch(ref, "job-prefetch");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!store.holds(ref.id())) {
      assertThat(System.nanoTime()).as("prefetched within 10 s").isLessThan(deadline);
      Thread.sleep(10);
    }
    store.prefetch(ref, "job-prefetch"); // held already: nothing more
    try (DataScope.Entered ignored = DataScope.enter("job-prefetch", 0)) {
      assertThat(await(Data.get(reader.system(), ref))).isEqualTo(bytes); // a task's read finds the copy
    }
    assertThat(store.transfersStarted() - transfers).as("one transfer").isEqualTo(1);

    assertThat(store.releaseJob("job-prefetch")).isEqualTo(1);
    assertThat(store.holds(ref.id())).isFalse();
    store.prefetch(ref, "job-prefetch"); // the job ended here: a late batch fetches nothing
    assertThat(store.transfersStarted() - transfers).isEqualTo(1);
    assertThat(store.holds(ref.id())).isFalse();
    await(Data.release(owner.system(), ref));
  }

  @Test
  void prefetchesRunOneAtATimeAndATasksReadStartsAWaitingOneAtOnce() throws Exception {
    // An owner that sends 2 MiB/s: each 2 MiB object takes about a second to move.
    ActorTestKit slow = ActorTestKit.create("slow", ConfigFactory.parseString("tessera.data.max-serve-rate = 2 MiB")
        .withFallback(config("slow", "16 MiB", "64 MiB")));
    try {
      List<DataRef<byte[]>> refs = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        refs.add(Data.put(slow.system(), random(2 << 20, 70 + i)));
      }
      DataStore store = DataStore.get(reader.system());
      long transfers = store.transfersStarted();
      refs.forEach(ref -> store.prefetch(ref, "job-queue"));
      assertThat(store.transfersStarted() - transfers).as("one prefetch moving, two waiting").isEqualTo(1);

      CompletableFuture<byte[]> read;
      try (DataScope.Entered ignored = DataScope.enter("job-queue", 0)) {
        read = Data.get(reader.system(), refs.get(2)).toCompletableFuture(); // a task needs the last one now
      }
      assertThat(store.transfersStarted() - transfers).as("the task's read did not wait its turn").isEqualTo(2);
      assertThat(read.get(60, TimeUnit.SECONDS)).isEqualTo(random(2 << 20, 72));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (DataRef<byte[]> ref : refs) {
        while (!store.holds(ref.id())) {
          assertThat(System.nanoTime()).as("every prefetch lands").isLessThan(deadline);
          Thread.sleep(20);
        }
      }
      assertThat(store.transfersStarted() - transfers).as("each object moved once").isEqualTo(3);
      assertThat(store.releaseJob("job-queue")).isEqualTo(3);
    } finally {
      slow.shutdownTestKit();
    }
  }

  private static long filesIn(Path folder) throws Exception {
    try (Stream<Path> files = Files.walk(folder)) {
      return files.filter(p -> p.toString().endsWith(".obj")).count();
    }
  }

  @FunctionalInterface
  interface Call {
    Object call() throws Exception;
  }

  private static Throwable catchThrowable(Call call) {
    try {
      call.call();
    } catch (Throwable t) {
      return t;
    }
    throw new AssertionError("expected a failure");
  }

  private static Throwable causeOf(Call call) {
    Throwable t = catchThrowable(call);
    while ((t instanceof java.util.concurrent.ExecutionException || t instanceof CompletionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

}
