package dev.tessera.work.worker.isolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks of {@link dev.tessera.runtime.job.TaskType#isolated() isolated} types in one child JVM
 * of this node, so that a handler that calls {@code System.exit} or {@code Runtime.halt}, crashes
 * natively (JNI, CUDA) or runs out of memory kills the child, never the node. The child ({@link
 * ChildMain}) runs the node's classpath with the handlers of every {@code TaskLibrary} that
 * registers without an actor system; it starts at the first task and again at the first task after
 * it died.
 *
 * <pre>{@code
 * IsolatedTaskRunner runner = IsolatedTaskRunner.create(IsolationSettings.create(config)); // closed when the worker stops
 * // On a task thread, for a task whose registration isIsolated():
 * IsolatedTaskRunner.Result result = runner.run(task.taskType(), task.input(), options.taskTimeout());
 * if (result instanceof IsolatedTaskRunner.Result.Succeeded s) {
 *   ... s.output() is the encoded result, as the handler's would be in process
 * } else if (result instanceof IsolatedTaskRunner.Result.Failed f) {
 *   ... a failed attempt; f.retryable() says whether another attempt may help
 * } else if (result instanceof IsolatedTaskRunner.Result.ChildDied d) {
 *   ... a failed attempt: this task, or another one in the child, killed it (d.exitCode())
 * }
 * }</pre>
 *
 * <p>Threading: {@link #run} blocks its caller and may be called from many threads at once (a
 * worker's task threads); their tasks run concurrently in the child, on a thread each. The child's
 * start-up, death and restart are handled under one lock, so concurrent callers share one child.
 */
public final class IsolatedTaskRunner implements AutoCloseable {

  /** How one task ended. */
  public sealed interface Result permits Result.Succeeded, Result.Failed, Result.ChildDied {

    /** The handler's result, encoded with the task type's output class ({@code PayloadCodec}). */
    record Succeeded(byte[] output) implements Result {
      public Succeeded {
        Objects.requireNonNull(output, "output");
      }
    }

    /**
     * The handler threw (the cause holds its stack trace), timed out, returned null or too large a
     * result, or has no handler in the child; or the child could not start.
     *
     * @param retryable false when another attempt cannot help (unreadable input, no handler, result too large)
     */
    record Failed(String cause, boolean retryable) implements Result {
      public Failed {
        Objects.requireNonNull(cause, "cause");
      }
    }

    /**
     * The child JVM died while the task ran in it: this task or another one in flight there
     * exited, halted, crashed or ran out of memory. Every task in flight gets this result.
     *
     * @param exitCode the child's exit code: what the handler passed to exit or halt, 3 after an
     *     OutOfMemoryError, 128 plus the signal after a signal (134 for a native crash, 137 if the node killed it)
     * @param cause the exit code explained, and the last lines of the child's standard error
     */
    record ChildDied(int exitCode, String cause) implements Result {
      public ChildDied {
        Objects.requireNonNull(cause, "cause");
      }
    }
  }

  private static final Logger log = LoggerFactory.getLogger(IsolatedTaskRunner.class);
  /** A child that died before it was ready (a bad option, a library that cannot load) is not restarted sooner. */
  private static final Duration RESTART_DELAY_AFTER_FAILED_START = Duration.ofSeconds(1);
  private static final Duration EXIT_WAIT = Duration.ofSeconds(10);
  /** Longer class paths go in an argument file: Linux refuses a single argument over 128 KiB. */
  private static final int MAX_CLASSPATH_ARGUMENT = 32 * 1024;

  private final IsolationSettings settings;
  private final List<String> command;
  private final Path argumentFile;
  private final AtomicLong ids = new AtomicLong();
  private final AtomicInteger starts = new AtomicInteger();
  private final Object lock = new Object();
  /** Guarded by {@link #lock}: the child new tasks go to; null before the first and after a death. */
  private ChildProcess child;
  /** Guarded by {@link #lock}: every child not yet dead, the current one and any killed ones still dying. */
  private final Set<ChildProcess> live = new HashSet<>();
  private boolean closed;
  private long notBeforeNanos = System.nanoTime();

  private IsolatedTaskRunner(IsolationSettings settings, List<String> command, Path argumentFile) {
    this.settings = settings;
    this.command = command;
    this.argumentFile = argumentFile;
  }

  /** A runner; it starts no child until the first {@link #run}. */
  public static IsolatedTaskRunner create(IsolationSettings settings) {
    Objects.requireNonNull(settings, "settings");
    String classpath = System.getProperty("java.class.path");
    Path argumentFile = null;
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx" + settings.heap());
    command.add("-XX:+UseSerialGC");
    command.add("-XX:+ExitOnOutOfMemoryError");
    // Standard output carries the frames: the JVM's own messages (the OutOfMemoryError and crash
    // banners, unified logging) go to standard error, where the node reads why a child died.
    command.add("-XX:+DisplayVMOutputToStderr");
    command.add("-Xlog:disable");
    command.add("-Xlog:all=warning:stderr");
    command.add("-XX:-CreateCoredumpOnCrash");
    command.add("-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "tessera-isolated-hs_err_pid%p.log"));
    command.addAll(settings.jvmOptions());
    if (classpath.length() <= MAX_CLASSPATH_ARGUMENT) {
      command.add("-cp");
      command.add(classpath);
    } else {
      try {
        argumentFile = Files.createTempFile("tessera-isolated-classpath", ".args");
        String quoted = "\"" + classpath.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        Files.writeString(argumentFile, "-cp " + quoted + "\n", StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException("cannot write the child JVM's class path to a temporary file", e);
      }
      command.add("@" + argumentFile);
    }
    command.add(ChildMain.class.getName());
    command.add(Long.toString(ProcessHandle.current().pid()));
    command.add(Integer.toString(settings.maxResultBytes()));
    return new IsolatedTaskRunner(settings, List.copyOf(command), argumentFile);
  }

  /**
   * Runs one task in the child JVM, starting the child first if none runs, and waits for its end.
   *
   * <p>The timeout counts from when the task is sent to a started child (its start-up has {@code
   * startTimeout} of its own). Past it, or when the calling thread is interrupted, the child
   * interrupts the handler's thread; if the handler has not stopped within {@code cancelGrace},
   * the child is killed (with any other task running in it) and the next task starts a new one.
   * Either way the result is a retryable {@code Failed} naming the timeout, unless the child died
   * meanwhile.
   *
   * @param taskType the registered name of an isolated task type
   * @param input the task's input, encoded with its type's input class
   * @throws IllegalStateException after {@link #close}
   */
  public Result run(String taskType, byte[] input, Duration timeout) {
    Objects.requireNonNull(taskType, "taskType");
    Objects.requireNonNull(input, "input");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    long id = ids.incrementAndGet();
    ChildProcess used;
    CompletableFuture<Result> answer;
    try {
      used = startedChild();
      answer = used.submit(id, taskType, input);
      if (answer == null) { // it died between our two steps: once more, with a new one
        used = startedChild();
        answer = used.submit(id, taskType, input);
      }
    } catch (NotStarted e) {
      return e.failure;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result.Failed("interrupted while the isolated child JVM started", true);
    }
    if (answer == null) {
      return Objects.requireNonNull(used.death(), "a child refuses tasks only once dead");
    }
    try {
      return answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return abandon(used, id, taskType, answer, "timed out after " + timeout.toMillis() + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return abandon(used, id, taskType, answer, "interrupted");
    } catch (ExecutionException e) {
      throw new IllegalStateException("an answer is never completed exceptionally", e.getCause());
    }
  }

  /** The pid of the child JVM new tasks go to, if one runs. */
  public OptionalLong childPid() {
    synchronized (lock) {
      return child == null ? OptionalLong.empty() : OptionalLong.of(child.pid());
    }
  }

  /** Tasks sent to a child JVM and not answered yet, in every child that still lives. */
  public int tasksInFlight() {
    List<ChildProcess> children;
    synchronized (lock) {
      children = new ArrayList<>(live);
    }
    return children.stream().mapToInt(ChildProcess::tasksInFlight).sum();
  }

  /** How many child JVMs this runner has started: one more after each death that a task followed. */
  public int childStarts() {
    return starts.get();
  }

  /**
   * Kills every child JVM (their tasks in flight end as {@code ChildDied}) and waits, boundedly,
   * for them to exit. Idempotent.
   */
  @Override
  public void close() {
    List<ChildProcess> children;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      child = null;
      children = new ArrayList<>(live);
    }
    for (ChildProcess each : children) {
      each.kill("the node closed its isolated task runner");
    }
    try {
      for (ChildProcess each : children) {
        if (!each.awaitExit(EXIT_WAIT)) {
          log.warn("{} did not exit within {} s of SIGKILL", each, EXIT_WAIT.toSeconds());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (argumentFile != null) {
      try {
        Files.deleteIfExists(argumentFile);
      } catch (IOException e) {
        log.debug("cannot delete {}: {}", argumentFile, e.toString());
      }
    }
  }

  /** The current child once it is ready, started if there is none. */
  private ChildProcess startedChild() throws InterruptedException, NotStarted {
    ChildProcess current;
    while (true) {
      long waitNanos;
      synchronized (lock) {
        if (closed) {
          throw new IllegalStateException("the isolated task runner is closed");
        }
        if (child != null && !child.isDead()) {
          current = child;
          break;
        }
        waitNanos = notBeforeNanos - System.nanoTime();
        if (waitNanos <= 0) {
          current = startChild();
          break;
        }
      }
      TimeUnit.NANOSECONDS.sleep(waitNanos);
    }
    ChildProcess.State state = current.awaitStarted(settings.startTimeout());
    if (state == ChildProcess.State.STARTING) {
      current.kill("it did not start within " + settings.startTimeout().toMillis() + " ms");
      current.awaitStarted(EXIT_WAIT);
    }
    if (state != ChildProcess.State.READY) {
      Result.ChildDied death = current.death();
      throw new NotStarted(new Result.Failed("the isolated child JVM could not start: "
          + (death == null ? "it did not start within " + settings.startTimeout().toMillis() + " ms" : death.cause()), true));
    }
    return current;
  }

  /** Guarded by {@link #lock}. */
  private ChildProcess startChild() throws NotStarted {
    try {
      ChildProcess started = ChildProcess.start(command, settings.maxResultBytes(), this::onDeath);
      starts.incrementAndGet();
      child = started;
      live.add(started);
      log.info("started isolated child JVM pid {} (heap {})", started.pid(), settings.heap());
      return started;
    } catch (IOException e) {
      notBeforeNanos = System.nanoTime() + RESTART_DELAY_AFTER_FAILED_START.toNanos();
      throw new NotStarted(new Result.Failed("cannot start the isolated child JVM: " + e, true));
    }
  }

  /** On the dead child's reader thread, after its tasks were answered. */
  private void onDeath(ChildProcess dead) {
    boolean closing;
    synchronized (lock) {
      live.remove(dead);
      if (child == dead) {
        child = null;
      }
      if (!dead.wasReady()) {
        notBeforeNanos = System.nanoTime() + RESTART_DELAY_AFTER_FAILED_START.toNanos();
      }
      closing = closed;
    }
    if (closing) {
      log.debug("{}", dead.deathSummary());
    } else {
      log.warn("{}; the next isolated task starts a new one", dead.deathSummary());
    }
  }

  /** After a timeout or interrupt: cancel the task in the child, and kill the child if that does not stop it. */
  private Result abandon(ChildProcess used, long id, String taskType, CompletableFuture<Result> answer, String reason) {
    used.cancel(id);
    Result late = awaitUninterruptibly(answer, settings.cancelGrace());
    if (late instanceof Result.ChildDied died) {
      return died; // it died meanwhile, perhaps of this very task
    }
    if (late != null) {
      return new Result.Failed(reason + "; its handler stopped when interrupted", true);
    }
    log.warn("task {} of type '{}' {} and its handler ignored the interrupt for {} ms: killing {} (and any task in it)",
        id, taskType, reason, settings.cancelGrace().toMillis(), used);
    synchronized (lock) {
      if (child == used) {
        child = null; // new tasks go to a new child, not to the dying one
      }
    }
    used.kill("task " + id + " of type '" + taskType + "' " + reason + " and ignored the interrupt");
    return new Result.Failed(reason + "; its handler ignored the interrupt, so the isolated child JVM was killed", true);
  }

  /** The answer if it comes within {@code grace}, else null; an interrupt meanwhile is kept for the caller. */
  private static Result awaitUninterruptibly(CompletableFuture<Result> answer, Duration grace) {
    long deadline = System.nanoTime() + grace.toNanos();
    boolean interrupted = Thread.interrupted();
    try {
      while (true) {
        try {
          return answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (TimeoutException e) {
          return null;
        } catch (ExecutionException e) {
          throw new IllegalStateException("an answer is never completed exceptionally", e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The child could not be started; carries the failure to report. */
  private static final class NotStarted extends Exception {
    final Result.Failed failure;

    NotStarted(Result.Failed failure) {
      super(failure.cause(), null, false, false);
      this.failure = failure;
    }
  }
}
