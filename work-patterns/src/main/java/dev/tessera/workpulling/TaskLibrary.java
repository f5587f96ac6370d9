package dev.tessera.workpulling;

import dev.tessera.runtime.job.TaskRegistry;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * An application's task handlers, found on a worker node's classpath with {@link
 * java.util.ServiceLoader} (list the class in {@code META-INF/services/dev.tessera.workpulling.TaskLibrary}).
 *
 * <p>Implement exactly one of the two {@code register} methods: {@link #register(TaskRegistry.Builder)}
 * when the handlers need nothing of the node, {@link #register(TaskRegistry.Builder, ActorSystem)}
 * when they do (a GPU library reaching the node's GPU kernels extension, for example). The task
 * worker calls the second, which by default calls the first. Types marked {@link
 * dev.tessera.runtime.job.TaskType#isolated() isolated} run in a child JVM that has no actor system:
 * it calls only the first, so register those there.
 *
 * <pre>{@code
 * public final class MathTasks implements TaskLibrary {
 *   public static final TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
 *   public void register(TaskRegistry.Builder registry) {
 *     registry.register(SQUARE, x -> (long) x * x);
 *   }
 * }
 *
 * public final class GpuTasks implements TaskLibrary {
 *   public static final TaskType<float[], float[]> SAXPY = TaskType.of("saxpy", float[].class, float[].class);
 *   public void register(TaskRegistry.Builder registry, ActorSystem<?> system) {
 *     GpuKernels kernels = GpuKernels.get(system); // an Extension of the node's actor system
 *     registry.register(SAXPY, kernels::saxpy);
 *   }
 * }
 * }</pre>
 */
public interface TaskLibrary {

  /**
   * Registers this library's handlers.
   *
   * @throws IllegalStateException if the library implements neither {@code register} method
   */
  default void register(TaskRegistry.Builder registry) {
    throw new IllegalStateException(
        getClass().getName() + " implements neither register(Builder) nor register(Builder, ActorSystem)");
  }

  /**
   * Registers this library's handlers, which may use the node they run on. Called once per node,
   * on the thread that starts it, after its actor system is up.
   *
   * @param system the actor system of the node the handlers will run on
   */
  default void register(TaskRegistry.Builder registry, ActorSystem<?> system) {
    register(registry);
  }
}
