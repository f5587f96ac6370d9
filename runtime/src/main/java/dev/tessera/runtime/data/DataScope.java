package dev.tessera.runtime.data;

import java.util.Objects;

/**
 * The task running on this thread, if any: objects a task puts, and copies it fetches, belong to
 * its job and are freed when the job ends (unless the task's result names them), and each object
 * it puts records which task made it ({@link DataRef.Lineage}) so that it can be made again. The
 * task worker enters the scope around each task; code outside a task runs in none.
 *
 * <pre>{@code
 * try (DataScope.Entered ignored = DataScope.enter(jobId, taskId)) {
 *   output = handler.run(input);
 * }
 * }</pre>
 *
 * <p>Thread safety: per thread.
 */
public final class DataScope {

  private static final ThreadLocal<Task> CURRENT = new ThreadLocal<>();

  private DataScope() {}

  /** Leaves the scope entered, restoring the one before. */
  public interface Entered extends AutoCloseable {
    @Override
    void close();
  }

  /** The task running, and how many objects it has put so far. Thread safety: its thread. */
  static final class Task {
    final String jobId;
    final int taskId;
    private int puts;

    Task(String jobId, int taskId) {
      this.jobId = Objects.requireNonNull(jobId, "jobId");
      this.taskId = taskId;
    }

    /** The lineage of the next object this task puts. */
    DataRef.Lineage nextPut() {
      return new DataRef.Lineage(jobId, taskId, puts++);
    }
  }

  public static Entered enter(String jobId, int taskId) {
    Task outer = CURRENT.get();
    CURRENT.set(new Task(jobId, taskId));
    return () -> CURRENT.set(outer);
  }

  /** The job of the task running on this thread, or null outside a task. */
  public static String currentJob() {
    Task task = CURRENT.get();
    return task == null ? null : task.jobId;
  }

  static Task current() {
    return CURRENT.get();
  }
}
