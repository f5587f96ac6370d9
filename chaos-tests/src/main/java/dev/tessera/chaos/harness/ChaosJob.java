package dev.tessera.chaos.harness;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The job a chaos run submits: what {@code chaos --job CLASS} names (a public class with a public
 * no-argument constructor). Its task type must be registered on the nodes through a {@link
 * TaskLibrary} on their classpath, as for any job.
 *
 * <pre>{@code
 * public final class MyChaosJob implements ChaosJob<Integer, Long> {
 *   public TaskType<Integer, Long> taskType() { return MyTasks.SQUARE; }
 *   public List<Integer> inputs(Context context) { return IntStream.range(0, 5_000).boxed().toList(); }
 * }
 * }</pre>
 *
 * @param <I> task input
 * @param <O> task result
 */
public interface ChaosJob<I, O> {

  /**
   * What a job may size itself by.
   *
   * @param workDir a folder every node of the run can write to (they share this machine)
   * @param nodes node processes in the run
   * @param duration how long the faults go on; a job should keep the cluster busy about that long
   * @param seed the run's seed, for any choice the job makes at random
   */
  record Context(Path workDir, int nodes, Duration duration, long seed) {}

  /** One execution of a task body, as the task recorded it. */
  record Execution(int task, long pid, long startMillis) {}

  /** The task type the job runs. */
  TaskType<I, O> taskType();

  /** The job's inputs, task {@code i} being element {@code i}. */
  List<I> inputs(Context context);

  /**
   * Each task's result in a run without faults, computed here, without the cluster. The default
   * runs the task's registered handler (from the {@link TaskLibrary}s on this classpath) on each
   * input, in parallel; a job whose tasks record executions or wait on purpose overrides it. A
   * poisoned task's entry is null.
   */
  default List<O> reference(List<I> inputs, Context context) throws Exception {
    TaskRegistry.Builder builder = TaskRegistry.builder();
    ServiceLoader.load(TaskLibrary.class).forEach(library -> library.register(builder));
    TaskRegistry.Registration<?, ?> found = builder.build().lookup(taskType().name())
        .orElseThrow(() -> new IllegalStateException("no TaskLibrary on this classpath registers task type '"
            + taskType().name() + "'"));
    @SuppressWarnings("unchecked")
    TaskRegistry.Registration<I, O> registration = (TaskRegistry.Registration<I, O>) found;
    Set<Integer> poisoned = poisoned(inputs);
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    try {
      List<Future<O>> futures = new ArrayList<>();
      for (int i = 0; i < inputs.size(); i++) {
        I input = inputs.get(i);
        boolean skip = poisoned.contains(i);
        futures.add(pool.submit(() -> skip ? null : registration.handler().run(input)));
      }
      List<O> results = new ArrayList<>(futures.size());
      for (Future<O> future : futures) {
        results.add(future.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Tasks planted to fail on every attempt: the job must report them failed, and go on. */
  default Set<Integer> poisoned(List<I> inputs) {
    return Set.of();
  }

  /**
   * Every execution of a task body in the run, if the tasks record them (the harness then checks
   * the retry budget against them and times how soon a lost task ran again); empty if they do not.
   */
  default List<Execution> executions(Context context) throws java.io.IOException {
    return List.of();
  }
}
