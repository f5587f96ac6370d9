package dev.tessera.work.worker;

import dev.tessera.runtime.metrics.NodeMetrics;
import dev.tessera.work.protocol.TaskOutcome;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * A task worker's meters: {@code tessera_worker_slots} (the node's task threads), {@code
 * tessera_worker_slots_busy} (those running a task now, read when scraped), and {@code
 * tessera_task_duration_seconds{task_type, outcome}}, a histogram of how long each task ran here
 * (its {@code _count} is the tasks this worker ran, however they ended). Task types are the
 * registered handlers' names, so the labels stay bounded.
 *
 * <p>Thread safety: {@link #taskEnded} and {@link #close} on the worker's actor; scrapes from any thread.
 */
public final class WorkerMeters {

  /** The duration histogram's bucket bounds, from 1 ms to {@code task-duration-max}. */
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMinutes(2), Duration.ofMinutes(10),
      Duration.ofHours(1), Duration.ofHours(6)};

  private final MeterRegistry registry;
  private final Duration max;
  private static final String[] OUTCOMES = {"succeeded", "failed", "crashed"};

  /** Per task type, its timer per outcome (index into {@link #OUTCOMES}); the worker's actor only. */
  private final Map<String, Timer[]> durations = new java.util.HashMap<>();
  private final Slots slots;
  private final Slots.Worker worker;

  public WorkerMeters(ActorSystem<?> system, int capacity, IntSupplier busy) {
    NodeMetrics metrics = NodeMetrics.get(system);
    this.registry = metrics.registry();
    this.max = metrics.taskDurationMax();
    this.slots = Slots.ID.apply(system);
    this.worker = new Slots.Worker(capacity, busy);
    slots.workers.add(worker);
  }

  /**
   * The node's task slots, summed over its workers (one on a node; tests run several in one actor
   * system): the gauges are the node's, not one worker's.
   */
  static final class Slots implements Extension {
    static final ExtensionId<Slots> ID = new ExtensionId<>() {
      @Override
      public Slots createExtension(ActorSystem<?> system) {
        return new Slots(NodeMetrics.get(system).registry());
      }
    };

    record Worker(int capacity, IntSupplier busy) {}

    final Set<Worker> workers = ConcurrentHashMap.newKeySet();

    private Slots(MeterRegistry registry) {
      Gauge.builder("tessera.worker.slots", workers, ws -> ws.stream().mapToInt(Worker::capacity).sum())
          .description("Task threads of this node's workers").strongReference(true).register(registry);
      Gauge.builder("tessera.worker.slots.busy", workers, ws -> ws.stream().mapToInt(w -> w.busy().getAsInt()).sum())
          .description("Task threads of this node's workers running a task now").strongReference(true).register(registry);
    }
  }

  /** A task ran here for {@code runNanos} and ended with {@code outcome}. */
  public void taskEnded(String taskType, TaskOutcome outcome, long runNanos) {
    int result = outcome instanceof TaskOutcome.Failed ? 1 : outcome instanceof TaskOutcome.Crashed ? 2 : 0;
    // One array of three timers per task type, looked up without building a key: this runs per task.
    Timer[] timers = durations.computeIfAbsent(taskType, type -> new Timer[OUTCOMES.length]);
    Timer timer = timers[result];
    if (timer == null) {
      timer = Timer.builder("tessera.task.duration")
          .description("How long tasks ran on this node's worker, by task type and how they ended")
          .tags("task_type", taskType, "outcome", OUTCOMES[result])
          .serviceLevelObjectives(buckets())
          .minimumExpectedValue(BUCKETS[0])
          .maximumExpectedValue(max)
          .register(registry);
      timers[result] = timer;
    }
    timer.record(Math.max(0, runNanos), TimeUnit.NANOSECONDS);
  }

  private Duration[] buckets() {
    return java.util.Arrays.stream(BUCKETS).filter(b -> b.compareTo(max) <= 0).toArray(Duration[]::new);
  }

  /** The worker stopped: its slots no longer count (the durations it recorded stay: they are the node's). */
  public void close() {
    slots.workers.remove(worker);
  }
}
