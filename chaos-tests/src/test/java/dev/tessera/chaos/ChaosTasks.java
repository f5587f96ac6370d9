package dev.tessera.chaos;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;

/** Tasks the multi-process tests run on their node processes (found through ServiceLoader). */
public final class ChaosTasks implements TaskLibrary {

  /** The square of a number, after about a millisecond of real work. */
  public static final TaskType<Integer, Long> SLOW_SQUARE = TaskType.of("chaos.slow-square", Integer.class, Long.class);

  /**
   * A task that records each execution: the square of {@code x}, after about two milliseconds of
   * work, and a line "x" appended to {@code executions-<pid>.log} in {@code logDir}, so a test can
   * count how often each task ran, and in which node process.
   */
  public record Counted(int x, String logDir) {}

  public static final TaskType<Counted, Long> COUNTED_SQUARE = TaskType.of("chaos.counted-square", Counted.class, Long.class);

  /**
   * The square of {@code x}, except for {@code x == poison}, which takes its JVM down: {@code how}
   * is "exit" ({@code System.exit(1)}) or "halt" ({@code Runtime.halt(1)}, no shutdown hooks).
   */
  public record Poisoned(int x, int poison, String how) {}

  public static final TaskType<Poisoned, Long> POISONED_SQUARE = TaskType.of("chaos.poisoned-square", Poisoned.class, Long.class);

  /** The same, as a type whose tasks run in each node's child JVM: the poison kills a child, never a node. */
  public static final TaskType<Poisoned, Long> POISONED_SQUARE_ISOLATED =
      TaskType.of("chaos.poisoned-square-isolated", Poisoned.class, Long.class).isolated();

  /**
   * Sleeps {@code millis} (while the file {@code gate} exists, if one is named), after appending
   * "pid x" to {@code started.log} in {@code logDir}; returns this process's pid.
   */
  public record Sleepy(int x, long millis, String logDir, String gate) {}

  public static final TaskType<Sleepy, Long> SLEEPY_PID = TaskType.of("chaos.sleepy-pid", Sleepy.class, Long.class);

  /**
   * The square of {@code x}, once the file {@code gate} no longer exists (waits at most 60 s), so a
   * test decides when results arrive; {@code padding} makes the input as large as a test needs.
   */
  public record Gated(int x, String gate, String padding) {}

  public static final TaskType<Gated, Long> GATED_SQUARE = TaskType.of("chaos.gated-square", Gated.class, Long.class);

  /** {@code size} bytes made from seed {@code x} (the same for the same input, on any node). */
  public record Large(int x, int size) {}

  public static final TaskType<Large, byte[]> LARGE_BYTES = TaskType.of("chaos.large-bytes", Large.class, byte[].class);

  /** The bytes {@link #LARGE_BYTES} returns for {@code input}, for a test to compare with. */
  public static byte[] largeBytes(Large input) {
    byte[] bytes = new byte[input.size()];
    new java.util.SplittableRandom(input.x()).nextBytes(bytes);
    return bytes;
  }

  @Override
  public void register(TaskRegistry.Builder registry) {
    registry.register(LARGE_BYTES, ChaosTasks::largeBytes);
    registry.register(SLOW_SQUARE, ChaosTasks::slowSquare);
    registry.register(COUNTED_SQUARE, ChaosTasks::countedSquare);
    registry.register(POISONED_SQUARE, ChaosTasks::poisonedSquare);
    registry.register(POISONED_SQUARE_ISOLATED, ChaosTasks::poisonedSquare);
    registry.register(SLEEPY_PID, ChaosTasks::sleepyPid);
    registry.register(GATED_SQUARE, ChaosTasks::gatedSquare);
  }

  static long poisonedSquare(Poisoned input) {
    if (input.x() == input.poison()) {
      if (input.how().equals("halt")) {
        Runtime.getRuntime().halt(1);
      }
      System.exit(1);
    }
    return slowSquare(input.x());
  }

  static long sleepyPid(Sleepy input) throws java.io.IOException, InterruptedException {
    long pid = ProcessHandle.current().pid();
    if (input.logDir() != null) {
      java.nio.file.Files.writeString(java.nio.file.Path.of(input.logDir(), "started.log"), pid + " " + input.x() + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }
    if (input.gate() == null || java.nio.file.Files.exists(java.nio.file.Path.of(input.gate()))) {
      Thread.sleep(input.millis());
    }
    return pid;
  }

  static long gatedSquare(Gated input) throws InterruptedException {
    java.nio.file.Path gate = java.nio.file.Path.of(input.gate());
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (java.nio.file.Files.exists(gate) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    return (long) input.x() * input.x();
  }

  static long countedSquare(Counted input) throws java.io.IOException {
    slowSquare(input.x());
    slowSquare(input.x());
    java.nio.file.Path log = java.nio.file.Path.of(input.logDir(), "executions-" + ProcessHandle.current().pid() + ".log");
    // One small append per execution: O_APPEND keeps lines of concurrent task threads whole.
    java.nio.file.Files.writeString(log, input.x() + "\n", java.nio.file.StandardOpenOption.CREATE,
        java.nio.file.StandardOpenOption.APPEND);
    return (long) input.x() * input.x();
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
