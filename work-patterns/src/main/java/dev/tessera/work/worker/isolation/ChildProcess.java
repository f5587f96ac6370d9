package dev.tessera.work.worker.isolation;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running child JVM, seen from the node: its pipes, the tasks waiting for an answer from it,
 * and how it died. It does not restart itself: {@link IsolatedTaskRunner} starts the next one.
 *
 * <p>Lifecycle: {@code STARTING} until the child's {@link Frames.Ready} frame, then {@code READY},
 * then {@code DEAD} once its standard output ends or breaks the protocol (the process is then gone
 * or killed). Every task it held then completes with {@link IsolatedTaskRunner.Result.ChildDied}.
 *
 * <p>Threading: any thread may submit, cancel and kill. A reader thread per child completes the
 * answers and handles the death; a second one copies the child's standard error to the log under
 * {@value #CHILD_LOGGER}, keeping its last lines for the cause of a death.
 */
final class ChildProcess {

  enum State { STARTING, READY, DEAD }

  static final String CHILD_LOGGER = "dev.tessera.work.worker.isolation.child";

  private static final Logger log = LoggerFactory.getLogger(ChildProcess.class);
  private static final Logger childLog = LoggerFactory.getLogger(CHILD_LOGGER);
  private static final int LINES_KEPT = 40;
  /** How long a child that broke the protocol has to exit by itself (a crash report takes a moment). */
  private static final Duration STRAY_OUTPUT_GRACE = Duration.ofSeconds(3);
  private static final int MAX_LINE_CHARS = 1000;
  /** How Java reports a process ended by SIGKILL: 128 plus the signal. */
  private static final int SIGKILL_EXIT = 137;
  private static final Duration EXIT_WAIT = Duration.ofSeconds(10);

  private final Process process;
  private final DataOutputStream toChild;
  private final int maxFrameBytes;
  private final Consumer<ChildProcess> onDeath;
  /** Guarded by {@code this}: the last lines of the child's standard error. */
  private final ArrayDeque<String> stderrTail = new ArrayDeque<>();
  /** Guarded by {@code this}: the last lines of what the child printed on its standard output outside the protocol. */
  private final ArrayDeque<String> strayTail = new ArrayDeque<>();
  private final Thread stderrPump;
  private final CompletableFuture<State> started = new CompletableFuture<>();
  /** Guarded by {@code this}, with {@link #state}. */
  private final Map<Long, CompletableFuture<IsolatedTaskRunner.Result>> pending = new HashMap<>();
  private State state = State.STARTING;
  private volatile String killedBecause;
  private IsolatedTaskRunner.Result.ChildDied death;

  private ChildProcess(Process process, int maxFrameBytes, Consumer<ChildProcess> onDeath) {
    this.process = process;
    this.maxFrameBytes = maxFrameBytes;
    this.onDeath = onDeath;
    this.toChild = new DataOutputStream(new BufferedOutputStream(process.getOutputStream(), 1 << 16));
    this.stderrPump = new Thread(this::pumpStderr, "tessera-isolated-stderr-" + process.pid());
    stderrPump.setDaemon(true);
  }

  /**
   * Starts a child JVM running {@link ChildMain} with {@code command} and its threads.
   *
   * @param onDeath called once, on the reader thread, when the child has died, before its tasks are answered
   */
  static ChildProcess start(List<String> command, int maxResultBytes, Consumer<ChildProcess> onDeath) throws IOException {
    Process process = new ProcessBuilder(command).start();
    // A result frame holds the output and a failure cause at most: the margin covers the cause.
    int maxFrameBytes = (int) Math.min(Integer.MAX_VALUE - 8, (long) maxResultBytes + (1 << 20));
    ChildProcess child = new ChildProcess(process, maxFrameBytes, onDeath);
    child.stderrPump.start();
    Thread reader = new Thread(child::readAnswers, "tessera-isolated-reader-" + process.pid());
    reader.setDaemon(true);
    reader.start();
    return child;
  }

  long pid() {
    return process.pid();
  }

  /**
   * Waits until the child has loaded its task libraries, or died, or {@code timeout} passed.
   *
   * @return {@code READY}, {@code DEAD}, or {@code STARTING} after the timeout
   */
  State awaitStarted(Duration timeout) throws InterruptedException {
    try {
      return started.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return State.STARTING;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause()); // never completed exceptionally
    }
  }

  /** How the child died; null while it lives. */
  synchronized IsolatedTaskRunner.Result.ChildDied death() {
    return death;
  }

  /** Tasks sent to this child that it has not answered. */
  synchronized int tasksInFlight() {
    return pending.size();
  }

  synchronized boolean isDead() {
    return state == State.DEAD;
  }

  /**
   * Sends a task to the child.
   *
   * @return its answer (a {@code ChildDied} if the child dies first), or null if the child is dead already
   */
  CompletableFuture<IsolatedTaskRunner.Result> submit(long id, String taskType, byte[] input) {
    CompletableFuture<IsolatedTaskRunner.Result> answer = new CompletableFuture<>();
    synchronized (this) {
      if (state == State.DEAD) {
        return null;
      }
      pending.put(id, answer);
    }
    send(new Frames.Run(id, taskType, input));
    return answer;
  }

  /** Asks the child to interrupt the task's handler; its answer completes the task as usual. */
  void cancel(long id) {
    send(new Frames.Cancel(id));
  }

  /** Kills the child (SIGKILL); its tasks then end as {@code ChildDied}, citing {@code reason}. */
  void kill(String reason) {
    synchronized (process) {
      if (killedBecause == null && process.isAlive()) {
        killedBecause = reason; // the first reason is the cause; a dead child was not killed by us
      }
    }
    process.destroyForcibly();
  }

  /** Waits for the process to exit, as after {@link #kill}; true if it has. */
  boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void send(Frames.Frame frame) {
    try {
      synchronized (toChild) {
        Frames.write(toChild, frame);
        toChild.flush();
      }
    } catch (IOException e) {
      // The child's standard input is closed: it died or is dying. The reader sees its output end
      // and answers every pending task, this one included.
      kill("its standard input broke: " + e.getMessage());
    }
  }

  /** The reader thread: answers tasks until the child's output ends, then handles the death. */
  private void readAnswers() {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16))) {
      try {
        Frames.Frame frame;
        while ((frame = Frames.read(in, maxFrameBytes)) != null) {
          onFrame(frame);
        }
      } catch (Frames.ProtocolException e) {
        strayOutput(e, in);
      }
    } catch (IOException | RuntimeException e) {
      killAfterGrace("its standard output broke (" + e + ")");
    }
    died();
  }

  /**
   * Bytes on the child's standard output that are no frame: native code printing there, or the
   * JVM's own crash report, which goes there whatever the options. A crashing JVM exits by itself
   * (with the code that tells why) within the grace; one that does not is killed. Meanwhile the
   * rest of the output is read as text, for the cause.
   */
  private void strayOutput(Frames.ProtocolException broken, InputStream rest) {
    killAfterGrace("its standard output broke the protocol (" + broken.getMessage() + "); does native code print to stdout?");
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(new SequenceInputStream(
        new ByteArrayInputStream(broken.stray()), rest), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        keep(strayTail, line, "stdout");
      }
    } catch (IOException e) {
      // The process is gone and its pipe with it.
    }
  }

  private void killAfterGrace(String reason) {
    CompletableFuture.delayedExecutor(STRAY_OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      if (process.isAlive()) {
        kill(reason);
      }
    });
  }

  private void onFrame(Frames.Frame frame) throws IOException {
    if (frame instanceof Frames.Ready ready) {
      synchronized (this) {
        state = State.READY;
      }
      log.info("isolated child JVM pid {} ready: task types {}", process.pid(), ready.taskTypes());
      for (String reason : ready.unavailable()) {
        log.warn("isolated child JVM pid {}: {}", process.pid(), reason);
      }
      started.complete(State.READY);
    } else if (frame instanceof Frames.Succeeded succeeded) {
      complete(succeeded.id(), new IsolatedTaskRunner.Result.Succeeded(succeeded.output()));
    } else if (frame instanceof Frames.Failed failed) {
      complete(failed.id(), new IsolatedTaskRunner.Result.Failed(failed.cause(), failed.retryable()));
    } else {
      throw new Frames.ProtocolException("a node does not take " + frame.getClass().getSimpleName() + " frames");
    }
  }

  private void complete(long id, IsolatedTaskRunner.Result result) {
    CompletableFuture<IsolatedTaskRunner.Result> answer;
    synchronized (this) {
      answer = pending.remove(id);
    }
    if (answer != null) {
      answer.complete(result); // null: an answer to a task the runner gave up (timed out) and forgot
    }
  }

  private void died() {
    int exitCode;
    try {
      if (!process.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        kill("its standard output ended but it did not exit within " + EXIT_WAIT.toSeconds() + " s");
        process.waitFor();
      }
      exitCode = process.exitValue();
      stderrPump.join(EXIT_WAIT.toMillis()); // its last lines tell why it died
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      exitCode = -1;
    }
    Map<Long, CompletableFuture<IsolatedTaskRunner.Result>> orphans;
    IsolatedTaskRunner.Result.ChildDied result;
    synchronized (this) {
      result = new IsolatedTaskRunner.Result.ChildDied(exitCode, describeDeath(exitCode));
      death = result;
      state = State.DEAD;
      orphans = new HashMap<>(pending);
      pending.clear();
    }
    // The runner learns first, so whoever sees this death next finds it recorded there.
    onDeath.accept(this);
    started.complete(State.DEAD);
    for (CompletableFuture<IsolatedTaskRunner.Result> answer : orphans.values()) {
      answer.complete(result);
    }
  }

  /** Synchronized on this: the tail of standard error is guarded by it. */
  private String describeDeath(int exitCode) {
    StringBuilder cause = new StringBuilder(summarize(exitCode));
    append(cause, "; the last lines of its standard error:", stderrTail);
    append(cause, "; the last lines it printed on its standard output, outside the protocol:", strayTail);
    return cause.toString();
  }

  private static void append(StringBuilder cause, String title, ArrayDeque<String> lines) {
    if (!lines.isEmpty()) {
      cause.append(title);
      for (String line : lines) {
        cause.append('\n').append(line);
      }
    }
  }

  /** One line: the pid, the exit code and what it means. */
  private String summarize(int exitCode) {
    StringBuilder summary = new StringBuilder("the isolated child JVM (pid ").append(process.pid())
        .append(") died with exit code ").append(exitCode);
    if (killedBecause != null && exitCode == SIGKILL_EXIT) {
      summary.append(", killed by the node because ").append(killedBecause);
    } else if (crashReported()) {
      summary.append(" (a JVM crash, such as a native fault in JNI or CUDA code: its error report follows)");
    } else if (exitCode == ChildMain.OUT_OF_MEMORY_EXIT) {
      summary.append(" (an OutOfMemoryError, unless a handler exited with 3)");
    } else if (exitCode > 128) {
      summary.append(" (signal ").append(exitCode - 128).append(exitCode == 134 ? ": a native crash?" : "").append(")");
    }
    return summary.toString();
  }

  /** Synchronized on this: whether the JVM printed a fatal error report (it does so on stdout). */
  private boolean crashReported() {
    return strayTail.stream().anyMatch(line -> line.startsWith("# A fatal error has been detected"));
  }

  /** How the child died, in one line (without its standard error); null while it lives. */
  synchronized String deathSummary() {
    return death == null ? null : summarize(death.exitCode());
  }

  /** True once the child has loaded its task libraries, even if it died since. */
  boolean wasReady() {
    return started.getNow(State.STARTING) == State.READY;
  }

  /** The stderr thread: logs each line of the child's standard error and keeps the last ones. */
  private void pumpStderr() {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = lines.readLine()) != null) {
        keep(stderrTail, line, "stderr");
      }
    } catch (IOException e) {
      // The process is gone and its pipe with it: nothing more to read.
    }
  }

  private void keep(ArrayDeque<String> tail, String line, String stream) {
    String kept = line.length() <= MAX_LINE_CHARS ? line : line.substring(0, MAX_LINE_CHARS) + " ... (cut)";
    childLog.info("[pid {} {}] {}", process.pid(), stream, kept);
    synchronized (this) {
      if (tail.size() == LINES_KEPT) {
        tail.removeFirst();
      }
      tail.addLast(kept);
    }
  }

  @Override
  public String toString() {
    return "isolated child JVM pid " + process.pid();
  }
}
