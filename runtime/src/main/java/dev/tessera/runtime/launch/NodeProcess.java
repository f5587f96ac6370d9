package dev.tessera.runtime.launch;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A compute node running in a JVM process of its own, started from this JVM's classpath (or the
 * one named by {@value #CLASSPATH_PROPERTY}), with its standard output and error written to a log
 * file. Started from {@code bin/tessera}'s jar, it shares the class-data archive recorded beside
 * it; from any other classpath, one {@link NodeClassData} records where {@value
 * NodeClassData#DIRECTORY_PROPERTY} is set.
 *
 * <p>Used by {@code cluster local} and by the multi-process tests, which kill ({@code SIGKILL}),
 * terminate ({@code SIGTERM}), freeze ({@code SIGSTOP}) and resume ({@code SIGCONT}) it. Node JVMs
 * are small (SerialGC, a bounded heap) because several share a two-core machine.
 *
 * <p>Thread safety: the signal methods may be called from any thread.
 */
public final class NodeProcess {

  /** System property naming the classpath for node JVMs; this JVM's own classpath when unset. */
  public static final String CLASSPATH_PROPERTY = "tessera.node.classpath";

  /** The class whose {@code main} runs a node process ({@code node --port ...}): {@link NodeMain}. */
  public static final String MAIN_CLASS = NodeMain.class.getName();
  /**
   * System property holding the root log level of the Logback configurations node processes and
   * the tool log with ({@code tessera --log-level}); passed on to the node JVMs a process starts.
   */
  public static final String LOG_LEVEL_PROPERTY = "tessera.log.level";

  private final String name;
  private final Process process;
  private final Path logFile;

  private NodeProcess(String name, Process process, Path logFile) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
  }

  /**
   * Starts a node process, {@link NodeMain} with {@code arguments}, in a new JVM.
   *
   * @param name a label for messages, e.g. {@code node-2}
   * @param arguments the command and its flags, e.g. {@code node --port 25521 ...}
   * @param heap maximum heap, e.g. {@code 256m}
   * @param logFile receives the process's standard output and error (appended)
   */
  public static NodeProcess start(String name, List<String> arguments, String heap, Path logFile) throws IOException {
    return start(name, List.of(), arguments, heap, logFile);
  }

  /**
   * The same, with the JVM started through {@code launchPrefix} (e.g. {@code ip netns exec ns1}: a
   * command that execs the rest, so the process is still the JVM itself, for signals).
   */
  public static NodeProcess start(String name, List<String> launchPrefix, List<String> arguments, String heap, Path logFile)
      throws IOException {
    return start(name, launchPrefix, MAIN_CLASS, arguments, heap, logFile);
  }

  /**
   * The same with another main class on the node classpath, started as a node is (heap, GC log,
   * class-data archive, signals): the {@code cluster} tool itself, for the tests that run {@code
   * cluster local} or {@code cluster jobs} as a process.
   */
  public static NodeProcess start(String name, String mainClass, List<String> arguments, String heap, Path logFile)
      throws IOException {
    return start(name, List.of(), mainClass, arguments, heap, logFile);
  }

  private static NodeProcess start(
      String name, List<String> launchPrefix, String mainClass, List<String> arguments, String heap, Path logFile)
      throws IOException {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(mainClass, "mainClass");
    Objects.requireNonNull(launchPrefix, "launchPrefix");
    Objects.requireNonNull(arguments, "arguments");
    Objects.requireNonNull(heap, "heap");
    Objects.requireNonNull(logFile, "logFile");
    List<String> command = new ArrayList<>(launchPrefix);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + heap);
    command.add("-Xss512k");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:+ExitOnOutOfMemoryError");
    // Every collection's pause, beside the node's log (one file per process id, so a restarted
    // node does not overwrite its last life's): a node silent for seconds is then either a long
    // pause here or not.
    Path gcLog = gcLogFile(logFile);
    if (!gcLog.toString().matches(".*[:,=\\s\"].*")) { // characters -Xlog cannot take in a file name
      command.add("-Xlog:gc:file=" + gcLog + ":time,uptime:filecount=2,filesize=4m");
    }
    command.addAll(classArguments());
    command.add(mainClass);
    command.addAll(arguments);
    Files.createDirectories(logFile.toAbsolutePath().getParent());
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    return new NodeProcess(name, process, logFile);
  }

  /** Where a node logging to {@code logFile} writes its GC pauses ({@code %p}: its process id). */
  static Path gcLogFile(Path logFile) {
    String name = logFile.getFileName().toString();
    String stem = name.endsWith(".log") ? name.substring(0, name.length() - 4) : name;
    return logFile.toAbsolutePath().resolveSibling(stem + "-gc-%p.log");
  }

  /**
   * The JVM options that start a JVM on the node classpath: the class-data archive to share if
   * there is one, {@value NodeClassData#DIRECTORY_PROPERTY} and {@value #LOG_LEVEL_PROPERTY} passed on (so that a JVM which starts
   * nodes of its own, {@code cluster local} or a sample, shares it too), and {@code -cp}.
   */
  public static List<String> classArguments() {
    NodeClassData.Prepared classes = nodeClasses(() -> {});
    List<String> options = new ArrayList<>();
    classes.archive().ifPresent(file -> options.add("-XX:SharedArchiveFile=" + file));
    String classData = System.getProperty(NodeClassData.DIRECTORY_PROPERTY);
    if (classData != null) {
      options.add("-D" + NodeClassData.DIRECTORY_PROPERTY + "=" + classData);
    }
    String logLevel = System.getProperty(LOG_LEVEL_PROPERTY);
    if (logLevel != null && logLevel.matches("[A-Za-z]+")) {
      options.add("-D" + LOG_LEVEL_PROPERTY + "=" + logLevel);
    }
    options.add("-cp");
    options.add(classes.classpath());
    return options;
  }

  /**
   * Prepares the classes node JVMs start from now rather than at the first start: where {@value
   * NodeClassData#DIRECTORY_PROPERTY} is set and no archive exists yet for the classpath, records
   * one (about one node's start-up), calling {@code beforeRecording} first.
   */
  public static void prepareClasses(Runnable beforeRecording) {
    nodeClasses(beforeRecording);
  }

  /** The classpath node JVMs start from, and the class-data archive they share if there is one. */
  private static NodeClassData.Prepared nodeClasses(Runnable beforeRecording) {
    String classpath = System.getProperty(CLASSPATH_PROPERTY, System.getProperty("java.class.path"));
    Optional<Path> besideTheJar = classDataArchive(classpath);
    String directory = System.getProperty(NodeClassData.DIRECTORY_PROPERTY);
    if (besideTheJar.isPresent() || directory == null || directory.isBlank()) {
      return new NodeClassData.Prepared(classpath, besideTheJar);
    }
    return NodeClassData.prepare(classpath, Path.of(directory), beforeRecording);
  }

  /**
   * The class-data archive {@code bin/tessera} records beside the runnable jar ({@code
   * tessera-cli.jsa}), if this JVM runs from that jar and the archive is at least as new as it.
   * Sharing it cuts the start-up of several node JVMs on a small machine by about 40%.
   */
  static Optional<Path> classDataArchive(String classpath) {
    if (!classpath.endsWith(".jar") || classpath.contains(File.pathSeparator)) {
      return Optional.empty();
    }
    Path jar = Path.of(classpath);
    Path archive = jar.resolveSibling(jar.getFileName().toString().replaceAll("\\.jar$", ".jsa"));
    try {
      if (Files.isRegularFile(archive)
          && Files.getLastModifiedTime(archive).compareTo(Files.getLastModifiedTime(jar)) >= 0) {
        return Optional.of(archive);
      }
    } catch (IOException e) {
      // unreadable: start without it
    }
    return Optional.empty();
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Path logFile() {
    return logFile;
  }

  /** The processes this one started (the nodes of {@code cluster local}, for example). */
  public List<ProcessHandle> descendants() {
    return process.descendants().toList();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** The exit code, once the process has exited. */
  public int exitValue() {
    return process.exitValue();
  }

  /** Sends SIGKILL: the node dies at once, without leaving the cluster (a crashed machine). */
  public void kill() {
    process.destroyForcibly();
  }

  /** Sends SIGTERM: the node leaves the cluster gracefully, then exits. */
  public void terminate() {
    process.destroy();
  }

  /** Sends SIGSTOP: the node stops answering but keeps its sockets (a hung machine, a long GC pause). */
  public void freeze() throws IOException {
    signal("STOP");
  }

  /** Sends SIGCONT to a frozen node. */
  public void resume() throws IOException {
    signal("CONT");
  }

  /**
   * Waits for the process to exit.
   *
   * @return true if it exited within {@code timeout}
   */
  public boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Stops the node: SIGTERM, then SIGKILL if it has not exited within {@code grace}. Safe to call
   * on a node that has already exited. Returns once the process is gone.
   */
  public void stop(Duration grace) throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    try {
      resume(); // a frozen process cannot act on SIGTERM
    } catch (IOException e) {
      // The process may have exited meanwhile; SIGTERM below is harmless either way.
    }
    process.destroy();
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** The process's output so far. */
  public String output() throws IOException {
    return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
  }

  /**
   * Waits until a line of the output matches {@code pattern}, or the process exits, or the
   * deadline passes.
   *
   * @return true if a matching line appeared
   */
  public boolean awaitOutput(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
    Predicate<String> matches = line -> pattern.matcher(line).find();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean exited = !process.isAlive();
      if (output().lines().anyMatch(matches)) {
        return true;
      }
      if (exited || System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(50);
    }
  }

  private void signal(String signal) throws IOException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
    try {
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IOException("kill -" + signal + " " + process.pid() + " failed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while signalling " + name, e);
    }
  }

  @Override
  public String toString() {
    return name + " (pid " + process.pid() + ")";
  }
}
