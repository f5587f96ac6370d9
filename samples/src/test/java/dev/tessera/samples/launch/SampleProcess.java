package dev.tessera.samples.launch;

import dev.tessera.runtime.launch.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A sample run as a process of its own, as {@code bin/sample} runs it (the test's classpath, a
 * small heap, SerialGC, and a logging config that shows the drivers' checkpoint lines), its output
 * in a log file the test reads.
 */
public final class SampleProcess {

  private SampleProcess() {}

  /** Starts {@code SampleCommand} with {@code arguments}; stdout and stderr go to {@code log}. */
  public static Process start(List<String> arguments, Path log) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-Dlogback.configurationFile=sample-process-logback.xml"));
    // The sample and the nodes it starts share the class-data archive the build records for the test's classpath.
    command.addAll(NodeProcess.classArguments());
    command.add("dev.tessera.samples.SampleCommand");
    command.addAll(arguments);
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /**
   * Kills {@code process} with SIGKILL (a crash: the sample's shutdown hooks do not run) and waits
   * up to 30 s for it to be gone; for a test's {@code finally}.
   */
  public static void kill(Process process) throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /**
   * Waits until {@code log} holds a match of {@code pattern}.
   *
   * @throws AssertionError if the process exits first, or none comes within {@code timeout}
   */
  public static Matcher await(Path log, Pattern pattern, Process process, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      Matcher m = pattern.matcher(text);
      if (m.find()) {
        return m;
      }
      if (!process.isAlive()) {
        throw new AssertionError("the sample exited (" + process.exitValue() + ") before " + pattern + ":\n" + text);
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no " + pattern + " within " + timeout + ":\n" + Files.readString(log));
  }
}
