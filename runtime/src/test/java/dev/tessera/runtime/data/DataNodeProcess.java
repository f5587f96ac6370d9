package dev.tessera.runtime.data;

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
 * A {@link DataNodeMain} in a JVM of its own, on this JVM's classpath, asked one command at a time
 * with a deadline for each answer. Its standard error (the node's log) goes to a file, shown in
 * the message of a failed or late answer.
 *
 * <p>Thread safety: one thread asks; {@link #close} kills the process from any thread.
 */
final class DataNodeProcess implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;
  private final Writer commands;
  /** Answer lines, read by a thread of their own so that waiting for one can time out. */
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();

  private DataNodeProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.commands = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    Thread reader = new Thread(this::readAnswers, name + "-answers");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts a node process with a small heap and SerialGC, its store configured by {@code
   * properties} ({@code tessera.data.directory=...}); {@link #awaitReady} waits for it.
   */
  static DataNodeProcess start(String name, String heap, List<String> properties, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + heap);
    command.add("-XX:+UseSerialGC");
    command.add("-XX:+ExitOnOutOfMemoryError");
    properties.forEach(p -> command.add("-D" + p));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(DataNodeMain.class.getName());
    command.add(name);
    Process process = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    return new DataNodeProcess(name, process, log);
  }

  /** Waits for the node's first answer: its store is serving. */
  void awaitReady(Duration deadline) {
    await(deadline);
  }

  /** Sends a command and answers what follows {@code ok}; throws on {@code error} or past the deadline. */
  String ask(String command, Duration deadline) throws IOException {
    commands.write(command + "\n");
    commands.flush();
    return await(deadline);
  }

  private String await(Duration deadline) {
    String answer;
    try {
      answer = answers.poll(deadline.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(name + " was interrupted", e);
    }
    if (answer == null) {
      throw new AssertionError(name + " did not answer within " + deadline + (process.isAlive() ? "" : " (it exited)")
          + "; its log:\n" + logTail());
    }
    if (!answer.startsWith("ok")) {
      throw new AssertionError(name + " answered: " + answer + "; its log:\n" + logTail());
    }
    return answer.substring(2).trim();
  }

  private void readAnswers() {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        answers.add(line);
      }
    } catch (IOException ignored) {
      // the process is gone: a waiting ask times out and says so
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

  /** Kills the process (no goodbye: the test is over) and waits until it is gone. */
  @Override
  public void close() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
