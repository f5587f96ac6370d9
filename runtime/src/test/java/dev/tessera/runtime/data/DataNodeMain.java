package dev.tessera.runtime.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A node process for the multi-process tests of the object store: an actor system (the local
 * provider: the store needs no cluster) whose store is driven by line commands on standard input,
 * each answered by one line on standard output, {@code ok ...} or {@code error MESSAGE}. Logging
 * goes to standard error, so that standard output carries answers only.
 *
 * <pre>
 * put-file PATH          ok REFJSON        (Data.put of the file, streamed)
 * get-file REFJSON PATH  ok MILLIS         (Data.getToFile)
 * release REFJSON        ok                (Data.release, on every holder)
 * stats                  ok DISK MEMORY OBJECTS   (bytes in files, bytes in memory, objects held)
 * rss                    ok VMRSS VMHWM    (KiB, from /proc/self/status: now and the peak)
 * quit                   ok                (terminates the actor system and exits)
 * </pre>
 *
 * <p>The store is configured through system properties ({@code -Dtessera.data.directory=...}).
 * Thread safety: commands run one at a time on the main thread.
 */
public final class DataNodeMain {

  private static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();

  private DataNodeMain() {}

  public static void main(String[] args) throws Exception {
    PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err); // any console logging goes to standard error
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), args.length > 0 ? args[0] : "data-node");
    DataStore.get(system); // start the store (and its server) now, not at the first command
    answers.println("ok ready");
    try (BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = commands.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        if (line.equals("quit")) {
          answers.println("ok");
          break;
        }
        try {
          answers.println("ok " + run(system, line));
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

  private static String run(ActorSystem<?> system, String line) throws Exception {
    String[] words = line.split(" ", 2);
    String rest = words.length > 1 ? words[1] : "";
    switch (words[0]) {
      case "put-file" -> {
        DataRef<byte[]> ref = Data.put(system, Path.of(rest));
        return JSON.writeValueAsString(ref);
      }
      case "get-file" -> {
        int split = rest.lastIndexOf(' ');
        DataRef<?> ref = JSON.readValue(rest.substring(0, split), DataRef.class);
        long start = System.nanoTime();
        Data.getToFile(system, ref, Path.of(rest.substring(split + 1))).toCompletableFuture().get(10, TimeUnit.MINUTES);
        return Long.toString(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      }
      case "release" -> {
        Data.release(system, JSON.readValue(rest, DataRef.class)).toCompletableFuture().get(1, TimeUnit.MINUTES);
        return "";
      }
      case "stats" -> {
        DataStore store = DataStore.get(system);
        return store.diskUsed() + " " + store.memoryUsed() + " " + store.objects();
      }
      case "rss" -> {
        return statusKib("VmRSS") + " " + statusKib("VmHWM");
      }
      default -> throw new IllegalArgumentException("unknown command: " + words[0]);
    }
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
