package dev.tessera.benchmarks.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.data.DataScope;
import dev.tessera.runtime.data.DataStore;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * One node of {@link DataBench}: an actor system with remoting (for the StreamRef comparison; the
 * object store itself needs no cluster) driven by line commands on standard input, each answered
 * by one line on standard output, {@code ok ...} or {@code error MESSAGE}; logging goes to
 * standard error. Times are measured here, in milliseconds, around the call alone.
 *
 * <pre>
 * put-file PATH                     ok REFJSON   Data.put of a file
 * put-random COUNT BYTES REFSFILE   ok MILLIS    COUNT objects of random bytes; their refs, a line each
 * get-file REFJSON PATH             ok MILLIS    Data.getToFile (straight into the file, or /dev/null)
 * get-into-store REFJSON            ok MILLIS    the same inside a job: fetched into this store (kept
 *                                                for the job), then read from it into /dev/null
 * get-many REFSFILE CONCURRENCY     ok MILLIS    Data.get of every ref, CONCURRENCY at a time
 * release REFJSON                   ok           Data.release
 * release-all REFSFILE              ok           Data.release of every ref
 * socket-send PATH                  ok PORT      the baseline: serves the file once, plain TCP
 * socket-receive PORT PATH          ok MILLIS    ... received into PATH (a file, or /dev/null)
 * stream-endpoint                   ok ACTORREF  where this node offers files as StreamRefs
 * stream-receive ACTORREF PATH CHUNK TARGET  ok MILLIS  the alternative: that node's file PATH as a
 *                                                StreamRef of CHUNK-byte chunks, run into TARGET
 * rss                               ok VMRSS VMHWM   KiB, now and at the peak
 * rss-reset                         ok VMRSS VMHWM   the same, the peak started again from now
 * quit                                           terminates the actor system (the store deletes its
 *                                                files) and exits
 * </pre>
 *
 * <p>Paths may not hold spaces.
 *
 * <p>Thread safety: commands run one at a time on the main thread.
 */
public final class DataBenchNode {

  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  private static final long LIMIT_MINUTES = 10;

  private final ActorSystem<Void> system;
  private final StreamRefCopy streams;

  private DataBenchNode(ActorSystem<Void> system) {
    this.system = system;
    this.streams = new StreamRefCopy(system);
  }

  public static void main(String[] args) throws Exception {
    PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err); // console logging goes to standard error: standard output is for answers
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), args[0], ConfigFactory.parseString("""
        pekko.actor.provider = remote
        pekko.remote.artery.canonical.hostname = "127.0.0.1"
        pekko.remote.artery.canonical.port = 0
        # a 256 KiB chunk and its envelope in one Artery frame
        pekko.remote.artery.advanced.maximum-frame-size = 1 MiB
        """).withFallback(ConfigFactory.load()));
    DataStore.get(system); // the store and its server start now, not in the first measurement
    DataBenchNode node = new DataBenchNode(system);
    answers.println("ok ready");
    try (BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = commands.readLine()) != null && !line.equals("quit")) {
        try {
          answers.println(("ok " + node.run(line.split(" "))).trim());
        } catch (Exception | Error e) {
          e.printStackTrace();
          answers.println("error " + String.valueOf(e).replace('\n', ' '));
        }
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  private String run(String[] words) throws Exception {
    return switch (words[0]) {
      case "put-file" -> JSON.writeValueAsString(Data.put(system, Path.of(words[1])));
      case "put-random" -> putRandom(Integer.parseInt(words[1]), Integer.parseInt(words[2]), Path.of(words[3]));
      case "get-file" -> timed(() -> join(Data.getToFile(system, ref(words[1]), Path.of(words[2]))));
      case "get-into-store" -> getIntoStore(ref(words[1]));
      case "get-many" -> getMany(refs(Path.of(words[1])), Integer.parseInt(words[2]));
      case "release" -> {
        join(Data.release(system, ref(words[1])));
        yield "";
      }
      case "release-all" -> {
        for (DataRef<?> ref : refs(Path.of(words[1]))) {
          join(Data.release(system, ref));
        }
        yield "";
      }
      case "socket-send" -> Integer.toString(SocketCopy.serveOnce(Path.of(words[1])));
      case "socket-receive" -> timed(() -> SocketCopy.receive(Integer.parseInt(words[1]), Path.of(words[2])));
      case "stream-endpoint" -> streams.endpoint();
      case "stream-receive" -> timed(() -> streams.receive(words[1], Path.of(words[2]), Integer.parseInt(words[3]),
          Path.of(words[4])));
      case "rss" -> statusKib("VmRSS") + " " + statusKib("VmHWM");
      case "rss-reset" -> {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // Linux: VmHWM starts again from VmRSS
        yield statusKib("VmRSS") + " " + statusKib("VmHWM");
      }
      default -> throw new IllegalArgumentException("unknown command: " + words[0]);
    };
  }

  @FunctionalInterface
  private interface Work {
    void run() throws Exception;
  }

  private static String timed(Work work) throws Exception {
    long start = System.nanoTime();
    work.run();
    return Long.toString(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
  }

  private String putRandom(int count, int bytes, Path refsFile) throws Exception {
    SplittableRandom random = new SplittableRandom(count * 31L + bytes);
    List<String> lines = new ArrayList<>(count);
    byte[] object = new byte[bytes];
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      random.nextBytes(object);
      lines.add(JSON.writeValueAsString(Data.put(system, object)));
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    Files.write(refsFile, lines);
    return Long.toString(millis);
  }

  /** Fetched into this store as a task's read is (kept for its job), then the job's copy freed. */
  private String getIntoStore(DataRef<?> ref) throws Exception {
    String job = "bench-" + System.nanoTime();
    String millis;
    try (DataScope.Entered ignored = DataScope.enter(job, 0)) {
      // /dev/null: the object is read from the store without writing it anywhere else
      millis = timed(() -> join(Data.getToFile(system, ref, Path.of("/dev/null"))));
    }
    DataStore.get(system).releaseJob(job);
    return millis;
  }

  /**
   * Reads every object, at most {@code concurrency} at a time, and checks each one's length. Keeps
   * no result: 2,000 objects of 100 KiB held to the end would fill this heap.
   */
  private String getMany(List<DataRef<?>> refs, int concurrency) throws Exception {
    Semaphore slots = new Semaphore(concurrency);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    long start = System.nanoTime();
    for (DataRef<?> ref : refs) {
      slots.acquire();
      Data.get(system, ref).whenComplete((bytes, error) -> {
        if (error != null) {
          failed.compareAndSet(null, error);
        } else if (bytes.length != ref.size()) {
          failed.compareAndSet(null, new IllegalStateException(ref + " read as " + bytes.length + " bytes"));
        }
        slots.release();
      });
    }
    if (!slots.tryAcquire(concurrency, LIMIT_MINUTES, TimeUnit.MINUTES)) { // every read done
      throw new IllegalStateException("reads still running after " + LIMIT_MINUTES + " minutes");
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    if (failed.get() != null) {
      throw new IllegalStateException("a read failed: " + failed.get(), failed.get());
    }
    return Long.toString(millis);
  }

  private static DataRef<?> ref(String json) throws IOException {
    return JSON.readValue(json, DataRef.class);
  }

  private static List<DataRef<?>> refs(Path file) throws IOException {
    List<DataRef<?>> refs = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      refs.add(ref(line));
    }
    return refs;
  }

  private static void join(java.util.concurrent.CompletionStage<?> stage) throws Exception {
    stage.toCompletableFuture().get(LIMIT_MINUTES, TimeUnit.MINUTES);
  }

  /** A line of /proc/self/status such as {@code VmHWM:   123456 kB}, in KiB. */
  private static long statusKib(String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
      }
    }
    throw new IOException(field + " is not in /proc/self/status");
  }
}
