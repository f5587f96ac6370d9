package dev.tessera.work.worker.isolation;

import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The isolated child JVM that an {@link IsolatedTaskRunner} starts: it registers every {@link
 * TaskLibrary} on the classpath (through {@link TaskLibrary#register(TaskRegistry.Builder)}: there
 * is no actor system here), then runs the tasks that arrive as {@link Frames} on its standard input
 * and answers on its standard output.
 *
 * <p>Arguments: the node's pid and the result size limit in bytes. The child halts when its standard
 * input ends or the node's process exits, so a node that dies, even by {@code kill -9}, leaves no
 * child behind.
 *
 * <p>Threading: the main thread reads requests; each task runs on a thread of its own from a
 * cached pool (the node sends no more at once than it has task threads); answers are written under
 * a lock. A task that throws {@link OutOfMemoryError} halts the child with exit code 3, as {@code
 * -XX:+ExitOnOutOfMemoryError} does for the heap: its memory may be in any state.
 */
public final class ChildMain {

  /** The exit code of a child that ran out of memory, the same as {@code -XX:+ExitOnOutOfMemoryError}'s. */
  static final int OUT_OF_MEMORY_EXIT = 3;

  private static final int MAX_CAUSE_CHARS = 16 * 1024;
  private static final int MAX_REQUEST_BYTES = 256 << 20; // far above any input: those travel in cluster messages

  /** One task this child runs or has queued, for {@link Frames.Cancel}. */
  private static final class Running {
    private Thread thread;
    private boolean cancelled;

    /** @return false if the task was cancelled before it started */
    synchronized boolean begin() {
      thread = Thread.currentThread();
      return !cancelled;
    }

    synchronized void end() {
      thread = null;
      Thread.interrupted(); // an interrupt meant for this task must not reach the thread's next one
    }

    synchronized void cancel() {
      cancelled = true;
      if (thread != null) {
        thread.interrupt();
      }
    }
  }

  private final Logger log;
  private final TaskRegistry registry;
  private final List<String> unavailable;
  private final int maxResultBytes;
  private final DataOutputStream out;
  private final PayloadCodec codec = new PayloadCodec();
  private final Map<Long, Running> running = new ConcurrentHashMap<>();
  private final ExecutorService pool;

  private ChildMain(Logger log, TaskRegistry registry, List<String> unavailable, int maxResultBytes, DataOutputStream out) {
    this.log = log;
    this.registry = registry;
    this.unavailable = unavailable;
    this.maxResultBytes = maxResultBytes;
    this.out = out;
    AtomicInteger threads = new AtomicInteger();
    this.pool = Executors.newCachedThreadPool(runnable -> {
      Thread thread = new Thread(runnable, "tessera-isolated-task-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  public static void main(String[] args) throws IOException {
    // Standard output carries the frames; everything else that prints (handlers, logging) must go
    // to standard error, so redirect before any library or logger is loaded.
    DataOutputStream frames = new DataOutputStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16));
    System.setOut(System.err);
    if (args.length != 2) {
      System.err.println("usage: ChildMain <node pid> <max result bytes>");
      Runtime.getRuntime().halt(2);
    }
    haltWhenGone(Long.parseLong(args[0]));
    Logger log = LoggerFactory.getLogger(ChildMain.class);
    List<String> unavailable = new ArrayList<>();
    TaskRegistry registry = loadLibraries(unavailable);
    ChildMain child = new ChildMain(log, registry, List.copyOf(unavailable), Integer.parseInt(args[1]), frames);
    child.serve(new DataInputStream(new BufferedInputStream(System.in, 1 << 16)));
    // Standard input ended: the node closed it or died. Halt, not exit: a handler's shutdown hook
    // must not keep an orphan alive.
    Runtime.getRuntime().halt(0);
  }

  /** Halts this JVM once the node's process has exited (its pipes may be held open by others). */
  private static void haltWhenGone(long nodePid) {
    Optional<ProcessHandle> node = ProcessHandle.of(nodePid);
    if (node.isEmpty()) {
      Runtime.getRuntime().halt(0);
    }
    node.get().onExit().thenRun(() -> Runtime.getRuntime().halt(0));
  }

  /**
   * Registers every library that can do without an actor system; the others are named in {@code
   * unavailable}, so a task of one of their types fails saying why.
   */
  private static TaskRegistry loadLibraries(List<String> unavailable) {
    TaskRegistry.Builder builder = TaskRegistry.builder();
    for (TaskLibrary library : ServiceLoader.load(TaskLibrary.class)) {
      String name = library.getClass().getName();
      if (!registersWithoutSystem(library)) {
        unavailable.add(name + " registers its handlers only with the node's actor system (register(Builder, ActorSystem)),"
            + " which an isolated child JVM does not have");
        continue;
      }
      library.register(builder);
    }
    return builder.build();
  }

  private static boolean registersWithoutSystem(TaskLibrary library) {
    try {
      return library.getClass().getMethod("register", TaskRegistry.Builder.class).getDeclaringClass() != TaskLibrary.class;
    } catch (NoSuchMethodException e) {
      return false; // not possible: the interface declares it
    }
  }

  private void serve(DataInputStream in) throws IOException {
    send(new Frames.Ready(registry.names(), unavailable));
    Frames.Frame frame;
    while ((frame = Frames.read(in, MAX_REQUEST_BYTES)) != null) {
      if (frame instanceof Frames.Run run) {
        Running task = new Running();
        running.put(run.id(), task);
        pool.execute(() -> runTask(run, task));
      } else if (frame instanceof Frames.Cancel cancel) {
        Running task = running.get(cancel.id());
        if (task != null) {
          task.cancel();
        }
      } else {
        throw new Frames.ProtocolException("a child does not take " + frame.getClass().getSimpleName() + " frames");
      }
    }
  }

  private void runTask(Frames.Run run, Running task) {
    Frames.Frame answer;
    try {
      answer = task.begin() ? execute(run) : new Frames.Failed(run.id(), "cancelled before it started", true);
    } finally {
      task.end();
      running.remove(run.id());
    }
    send(answer);
  }

  /** Runs one task on the calling thread; always returns an answer, or halts the JVM. */
  private Frames.Frame execute(Frames.Run run) {
    Optional<TaskRegistry.Registration<?, ?>> found = registry.lookup(run.taskType());
    if (found.isEmpty()) {
      return new Frames.Failed(run.id(), noHandler(run.taskType()), false);
    }
    TaskRegistry.Registration<?, ?> registration = found.get();
    Object input;
    try {
      input = codec.decode(run.input(), registration.type().inputType());
    } catch (IllegalArgumentException e) {
      return new Frames.Failed(run.id(), "unreadable input: " + e.getMessage(), false);
    }
    try {
      Object output = invoke(registration, input);
      if (output == null) {
        return new Frames.Failed(run.id(), "the handler returned null", true);
      }
      byte[] bytes = codec.encode(output);
      if (bytes.length > maxResultBytes) {
        return new Frames.Failed(run.id(),
            "result of " + bytes.length + " bytes exceeds the limit of " + maxResultBytes
                + " bytes for isolated tasks (tessera.work-pulling.worker.isolation.max-result-bytes)", false);
      }
      return new Frames.Succeeded(run.id(), bytes);
    } catch (OutOfMemoryError e) {
      // Thrown by library code (direct buffers, threads) rather than the heap, which
      // ExitOnOutOfMemoryError covers: the node sees the child die with the same exit code.
      System.err.println("task " + run.id() + " of type '" + run.taskType() + "' threw " + e + "; halting");
      System.err.flush();
      Runtime.getRuntime().halt(OUT_OF_MEMORY_EXIT);
      throw e;
    } catch (Throwable e) {
      return new Frames.Failed(run.id(), describe(e), true);
    }
  }

  private String noHandler(String taskType) {
    if (unavailable.isEmpty()) {
      return "task type '" + taskType + "' has no handler in the isolated child JVM: no TaskLibrary on its classpath registers it";
    }
    return "task type '" + taskType + "' has no handler in the isolated child JVM. Register isolated types in"
        + " TaskLibrary.register(TaskRegistry.Builder): " + String.join("; ", unavailable);
  }

  @SuppressWarnings("unchecked")
  private static <I, O> Object invoke(TaskRegistry.Registration<I, O> registration, Object input) throws Exception {
    return registration.handler().run((I) input);
  }

  private void send(Frames.Frame frame) {
    try {
      synchronized (out) {
        Frames.write(out, frame);
        out.flush();
      }
    } catch (IOException e) {
      // The node closed its end: it is gone or closing this child.
      log.warn("cannot answer the node ({}); halting", e.toString());
      Runtime.getRuntime().halt(0);
    }
  }

  /** The exception and its stack trace, as text (cut at 16 KiB), as the in-process worker reports it. */
  private static String describe(Throwable error) {
    StringWriter text = new StringWriter();
    error.printStackTrace(new PrintWriter(text));
    String trace = text.toString();
    return trace.length() <= MAX_CAUSE_CHARS ? trace : trace.substring(0, MAX_CAUSE_CHARS) + "\n\t... (cut)";
  }
}
