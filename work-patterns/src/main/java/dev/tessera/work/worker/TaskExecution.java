package dev.tessera.work.worker;

import dev.tessera.runtime.data.DataException;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.data.DataScope;
import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.data.RefsSeen;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import dev.tessera.work.worker.isolation.IsolatedTaskRunner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
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
  private final int inlineResultBytes;
  private final Supplier<IsolatedTaskRunner> isolated;
  private final Supplier<DataStore> data;
  private final String node;

  /**
   * @param inlineResultBytes a result larger than this, serialized, is stored in the node's object
   *     store and reported by reference ({@link TaskOutcome.Stored})
   * @param isolated the node's child JVM runner, asked for only when an isolated task runs
   * @param data the node's object store, asked for only when a result must be stored
   * @param node this node's address, to say where an isolated JVM died
   */
  TaskExecution(int inlineResultBytes, Supplier<IsolatedTaskRunner> isolated, Supplier<DataStore> data, String node) {
    this.inlineResultBytes = inlineResultBytes;
    this.isolated = Objects.requireNonNull(isolated, "isolated");
    this.data = Objects.requireNonNull(data, "data");
    this.node = Objects.requireNonNull(node, "node");
  }

  /** Runs one attempt of a task of job {@code jobId}; always returns an outcome. */
  TaskOutcome run(String jobId, TaskRegistry.Registration<?, ?> registration, WorkerMessage.TaskAssignment task,
      Duration timeout) {
    return registration.isIsolated() ? runIsolated(jobId, registration, task, timeout) : runHere(jobId, registration, task);
  }

  private TaskOutcome runIsolated(String jobId,
      TaskRegistry.Registration<?, ?> registration, WorkerMessage.TaskAssignment task, Duration timeout) {
    IsolatedTaskRunner.Result result;
    try {
      result = isolated.get().run(registration.type().name(), task.input(), timeout);
    } catch (RuntimeException closedOrBroken) { // the worker is stopping, or the runner failed
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), describe(closedOrBroken), true);
    }
    if (result instanceof IsolatedTaskRunner.Result.Succeeded ok) {
      if (ok.output().length <= inlineResultBytes) {
        return new TaskOutcome.Succeeded(task.taskId(), task.attempt(), ok.output());
      }
      try {
        return new TaskOutcome.Stored(task.taskId(), task.attempt(),
            data.get().putResult(ByteBuffer.wrap(ok.output()), jobId, task.taskId()));
      } catch (DataException e) {
        return new TaskOutcome.Failed(task.taskId(), task.attempt(), "storing the result failed: " + e.getMessage(), true);
      }
    }
    if (result instanceof IsolatedTaskRunner.Result.Failed failed) {
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), failed.cause(), failed.retryable());
    }
    IsolatedTaskRunner.Result.ChildDied died = (IsolatedTaskRunner.Result.ChildDied) result;
    return new TaskOutcome.Crashed(task.taskId(), task.attempt(),
        node + " (child JVM, exit code " + died.exitCode() + ")", cut(died.cause()));
  }

  private TaskOutcome runHere(String jobId, TaskRegistry.Registration<?, ?> registration,
      WorkerMessage.TaskAssignment task) {
    Object input;
    try {
      input = codec.decode(task.input(), registration.type().inputType());
    } catch (IllegalArgumentException e) {
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), "unreadable input: " + e.getMessage(), false);
    }
    try {
      Object output;
      // Objects the handler puts belong to the job, and record this task as their lineage.
      try (DataScope.Entered ignored = DataScope.enter(jobId, task.taskId())) {
        output = invoke(registration, input);
      }
      if (output == null) {
        return new TaskOutcome.Failed(task.taskId(), task.attempt(), "the handler returned null", true);
      }
      return encode(jobId, task, output);
    } catch (Throwable e) {
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), describe(e), true);
    }
  }

  /**
   * The result inline when it is small, else stored in the node's object store (serialized straight
   * into a file: checked while encoding, so a small result costs one pass and a large one no copy
   * on the heap). Objects the result names pass from the job to the submitter's keeping.
   */
  private TaskOutcome encode(String jobId, WorkerMessage.TaskAssignment task, Object output) {
    try {
      RefsSeen.Seen<byte[]> inline = RefsSeen.during(() -> codec.encode(output, inlineResultBytes));
      keep(inline.refs());
      return new TaskOutcome.Succeeded(task.taskId(), task.attempt(), inline.value());
    } catch (PayloadCodec.TooLargeException tooLarge) {
      try {
        DataStore store = data.get();
        RefsSeen.Seen<DataRef<byte[]>> stored =
            RefsSeen.during(() -> store.putResult(out -> codec.write(output, out), jobId, task.taskId()));
        keep(stored.refs());
        return new TaskOutcome.Stored(task.taskId(), task.attempt(), stored.value());
      } catch (DataException e) {
        return new TaskOutcome.Failed(task.taskId(), task.attempt(), "the result (a " + output.getClass().getName()
            + ") could not be stored: " + e.getMessage(), true);
      }
    }
  }

  private void keep(List<DataRef<?>> named) {
    if (!named.isEmpty()) {
      data.get().keep(named);
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
