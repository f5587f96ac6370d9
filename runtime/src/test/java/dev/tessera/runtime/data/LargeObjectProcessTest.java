package dev.tessera.runtime.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 2 GiB object moves between two node processes whose heaps are 256 MiB: the store keeps it off
 * the heap (in a file), serves it with {@code sendfile} and the reader streams it into a file, so
 * neither process's memory grows with the object. Checks the bytes (a CRC-32C per 4 MiB block of
 * the file, computed as it was written), both processes' peak resident memory, and that releasing
 * the object deletes the owner's file.
 *
 * <p>It writes about 6 GiB to disk (the source, the owner's copy, the reader's file) and deletes
 * each as soon as it has served.
 */
class LargeObjectProcessTest {

  private static final long SIZE = 2L << 30;
  private static final int BLOCK = 4 << 20;
  /** Far below the object's size: a process that held the object in memory would pass it. */
  private static final long PEAK_RSS_LIMIT_KIB = 1L << 20;
  /** At most two copies exist at once (the source is deleted once stored), plus room to spare. */
  private static final long DISK_NEEDED = 5L << 30;
  private static final Duration START = Duration.ofSeconds(60);
  private static final Duration TRANSFER = Duration.ofMinutes(3);

  @TempDir Path dir;

  @Test
  void aTwoGibObjectMovesBetweenNodesWithSmallHeapsIntactAndItsReleaseFreesTheOwnersFile() throws Exception {
    long free = Files.getFileStore(dir).getUsableSpace();
    assumeTrue(free > DISK_NEEDED, "needs " + (DISK_NEEDED >> 30) + " GiB free in " + dir + ", has " + (free >> 20)
        + " MiB");
    Path source = dir.resolve("source.bin");
    Path target = dir.resolve("received.bin");
    Path ownerStore = dir.resolve("owner-store");
    Path readerStore = dir.resolve("reader-store");
    DataNodeProcess owner = null;
    DataNodeProcess reader = null;
    try {
      owner = DataNodeProcess.start("owner", "256m", storeProperties(ownerStore), dir.resolve("owner.log"));
      reader = DataNodeProcess.start("reader", "256m", storeProperties(readerStore), dir.resolve("reader.log"));
      long started = System.nanoTime();
      int[] written = writeRandomFile(source, SIZE, 19); // while the nodes start
      System.out.printf("wrote the 2 GiB source in %d ms%n", millisSince(started));
      owner.awaitReady(START);
      reader.awaitReady(START);

      started = System.nanoTime();
      String ref = owner.ask("put-file " + source, TRANSFER);
      System.out.printf("the owner stored it in %d ms%n", millisSince(started));
      Files.delete(source); // the owner has its copy; this one would only wait to be written back
      assertThat(ref).contains("\"size\":" + SIZE);
      assertThat(objectFiles(ownerStore)).hasSize(1);

      started = System.nanoTime();
      String millis = reader.ask("get-file " + ref + " " + target, TRANSFER);
      System.out.printf("the reader received it in %d ms (%s ms by its own count)%n", millisSince(started), millis);
      assertThat(Files.size(target)).isEqualTo(SIZE);
      assertThat(blockCrcs(target)).as("CRC-32C of each 4 MiB block, received against sent").isEqualTo(written);
      Files.delete(target);
      assertThat(reader.ask("stats", START)).as("the reader's store (getToFile keeps no copy)").isEqualTo("0 0 0");

      long[] ownerRss = rss(owner);
      long[] readerRss = rss(reader);
      System.out.printf("peak RSS: owner %d MiB (now %d MiB), reader %d MiB (now %d MiB), object %d MiB%n",
          ownerRss[1] >> 10, ownerRss[0] >> 10, readerRss[1] >> 10, readerRss[0] >> 10, SIZE >> 20);
      assertThat(ownerRss[1]).as("the owner's peak RSS in KiB").isLessThan(PEAK_RSS_LIMIT_KIB);
      assertThat(readerRss[1]).as("the reader's peak RSS in KiB").isLessThan(PEAK_RSS_LIMIT_KIB);

      reader.ask("release " + ref, START); // from the reader: the owner is asked over the wire
      assertThat(objectFiles(ownerStore)).as("the owner's object files after the release").isEmpty();
      assertThat(owner.ask("stats", START)).isEqualTo("0 0 0");
    } finally {
      if (owner != null) {
        owner.close();
      }
      if (reader != null) {
        reader.close();
      }
      Files.deleteIfExists(source);
      Files.deleteIfExists(target);
    }
  }

  private static List<String> storeProperties(Path directory) {
    return List.of("tessera.data.directory=" + directory);
  }

  /**
   * Writes {@code size} pseudo-random bytes from {@code seed}, a block at a time through one
   * direct buffer (never the whole file in this heap); answers each block's CRC-32C.
   */
  static int[] writeRandomFile(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    ByteBuffer block = ByteBuffer.allocateDirect(BLOCK).order(ByteOrder.LITTLE_ENDIAN);
    int[] crcs = new int[(int) ((size + BLOCK - 1) / BLOCK)];
    CRC32C crc = new CRC32C();
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (int b = 0; b < crcs.length; b++) {
        int length = (int) Math.min(BLOCK, size - (long) b * BLOCK);
        block.clear();
        while (block.position() + 8 <= length) {
          block.putLong(random.nextLong());
        }
        while (block.position() < length) {
          block.put((byte) random.nextInt());
        }
        block.flip();
        crc.reset();
        crc.update(block.duplicate());
        crcs[b] = (int) crc.getValue();
        while (block.hasRemaining()) {
          out.write(block);
        }
      }
    }
    return crcs;
  }

  /** The CRC-32C of each block of the file, read through one direct buffer. */
  static int[] blockCrcs(Path file) throws IOException {
    long size = Files.size(file);
    int[] crcs = new int[(int) ((size + BLOCK - 1) / BLOCK)];
    ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
    CRC32C crc = new CRC32C();
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int b = 0; b < crcs.length; b++) {
        block.clear().limit((int) Math.min(BLOCK, size - (long) b * BLOCK));
        while (block.hasRemaining()) {
          if (in.read(block) < 0) {
            throw new IOException(file + " ended early");
          }
        }
        crc.reset();
        crc.update(block.flip());
        crcs[b] = (int) crc.getValue();
      }
    }
    return crcs;
  }

  /** The store's object files under its configured directory (each process makes a folder inside). */
  private static List<Path> objectFiles(Path storeDirectory) throws IOException {
    try (Stream<Path> files = Files.walk(storeDirectory)) {
      return files.filter(f -> f.toString().endsWith(".obj")).toList();
    }
  }

  /** VmRSS and VmHWM (the peak) of the node, in KiB. */
  private static long[] rss(DataNodeProcess node) throws IOException {
    String[] numbers = node.ask("rss", START).split(" ");
    return new long[] {Long.parseLong(numbers[0]), Long.parseLong(numbers[1])};
  }

  private static long millisSince(long startedNanos) {
    return (System.nanoTime() - startedNanos) / 1_000_000;
  }
}
