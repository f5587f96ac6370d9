package dev.tessera.runtime.job;

import org.apache.pekko.actor.typed.ActorSystem;

/**
 * An application's task handlers, found on a worker node's classpath with {@link
 * java.util.ServiceLoader} (list the class in {@code META-INF/services/dev.tessera.runtime.job.TaskLibrary}).
 *
 * <p>Implement exactly one of the two {@code register} methods: {@link #register(TaskRegistry.Builder)}
 * when the handlers need nothing of the node, {@link #register(TaskRegistry.Builder, ActorSystem)}
 * when they do (a GPU library reaching the node's GPU kernels extension, for example). The task
 * worker calls the second, which by default calls the first. Types marked {@link
 * TaskType#isolated() isolated} run in a child JVM that has no actor system:
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
 *   public static final TaskType<float[], SumMax> SUM_MAX = TaskType.of("sum-max", float[].class, SumMax.class);
 *   public void register(TaskRegistry.Builder registry, ActorSystem<?> system) {
 *     Kernels kernels = GpuKernels.get(system).kernels(); // an Extension of the node's actor system
 *     registry.register(SUM_MAX, kernels::sumMax);
 *   }
 * }
 * }</pre>
 *
 * <p>{@code GpuKernels}, {@code Kernels} and {@code SumMax} are gpu-actors' ({@code
 * dev.tessera.gpu}); its {@code KernelTasks} is a complete library of this second kind.
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
