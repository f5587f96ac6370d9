package dev.tessera.chaos;

import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.workpulling.TaskLibrary;

/** Tasks the multi-process tests run on their node processes (found through ServiceLoader). */
public final class ChaosTasks implements TaskLibrary {

  /** The square of a number, after about a millisecond of real work. */
  public static final TaskType<Integer, Long> SLOW_SQUARE = TaskType.of("chaos.slow-square", Integer.class, Long.class);

  @Override
  public void register(TaskRegistry.Builder registry) {
    registry.register(SLOW_SQUARE, ChaosTasks::slowSquare);
  }

  static long slowSquare(int x) {
    long deadline = System.nanoTime() + 1_000_000;
    long spin = 0;
    while (System.nanoTime() < deadline) {
      spin++;
    }
    return (long) x * x + (spin < 0 ? 1 : 0);
  }
}
