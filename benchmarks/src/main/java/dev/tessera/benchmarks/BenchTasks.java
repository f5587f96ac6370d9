package dev.tessera.benchmarks;

import dev.tessera.runtime.metrics.NodeMetrics;
import org.apache.pekko.actor.typed.ActorSystem;
import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import java.util.SplittableRandom;

/**
 * The tasks the work-pulling, durable-job and coordinator-failover benchmarks run on their nodes,
 * found through ServiceLoader ({@code META-INF/services/dev.tessera.runtime.job.TaskLibrary} of this
 * module): the node processes a bench starts get its classpath, so they find them too.
 */
public final class BenchTasks implements TaskLibrary {

  /** Returns its input: what the runtime itself costs per task. */
  public static final TaskType<Integer, Integer> NO_OP = TaskType.of("bench.no-op", Integer.class, Integer.class);

  /** Monte Carlo π: how many of {@code samples} random points fall inside the unit quarter circle. */
  public static final TaskType<PiChunk, Long> PI = TaskType.of("bench.pi", PiChunk.class, Long.class);

  /** Busy for the given microseconds, then returns them: a task that takes real CPU time. */
  public static final TaskType<Integer, Integer> SPIN = TaskType.of("bench.spin", Integer.class, Integer.class);

  /**
   * Pauses ({@code false}) or resumes ({@code true}) the metrics of the node it runs on ({@code
   * NodeMetrics.recording}); returns that node's address. {@code MetricsOverheadBench} pins one to
   * each node by a role of its own.
   */
  public static final TaskType<Boolean, String> METRICS_SWITCH =
      TaskType.of("bench.metrics-switch", Boolean.class, String.class);

  /** One slice of the π estimate: its own random stream, so every run counts the same points. */
  public record PiChunk(long seed, long samples) {}

  @Override
  public void register(TaskRegistry.Builder registry, ActorSystem<?> system) {
    registry.register(NO_OP, x -> x);
    registry.register(PI, BenchTasks::countInside);
    registry.register(SPIN, BenchTasks::spin);
    registry.register(METRICS_SWITCH, on -> {
      NodeMetrics.get(system).recording(on);
      return system.address().toString();
    });
  }

  static int spin(int micros) {
    long deadline = System.nanoTime() + micros * 1_000L;
    while (System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    return micros;
  }

  /** The kernel, shared by the cluster run and the ForkJoinPool baseline. */
  public static long countInside(PiChunk chunk) {
    SplittableRandom random = new SplittableRandom(chunk.seed());
    long inside = 0;
    for (long i = 0; i < chunk.samples(); i++) {
      double x = random.nextDouble();
      double y = random.nextDouble();
      if (x * x + y * y <= 1.0) {
        inside++;
      }
    }
    return inside;
  }
}
