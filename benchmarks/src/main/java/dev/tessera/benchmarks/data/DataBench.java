package dev.tessera.benchmarks.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * The object store between node processes of this machine, each measure beside a baseline from
 * the same run: three {@link DataBenchNode} processes (A, B, C; 256 MiB heaps, SerialGC), started
 * afresh for each run.
 *
 * <ul>
 *   <li>a 2 GiB object: the peak resident memory (VmHWM) of node A while it stores it (from a file)
 *       and serves it to B, and of B, which writes it to a file ({@code Data.getToFile});
 *   <li>one 1 GiB object from A to B, in MiB/s, against a plain socket copy between the same
 *       processes ({@link SocketCopy}: {@code sendfile} from the file, a blocking read into a
 *       direct buffer) of the very file A's store serves the object from. Every transfer starts
 *       with that file whole in A's page cache, and either writes a file on B ({@code
 *       Data.getToFile} into a file; also a read inside a job, into B's store) or discards what B
 *       receives ({@code /dev/null}: the transport alone, without the cost of B's file, which on
 *       a virtual machine varies more than anything measured here). Each way runs {@value
 *       #REPEATS} times after a warm-up pass, interleaved, every dirty page written back ({@code
 *       sync}) before each, in an order shuffled for each pass; the ways into a file are compared
 *       by their best pass, the others by their median (see {@link #oneGib}). A Pekko Streams
 *       {@code SourceRef} of 256 KiB chunks over Artery ({@link StreamRefCopy}), discarded, once:
 *       the alternative the store's own channel was chosen over;
 *   <li>small objects: {@value #SMALL_COUNT} objects of 100 KiB put on A, then read by B and C at
 *       once with {@code Data.get}, {@value #SMALL_CONCURRENCY} reads in flight on each, after one
 *       such round that warms them up: objects read per second, both readers together, the median
 *       of {@value #REPEATS} rounds.
 * </ul>
 *
 * <pre>bin/bench-data [runs]</pre>
 *
 * <p>With {@code -Dtessera.bench.jfr=true} each node records a flight recording beside its log.
 */
public final class DataBench {

  private static final long BIG = 2L << 30;
  private static final long GIB = 1L << 30;
  private static final int SMALL_SIZE = 100 << 10;
  private static final int SMALL_COUNT = 2000;
  private static final int SMALL_CONCURRENCY = 64;
  private static final int STREAM_CHUNK = 256 << 10;
  private static final int REPEATS = 5;
  private static final Duration START = Duration.ofSeconds(90);
  private static final Duration LIMIT = Duration.ofMinutes(5);

  private DataBench() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Path work = Files.createTempDirectory("tessera-bench-data-");
    try {
      Path big = work.resolve("object-2g.bin");
      Path gib = work.resolve("object-1g.bin");
      writeRandomFile(big, BIG, 1);
      writeRandomFile(gib, GIB, 2);
      System.out.printf("3 node processes (256 MiB heaps, SerialGC), %d cores; files in %s%n",
          Runtime.getRuntime().availableProcessors(), work);
      Map<String, List<Double>> results = new LinkedHashMap<>();
      for (int run = 1; run <= runs; run++) {
        Map<String, Double> r = run(work, big, gib, run);
        System.out.printf("run %d/%d:%n", run, runs);
        r.forEach((k, v) -> System.out.printf("  %-58s %,12.2f%n", k, v));
        r.forEach((k, v) -> results.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
      }
      System.out.printf("medians of %d runs:%n", runs);
      results.forEach((k, v) -> System.out.printf("  %-58s %,12.2f   %s%n", k, median(v), v));
    } finally {
      deleteAll(work);
    }
  }

  private static Map<String, Double> run(Path work, Path big, Path gib, int run) throws Exception {
    Path target = work.resolve("received.bin");
    List<BenchNodeProcess> nodes = new ArrayList<>();
    try {
      for (String name : List.of("a", "b", "c")) {
        nodes.add(BenchNodeProcess.start(name, "256m", List.of(
            "tessera.data.directory=" + work.resolve(name + "-store"),
            "tessera.data.memory-limit=192m"), work.resolve(name + ".log")));
      }
      for (BenchNodeProcess node : nodes) {
        node.await(START);
      }
      BenchNodeProcess a = nodes.get(0);
      BenchNodeProcess b = nodes.get(1);
      BenchNodeProcess c = nodes.get(2);
      Map<String, Double> r = new LinkedHashMap<>();
      twoGib(a, b, big, work.resolve("a-store"), target, r);
      oneGib(a, b, gib, work.resolve("a-store"), target, run, r);
      smallObjects(a, b, c, work.resolve("small-refs.txt"), r);
      return r;
    } finally {
      nodes.forEach(BenchNodeProcess::close);
      Files.deleteIfExists(target);
    }
  }

  /** A 2 GiB object: A's peak memory while it stores and serves it, B's while it writes it to a file. */
  private static void twoGib(BenchNodeProcess a, BenchNodeProcess b, Path big, Path aStore, Path target,
      Map<String, Double> r) throws Exception {
    a.ask("rss-reset", START);
    b.ask("rss-reset", START);
    String ref = a.ask("put-file " + big, LIMIT);
    settle(objectFile(aStore), target, BIG);
    long millis = b.askMillis("get-file " + ref + " " + target, LIMIT);
    Files.delete(target);
    r.put("2 GiB getToFile A->B, MiB/s", mibPerSecond(BIG, millis));
    r.put("2 GiB: A's peak RSS storing and serving it, MiB", peakRssMib(a));
    r.put("2 GiB: B's peak RSS receiving it, MiB", peakRssMib(b));
    a.ask("release " + ref, START);
  }

  /**
   * 1 GiB from A to B, each way {@value #REPEATS} times, interleaved (in an order shuffled for each
   * pass, so that no way always follows the same one), after one pass that warms up every way; the
   * StreamRef once (at a tenth of the speed, it would take most of the run).
   *
   * <p>The ways that write a file on B are compared by their best pass, the others by their
   * median: on this virtual machine writing 1 GiB into the page cache takes either about 0.7 s of
   * CPU or about 3 s, at random (about two passes in five, whichever way runs), so the median of
   * five says more about that draw than about the transfer.
   */
  private static void oneGib(BenchNodeProcess a, BenchNodeProcess b, Path gib, Path aStore, Path target, int run,
      Map<String, Double> r) throws Exception {
    String ref = a.ask("put-file " + gib, LIMIT);
    Path served = objectFile(aStore); // the baseline and the StreamRef send the file the store serves
    String devNull = "/dev/null";
    Map<String, String> ways = new LinkedHashMap<>();
    ways.put("socket to file", "socket " + target);
    ways.put("getToFile", "get-file " + ref + " " + target);
    ways.put("into store", "get-into-store " + ref);
    ways.put("socket discarded", "socket " + devNull);
    ways.put("getToFile discarded", "get-file " + ref + " " + devNull);
    List<String> order = new ArrayList<>(ways.keySet());
    Random shuffle = new Random(run);
    Map<String, List<Double>> perSecond = new LinkedHashMap<>();
    for (int pass = 0; pass <= REPEATS; pass++) {
      Collections.shuffle(order, shuffle);
      for (String way : order) {
        double speed = mibPerSecond(GIB, oneTransfer(a, b, served, ways.get(way), target));
        if (pass > 0) { // pass 0 warms up
          perSecond.computeIfAbsent(way, k -> new ArrayList<>()).add(speed);
        }
      }
    }
    String stream =
        "stream-receive " + a.ask("stream-endpoint", START) + " " + served + " " + STREAM_CHUNK + " " + devNull;
    double streamRef = mibPerSecond(GIB, oneTransfer(a, b, served, stream, target));
    a.ask("release " + ref, START);

    perSecond.forEach((way, speeds) -> System.out.printf("  (1 GiB %s, MiB/s: %s)%n", way,
        speeds.stream().map(v -> String.format("%.0f", v)).toList()));
    double socket = Collections.max(perSecond.get("socket to file"));
    double getToFile = Collections.max(perSecond.get("getToFile"));
    double intoStore = Collections.max(perSecond.get("into store"));
    double discarded = median(perSecond.get("socket discarded"));
    r.put("1 GiB plain socket copy A->B into a file (baseline), best, MiB/s", socket);
    r.put("1 GiB getToFile A->B into a file, best, MiB/s", getToFile);
    r.put("1 GiB getToFile / socket copy, into a file, best", getToFile / socket);
    r.put("1 GiB read into B's store (inside a job), best, MiB/s", intoStore);
    r.put("1 GiB into B's store / socket copy into a file, best", intoStore / socket);
    r.put("1 GiB plain socket copy, discarded (/dev/null), MiB/s", discarded);
    r.put("1 GiB getToFile to /dev/null, MiB/s", median(perSecond.get("getToFile discarded")));
    r.put("1 GiB getToFile / socket copy, discarded", median(perSecond.get("getToFile discarded")) / discarded);
    r.put("1 GiB StreamRef (256 KiB chunks, Artery) to /dev/null, MiB/s", streamRef);
    r.put("1 GiB StreamRef / socket copy, discarded", streamRef / discarded);
  }

  /**
   * One timed transfer to B, in ms: a command of B ("socket" first asks A to serve the file), after
   * {@link #settle} with the object's file.
   */
  private static long oneTransfer(BenchNodeProcess a, BenchNodeProcess b, Path served, String command, Path target)
      throws Exception {
    if (command.startsWith("socket ")) {
      command = "socket-receive " + a.ask("socket-send " + served, START) + " " + command.substring("socket ".length());
    }
    boolean writesAFile = !command.endsWith(" /dev/null");
    settle(served, target, writesAFile ? GIB : 0);
    long millis = b.askMillis(command, LIMIT);
    Files.deleteIfExists(target);
    return millis;
  }

  /** Small objects: put on A, read by B and C at once; the median of the rounds after one that warms up. */
  private static void smallObjects(BenchNodeProcess a, BenchNodeProcess b, BenchNodeProcess c, Path refs,
      Map<String, Double> r) throws Exception {
    long putMillis = a.askMillis("put-random " + SMALL_COUNT + " " + SMALL_SIZE + " " + refs, LIMIT);
    List<Double> perSecond = new ArrayList<>();
    for (int round = 0; round <= REPEATS; round++) {
      long started = System.nanoTime();
      b.send("get-many " + refs + " " + SMALL_CONCURRENCY);
      c.send("get-many " + refs + " " + SMALL_CONCURRENCY);
      b.await(LIMIT);
      c.await(LIMIT);
      if (round > 0) { // round 0 warms up
        perSecond.add(2 * SMALL_COUNT / ((System.nanoTime() - started) / 1e9));
      }
    }
    r.put("100 KiB objects put on A, per second", SMALL_COUNT * 1000.0 / Math.max(1, putMillis));
    r.put("100 KiB objects read by B and C together, per second", median(perSecond));
    a.ask("release-all " + refs, LIMIT);
  }

  /**
   * Makes every timed transfer start alike, whatever ran before it:
   *
   * <ul>
   *   <li>writes back every dirty page of the machine ({@code sync}), so that no transfer is slowed
   *       down by the write-back of the files the last one wrote;
   *   <li>reads the file to be sent, so that it is whole in the page cache (this machine drops
   *       pages of files read a minute ago even with memory free);
   *   <li>for a transfer that writes {@code toWrite} bytes to a file, writes as many to a scratch
   *       file beside {@code target} and deletes it, so that each finds memory freed a moment
   *       before, as a transfer right after another's deleted file would. On this virtual machine
   *       {@code dd} writes 1 GiB at 4.4 GB/s right after another 1 GiB file was deleted, and at
   *       0.7 GB/s ten seconds after.
   * </ul>
   */
  private static void settle(Path toBeSent, Path target, long toWrite) throws IOException, InterruptedException {
    new ProcessBuilder("sync").inheritIO().start().waitFor();
    ByteBuffer buffer = ByteBuffer.allocateDirect(4 << 20);
    try (FileChannel in = FileChannel.open(toBeSent, StandardOpenOption.READ)) {
      while (in.read(buffer.clear()) >= 0) {
        // only to have its pages cached
      }
    }
    if (toWrite > 0) {
      Path scratch = target.resolveSibling("scratch.bin");
      try (FileChannel out = FileChannel.open(scratch, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        for (long written = 0; written < toWrite; ) {
          written += out.write(buffer.clear());
        }
      } finally {
        Files.deleteIfExists(scratch);
      }
    }
  }

  /** The one object file in a node's store directory (each node process makes a folder inside). */
  private static Path objectFile(Path storeDirectory) throws IOException {
    try (Stream<Path> files = Files.walk(storeDirectory)) {
      List<Path> objects = files.filter(f -> f.toString().endsWith(".obj")).toList();
      if (objects.size() != 1) {
        throw new IllegalStateException("expected one object file in " + storeDirectory + ", found " + objects);
      }
      return objects.get(0);
    }
  }

  private static double peakRssMib(BenchNodeProcess node) throws Exception {
    return Long.parseLong(node.ask("rss", START).split(" ")[1]) / 1024.0;
  }

  private static double mibPerSecond(long bytes, long millis) {
    return bytes / (double) (1 << 20) / (Math.max(1, millis) / 1000.0);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** Pseudo-random bytes from {@code seed}, 4 MiB at a time through one direct buffer. */
  private static void writeRandomFile(Path file, long size, long seed) throws IOException {
    SplittableRandom random = new SplittableRandom(seed);
    ByteBuffer block = ByteBuffer.allocateDirect(4 << 20);
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (long written = 0; written < size; ) {
        block.clear().limit((int) Math.min(block.capacity(), size - written));
        while (block.remaining() >= 8) {
          block.putLong(random.nextLong());
        }
        while (block.hasRemaining()) {
          block.put((byte) random.nextInt());
        }
        block.flip();
        while (block.hasRemaining()) {
          written += out.write(block);
        }
      }
    }
  }

  private static void deleteAll(Path directory) throws IOException {
    try (Stream<Path> all = Files.walk(directory)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
