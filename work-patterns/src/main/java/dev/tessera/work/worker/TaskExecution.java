package dev.tessera.work.worker;

import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import dev.tessera.work.worker.isolation.IsolatedTaskRunner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Runs one attempt of a task on the calling thread (a worker's task thread) and turns however it
 * ends into a {@link TaskOutcome}: in this JVM, or, for a task type marked {@code isolated()}, in
 * the node's child JVM ({@link IsolatedTaskRunner}), whose death is reported as {@link
 * TaskOutcome.Crashed} rather than taking the node with it.
 *
 * <p>Thread safety: safe for the worker's task threads to call at once.
 */
final class TaskExecution {

  private static final int MAX_CAUSE_CHARS = 16 * 1024;

  private final PayloadCodec codec = new PayloadCodec();
  private final int maxResultBytes;
  private final Supplier<IsolatedTaskRunner> isolated;
  private final String node;

  /**
   * @param isolated the node's child JVM runner, asked for only when an isolated task runs
   * @param node this node's address, to say where an isolated JVM died
   */
  TaskExecution(int maxResultBytes, Supplier<IsolatedTaskRunner> isolated, String node) {
    this.maxResultBytes = maxResultBytes;
    this.isolated = Objects.requireNonNull(isolated, "isolated");
    this.node = Objects.requireNonNull(node, "node");
  }

  /** Runs one attempt; always returns an outcome. */
  TaskOutcome run(TaskRegistry.Registration<?, ?> registration, WorkerMessage.TaskAssignment task, Duration timeout) {
    return registration.isIsolated() ? runIsolated(registration, task, timeout) : runHere(registration, task);
  }

  private TaskOutcome runIsolated(
      TaskRegistry.Registration<?, ?> registration, WorkerMessage.TaskAssignment task, Duration timeout) {
    IsolatedTaskRunner.Result result;
    try {
      result = isolated.get().run(registration.type().name(), task.input(), timeout);
    } catch (RuntimeException closedOrBroken) { // the worker is stopping, or the runner failed
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), describe(closedOrBroken), true);
    }
    if (result instanceof IsolatedTaskRunner.Result.Succeeded ok) {
      return new TaskOutcome.Succeeded(task.taskId(), task.attempt(), ok.output());
    }
    if (result instanceof IsolatedTaskRunner.Result.Failed failed) {
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), failed.cause(), failed.retryable());
    }
    IsolatedTaskRunner.Result.ChildDied died = (IsolatedTaskRunner.Result.ChildDied) result;
    return new TaskOutcome.Crashed(task.taskId(), task.attempt(),
        node + " (child JVM, exit code " + died.exitCode() + ")", cut(died.cause()));
  }

  private TaskOutcome runHere(TaskRegistry.Registration<?, ?> registration, WorkerMessage.TaskAssignment task) {
    Object input;
    try {
      input = codec.decode(task.input(), registration.type().inputType());
    } catch (IllegalArgumentException e) {
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), "unreadable input: " + e.getMessage(), false);
    }
    try {
      Object output = invoke(registration, input);
      if (output == null) {
        return new TaskOutcome.Failed(task.taskId(), task.attempt(), "the handler returned null", true);
      }
      try {
        return new TaskOutcome.Succeeded(task.taskId(), task.attempt(), codec.encode(output, maxResultBytes));
      } catch (PayloadCodec.TooLargeException e) {
        // Checked while encoding, so an oversized result costs no copy of itself.
        return new TaskOutcome.Failed(task.taskId(), task.attempt(), "the result (a " + output.getClass().getName()
            + ") exceeds the limit of " + maxResultBytes + " bytes (tessera.work-pulling.worker.max-result-bytes):"
            + " return a reference to the data (a file, an object-store key) instead", false);
      }
    } catch (Throwable e) {
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), describe(e), true);
    }
  }

  @SuppressWarnings("unchecked")
  private static <I, O> Object invoke(TaskRegistry.Registration<I, O> registration, Object input) throws Exception {
    return registration.handler().run((I) input);
  }

  /** The exception and its stack trace, as text (cut at 16 KiB): what a person needs to find the bug. */
  static String describe(Throwable error) {
    StringWriter text = new StringWriter();
    error.printStackTrace(new PrintWriter(text));
    return cut(text.toString());
  }

  private static String cut(String text) {
    return text.length() <= MAX_CAUSE_CHARS ? text : text.substring(0, MAX_CAUSE_CHARS) + "\n\t... (cut)";
  }
}
