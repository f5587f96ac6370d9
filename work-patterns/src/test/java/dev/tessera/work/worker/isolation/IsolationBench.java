package dev.tessera.work.worker.isolation;

import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The per-task cost of an isolated task type against the same handler run in process, as a task
 * worker runs either: from the encoded input to the encoded result. In process: decode, run the
 * handler, encode, on the calling thread. Isolated: {@link IsolatedTaskRunner#run}, a round trip
 * through the child JVM's pipes (which decodes, runs and encodes there).
 *
 * <p>For a trivial task (squaring an int) and a ~1 ms one (a fixed number of xorshift steps,
 * calibrated to 1 ms of CPU here), with one caller and with two at once, it reports wall time per
 * task and CPU time per task (this JVM plus the child's): the CPU time stays meaningful on a
 * loaded machine, where wall times are mostly waiting for a core. Each round starts a child and
 * warms it up (uncounted) before measuring; how long a child takes to start, and to be replaced
 * after a death, are measured too.
 *
 * <p>Usage: {@code bin/bench-isolation [rounds]} (default 5): prints each round and the medians,
 * after a warm-up round that is not counted.
 */
public final class IsolationBench {

  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final int TRIVIAL_TASKS = 20_000;
  private static final int MILLI_TASKS = 500;

  private final PayloadCodec codec = new PayloadCodec();
  private final TaskRegistry registry;
  private final int stepsPerMilli;

  private IsolationBench() {
    TaskRegistry.Builder builder = TaskRegistry.builder();
    new CrashingTasks().register(builder);
    registry = builder.build();
    stepsPerMilli = calibrate();
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    new IsolationBench().runRounds(rounds);
    System.exit(0);
  }

  /** Xorshift steps that take 1 ms of this thread's CPU, once compiled. */
  private static int calibrate() {
    var threads = ManagementFactory.getThreadMXBean();
    int steps = 1_000_000;
    long sink = 0;
    for (int i = 0; i < 200; i++) {
      sink += CrashingTasks.work(steps / 10); // compile it first
    }
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 20; i++) {
      long started = threads.getCurrentThreadCpuTime();
      sink += CrashingTasks.work(steps);
      best = Math.min(best, threads.getCurrentThreadCpuTime() - started);
    }
    int perMilli = (int) (steps * 1_000_000L / Math.max(1, best));
    System.out.printf(Locale.ROOT, "1 ms task: %d xorshift steps (checksum %d)%n", perMilli, sink & 1);
    return perMilli;
  }

  private void runRounds(int rounds) throws Exception {
    Map<String, List<Double>> results = new LinkedHashMap<>();
    round(); // warm-up, not counted: this JVM compiles the codec and the runner's paths
    for (int round = 1; round <= rounds; round++) {
      Map<String, Double> measured = round();
      StringBuilder line = new StringBuilder("round " + round + ":");
      measured.forEach((name, value) -> {
        results.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        line.append(String.format(Locale.ROOT, "%n  %-40s %9.1f", name, value));
      });
      System.out.println(line);
    }
    System.out.printf(Locale.ROOT, "%nmedians of %d rounds (µs per task; ms for start-up):%n", rounds);
    Map<String, Double> medians = new LinkedHashMap<>();
    results.forEach((name, values) -> medians.put(name, median(values)));
    medians.forEach((name, value) -> System.out.printf(Locale.ROOT, "  %-40s %9.1f   (rounds: %s)%n",
        name, value, values(results.get(name))));
    System.out.println();
    for (String task : List.of("trivial", "1ms")) {
      for (String callers : List.of("1 caller", "2 callers")) {
        for (String measure : List.of("wall", "cpu")) {
          double inProcess = medians.get(task + " in-process, " + callers + ", " + measure);
          double isolated = medians.get(task + " isolated, " + callers + ", " + measure);
          System.out.printf(Locale.ROOT, "  %-7s %-9s %-4s isolated / in-process = %6.2f  (%+.1f µs per task)%n",
              task, callers, measure, isolated / inProcess, isolated - inProcess);
        }
      }
    }
  }

  /** One round: every measure once, with a fresh child. */
  private Map<String, Double> round() throws Exception {
    Map<String, Double> measured = new LinkedHashMap<>();
    try (IsolatedTaskRunner runner = IsolatedTaskRunner.create(IsolationSettings.defaults())) {
      long started = System.nanoTime();
      expectSuccess(runner.run(CrashingTasks.SQUARE.name(), codec.encode(3), TIMEOUT));
      measured.put("child start + first task (ms)", (System.nanoTime() - started) / 1e6);

      Task trivial = new Task(CrashingTasks.SQUARE, 12, TRIVIAL_TASKS);
      Task milli = new Task(CrashingTasks.WORK, stepsPerMilli, MILLI_TASKS);
      // A child in its steady state: what a new one spends compiling counts in its start-up, not per task.
      perTask(2, TRIVIAL_TASKS, runner, () -> isolated(runner, trivial));
      perTask(2, MILLI_TASKS, runner, () -> isolated(runner, milli));
      for (Task task : List.of(trivial, milli)) {
        String name = task == trivial ? "trivial" : "1ms";
        for (int threads = 1; threads <= 2; threads++) {
          String callers = threads == 1 ? "1 caller" : "2 callers";
          Cost inProcess = perTask(threads, task.count(), runner, () -> inProcess(task));
          Cost isolated = perTask(threads, task.count(), runner, () -> isolated(runner, task));
          measured.put(name + " in-process, " + callers + ", wall", inProcess.wallMicros());
          measured.put(name + " isolated, " + callers + ", wall", isolated.wallMicros());
          measured.put(name + " in-process, " + callers + ", cpu", inProcess.cpuMicros());
          measured.put(name + " isolated, " + callers + ", cpu", isolated.cpuMicros());
        }
      }

      IsolatedTaskRunner.Result died = runner.run(CrashingTasks.EXIT.name(), codec.encode(0), TIMEOUT);
      if (!(died instanceof IsolatedTaskRunner.Result.ChildDied)) {
        throw new IllegalStateException("expected the child to die, got " + died);
      }
      long restarted = System.nanoTime();
      expectSuccess(runner.run(CrashingTasks.SQUARE.name(), codec.encode(3), TIMEOUT));
      measured.put("restart after a death (ms)", (System.nanoTime() - restarted) / 1e6);
    }
    return measured;
  }

  private record Task(TaskType<Integer, ?> type, int input, int count) {}

  private record Cost(double wallMicros, double cpuMicros) {}

  /** As a task worker runs an in-process task: decode, handler, encode. */
  private byte[] inProcess(Task task) throws Exception {
    TaskRegistry.Registration<?, ?> registration = registry.lookup(task.type().name()).orElseThrow();
    byte[] input = codec.encode(task.input());
    return codec.encode(invoke(registration, codec.decode(input, registration.type().inputType())));
  }

  @SuppressWarnings("unchecked")
  private static <I, O> Object invoke(TaskRegistry.Registration<I, O> registration, Object input) throws Exception {
    return registration.handler().run((I) input);
  }

  private byte[] isolated(IsolatedTaskRunner runner, Task task) {
    return expectSuccess(runner.run(task.type().name(), codec.encode(task.input()), TIMEOUT));
  }

  private interface Body {
    byte[] run() throws Exception;
  }

  /**
   * Wall and CPU time (this JVM's and the child's) per task, for {@code tasks} tasks on {@code
   * threads} threads, after a warm-up of half as many (which also lets the child compile the handler).
   */
  private static Cost perTask(int threads, int tasks, IsolatedTaskRunner runner, Body body) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      runOn(pool, threads, tasks / 2, body);
      long cpu = cpuNanos(runner);
      long started = System.nanoTime();
      runOn(pool, threads, tasks, body);
      long wall = System.nanoTime() - started;
      return new Cost(wall / 1e3 / tasks, (cpuNanos(runner) - cpu) / 1e3 / tasks);
    } finally {
      pool.shutdownNow();
    }
  }

  /** CPU time used so far by this JVM and the runner's child (Linux counts the child's in 10 ms ticks). */
  private static long cpuNanos(IsolatedTaskRunner runner) {
    long self = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    OptionalLong pid = runner.childPid();
    long child = pid.isEmpty() ? 0 : ProcessHandle.of(pid.getAsLong())
        .flatMap(handle -> handle.info().totalCpuDuration())
        .map(Duration::toNanos)
        .orElse(0L);
    return self + child;
  }

  private static void runOn(ExecutorService pool, int threads, int tasks, Body body) throws Exception {
    List<Future<?>> parts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int share = tasks / threads;
      parts.add(pool.submit(() -> {
        for (int i = 0; i < share; i++) {
          body.run();
        }
        return null;
      }));
    }
    for (Future<?> part : parts) {
      part.get();
    }
  }

  private static byte[] expectSuccess(IsolatedTaskRunner.Result result) {
    if (result instanceof IsolatedTaskRunner.Result.Succeeded succeeded) {
      return succeeded.output();
    }
    throw new IllegalStateException("task failed: " + result);
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int middle = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  }

  private static String values(List<Double> values) {
    return Arrays.toString(values.stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toArray());
  }
}
