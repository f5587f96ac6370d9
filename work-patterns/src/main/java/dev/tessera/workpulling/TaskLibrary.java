package dev.tessera.workpulling;

import dev.tessera.runtime.job.TaskRegistry;

/**
 * An application's task handlers, found on a worker node's classpath with {@link
 * java.util.ServiceLoader} (list the class in {@code META-INF/services/dev.tessera.workpulling.TaskLibrary}).
 *
 * <pre>{@code
 * public final class MathTasks implements TaskLibrary {
 *   public static final TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
 *   public void register(TaskRegistry.Builder registry) {
 *     registry.register(SQUARE, x -> (long) x * x);
 *   }
 * }
 * }</pre>
 */
public interface TaskLibrary {

  void register(TaskRegistry.Builder registry);
}
