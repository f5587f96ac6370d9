package dev.tessera.runtime.job;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A kind of task, named so that every node can find its handler: the submitter and the workers
 * agree on the name and on the input and output classes (plain Jackson-serializable values).
 *
 * <pre>{@code
 * TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
 * // Handlers that may crash the JVM (native code, System.exit, OutOfMemoryError) run in a child JVM:
 * TaskType<float[], float[]> SAXPY = TaskType.of("saxpy", float[].class, float[].class).isolated();
 * }</pre>
 *
 * <p>Equality is the record's: name, classes and execution all count, so {@code SAXPY} above is not
 * equal to the same type without {@code isolated()}. Jobs, workers and the {@link TaskRegistry}
 * match types by name alone, and only the node that runs a task looks at its execution: a
 * submitter may use either, but declare the type once (a constant beside its handler) and use that.
 *
 * @param execution where a worker runs this type's handler
 */
public record TaskType<I, O>(String name, Class<I> inputType, Class<O> outputType, Execution execution) {

  /** Where a worker node runs a task type's handler. */
  public enum Execution {
    /** On the worker's task threads, in the node's JVM: the fastest, for handlers that cannot crash it. */
    IN_PROCESS,
    /**
     * In a child JVM the worker node starts and restarts: a handler that exits, halts, crashes
     * natively or runs out of memory kills the child, never the node.
     */
    ISOLATED
  }

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]*");

  public TaskType {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(inputType, "inputType");
    Objects.requireNonNull(outputType, "outputType");
    Objects.requireNonNull(execution, "execution");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("task type name '" + name + "' may hold only letters, digits and _ . : -");
    }
  }

  /** A type whose handler runs in process, as before {@link Execution} existed. */
  public TaskType(String name, Class<I> inputType, Class<O> outputType) {
    this(name, inputType, outputType, Execution.IN_PROCESS);
  }

  public static <I, O> TaskType<I, O> of(String name, Class<I> inputType, Class<O> outputType) {
    return new TaskType<>(name, inputType, outputType);
  }

  /**
   * This type, with the same name and classes, run in a child JVM on every worker node (see
   * {@link Execution#ISOLATED}). Its handler must be registered with {@code
   * TaskLibrary.register(TaskRegistry.Builder)}, without the node's actor system, which the child
   * JVM does not have.
   */
  public TaskType<I, O> isolated() {
    return new TaskType<>(name, inputType, outputType, Execution.ISOLATED);
  }

  /** True if workers run this type's handler in a child JVM. */
  public boolean isIsolated() {
    return execution == Execution.ISOLATED;
  }
}
