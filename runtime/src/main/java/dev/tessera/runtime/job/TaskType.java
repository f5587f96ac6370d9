package dev.tessera.runtime.job;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A kind of task, named so that every node can find its handler: the submitter and the workers
 * agree on the name and on the input and output classes (plain Jackson-serializable values).
 *
 * <pre>{@code
 * TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
 * }</pre>
 */
public record TaskType<I, O>(String name, Class<I> inputType, Class<O> outputType) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:-]*");

  public TaskType {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(inputType, "inputType");
    Objects.requireNonNull(outputType, "outputType");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("task type name '" + name + "' may hold only letters, digits and _ . : -");
    }
  }

  public static <I, O> TaskType<I, O> of(String name, Class<I> inputType, Class<O> outputType) {
    return new TaskType<>(name, inputType, outputType);
  }
}
