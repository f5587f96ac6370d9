package dev.tessera.benchmarks.data;

import dev.tessera.runtime.launch.NodeProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link DataBenchNode} in a JVM of its own (a small heap, SerialGC, as the cluster's node
 * processes), on the node classpath ({@value NodeProcess#CLASSPATH_PROPERTY}, else this JVM's).
 * Commands are sent and their answers awaited separately, so that two nodes can work at once.
 *
 * <p>Thread safety: one thread sends and awaits; {@link #close} from any thread.
 */
final class BenchNodeProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;
  private final Writer commands;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

  private BenchNodeProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readAnswers, name + "-answers");
    reader.setDaemon(true);
    reader.start();
  }

  /** Starts the node; {@link #await} its first answer to know it is ready. */
  static BenchNodeProcess start(String name, String heap, List<String> properties, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + heap);
    command.add("-XX:+UseSerialGC");
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-Dlogback.configurationFile=tessera-bench-quiet-logback.xml");
    if (Boolean.getBoolean("tessera.bench.jfr")) { // a flight recording beside the log, for profiling
      command.add("-XX:StartFlightRecording=filename=" + log + ".jfr,settings=profile");
      command.add("-Xlog:jfr+startup=error");
    }
    properties.forEach(p -> command.add("-D" + p));
    command.add("-cp");
    command.add(System.getProperty(NodeProcess.CLASSPATH_PROPERTY, System.getProperty("java.class.path")));
    command.add(DataBenchNode.class.getName());
    command.add(name);
    Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    return new BenchNodeProcess(name, process, log);
  }

  void send(String command) throws IOException {
    commands.write(command + "\n");
    commands.flush();
  }

  /** The next answer, after its {@code ok}; fails on {@code error} or after the deadline. */
  String await(Duration deadline) throws InterruptedException {
    String answer = answers.poll(deadline.toMillis(), TimeUnit.MILLISECONDS);
    if (answer == null) {
      throw new IllegalStateException(name + " did not answer within " + deadline
          + (process.isAlive() ? "" : " (it exited)") + "; its log:\n" + logTail());
    }
    if (!answer.startsWith("ok")) {
      throw new IllegalStateException(name + " answered: " + answer + "; its log:\n" + logTail());
    }
    return answer.substring(2).trim();
  }

  String ask(String command, Duration deadline) throws IOException, InterruptedException {
    send(command);
    return await(deadline);
  }

  /** Asks for a time in milliseconds. */
  long askMillis(String command, Duration deadline) throws IOException, InterruptedException {
    return Long.parseLong(ask(command, deadline));
  }

  private void readAnswers() {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        answers.add(line);
      }
    } catch (IOException ignored) {
      // the process is gone: a waiting await times out and says so
    }
  }

  private String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  /**
   * Asks the node to quit (its store deletes its files, a flight recording is written), kills it
   * if it has not within 10 s, and waits until it is gone.
   */
  @Override
  public void close() {
    try {
      send("quit");
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly(); // its input is closed: it is gone or going
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
