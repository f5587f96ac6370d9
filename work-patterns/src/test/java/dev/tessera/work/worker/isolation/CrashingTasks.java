package dev.tessera.work.worker.isolation;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

/**
 * Isolated task types that do what must never take a node down, for the isolation tests and the
 * bench. Listed in the test resources' {@code META-INF/services}, so the child JVMs, which share
 * the tests' classpath, register them too.
 */
public final class CrashingTasks implements TaskLibrary {

  public static final TaskType<Integer, Long> SQUARE = TaskType.of("isolation-test.square", Integer.class, Long.class).isolated();
  /** Busy for the given number of microseconds, ignoring interrupts: a ~1 ms task, or a stuck one. */
  public static final TaskType<Integer, Integer> SPIN = TaskType.of("isolation-test.spin", Integer.class, Integer.class).isolated();
  /** A fixed amount of computation: the given number of xorshift steps (the bench's ~1 ms task). */
  public static final TaskType<Integer, Long> WORK = TaskType.of("isolation-test.work", Integer.class, Long.class).isolated();
  /** Sleeps the given number of milliseconds; an interrupt ends it. */
  public static final TaskType<Integer, Integer> SLEEP = TaskType.of("isolation-test.sleep", Integer.class, Integer.class).isolated();
  public static final TaskType<Integer, Integer> EXIT = TaskType.of("isolation-test.exit", Integer.class, Integer.class).isolated();
  public static final TaskType<Integer, Integer> HALT = TaskType.of("isolation-test.halt", Integer.class, Integer.class).isolated();
  public static final TaskType<Integer, Integer> EXHAUST_HEAP = TaskType.of("isolation-test.exhaust-heap", Integer.class, Integer.class).isolated();
  /** Writes to address 0 through Unsafe: a SIGSEGV, as a broken JNI or CUDA call would cause. */
  public static final TaskType<Integer, Integer> CRASH = TaskType.of("isolation-test.crash", Integer.class, Integer.class).isolated();
  public static final TaskType<String, String> THROW = TaskType.of("isolation-test.throw", String.class, String.class).isolated();
  public static final TaskType<String, String> ECHO = TaskType.of("isolation-test.echo", String.class, String.class).isolated();
  /** Prints its input on System.out, which in a child must not reach the protocol, and returns it. */
  public static final TaskType<String, String> PRINT = TaskType.of("isolation-test.print", String.class, String.class).isolated();

  @Override
  public void register(TaskRegistry.Builder registry) {
    registry
        .register(SQUARE, x -> (long) x * x)
        .register(SPIN, CrashingTasks::spin)
        .register(WORK, CrashingTasks::work)
        .register(SLEEP, millis -> {
          Thread.sleep(millis);
          return millis;
        })
        .register(EXIT, code -> {
          System.exit(code);
          return code;
        })
        .register(HALT, code -> {
          Runtime.getRuntime().halt(code);
          return code;
        })
        .register(EXHAUST_HEAP, CrashingTasks::exhaustHeap)
        .register(CRASH, CrashingTasks::crash)
        .register(THROW, message -> {
          throw new IllegalStateException(message);
        })
        .register(ECHO, text -> text)
        .register(PRINT, text -> {
          System.out.println(text);
          System.out.flush();
          return text;
        });
  }

  static int spin(int micros) {
    long end = System.nanoTime() + micros * 1_000L;
    int spins = 0;
    while (System.nanoTime() < end) {
      spins++;
    }
    return spins;
  }

  static long work(int steps) {
    long x = 88172645463325252L;
    for (int i = 0; i < steps; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
    }
    return x;
  }

  private static int exhaustHeap(int chunkBytes) {
    List<byte[]> held = new ArrayList<>();
    while (true) {
      held.add(new byte[chunkBytes]);
    }
  }

  private static int crash(int address) throws ReflectiveOperationException {
    Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
    Field field = unsafeClass.getDeclaredField("theUnsafe");
    field.setAccessible(true);
    Object unsafe = field.get(null);
    unsafeClass.getMethod("putAddress", long.class, long.class).invoke(unsafe, (long) address, 42L);
    return address;
  }
}
