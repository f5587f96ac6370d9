package dev.tessera.work.engine;

import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.metrics.JobLabels;
import dev.tessera.runtime.metrics.NodeMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * One job's meters on the node that coordinates it, labelled {@code job_id} (bounded by {@link
 * JobLabels}) and {@code task_type}:
 *
 * <ul>
 *   <li>{@code tessera_tasks_dispatched_total}: tasks leased to workers (a retry counts again);
 *   <li>{@code tessera_tasks_succeeded_total}: results accepted, one per task;
 *   <li>{@code tessera_tasks_failed_total}: tasks failed for good;
 *   <li>{@code tessera_tasks_retried_total}: task failures that get another attempt;
 *   <li>{@code tessera_tasks_taken_back_total{reason}}: tasks taken back from a worker ({@link
 *       TaskDispatcher.TakeBack});
 *   <li>{@code tessera_duplicate_results_dropped_total}: results for tasks that had ended;
 *   <li>{@code tessera_tasks_pending} and {@code tessera_tasks_running}: the job's tasks waiting
 *       for a worker, and leased, as of the coordinator's last tick.
 * </ul>
 *
 * <p>Thread safety: counters are updated on the coordinator's thread; scrapes read them from any.
 */
public final class JobMeters implements TaskDispatcher.Events {

  private final String jobId;
  private final String label;
  private final MeterRegistry registry;
  private final JobLabels labels;
  private final List<Meter> meters = new ArrayList<>();
  private final Counter dispatched;
  private final Counter succeeded;
  private final Counter failed;
  private final Counter retried;
  private final Counter duplicates;
  private final Map<TaskDispatcher.TakeBack, Counter> takenBack = new EnumMap<>(TaskDispatcher.TakeBack.class);
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicInteger running = new AtomicInteger();
  private boolean closed;

  private JobMeters(ActorSystem<?> system, String jobId, String taskType) {
    NodeMetrics metrics = NodeMetrics.get(system);
    this.jobId = jobId;
    this.registry = metrics.registry();
    this.labels = metrics.jobLabels();
    this.label = labels.open(jobId);
    Tags tags = Tags.of("job_id", label, "task_type", taskType);
    dispatched = counter("tessera.tasks.dispatched", "Tasks leased to workers; an attempt after a retry or a take-back counts again", tags);
    succeeded = counter("tessera.tasks.succeeded", "Tasks whose result the job accepted, once per task", tags);
    failed = counter("tessera.tasks.failed", "Tasks failed for good (attempts used up, poison, or not retryable)", tags);
    retried = counter("tessera.tasks.retried", "Task failures given another attempt", tags);
    duplicates = counter("tessera.duplicate.results.dropped", "Results that arrived for a task already ended, dropped", tags);
    for (TaskDispatcher.TakeBack reason : TaskDispatcher.TakeBack.values()) {
      takenBack.put(reason, counter("tessera.tasks.taken.back",
          "Tasks taken back from a worker to run elsewhere, by reason", tags.and("reason", reason.label())));
    }
    if (!JobLabels.OTHER.equals(label)) { // a gauge is one job's; jobs beyond the limit have none
      meters.add(Gauge.builder("tessera.tasks.pending", pending, AtomicInteger::get).strongReference(true)
          .description("The job's tasks waiting for a worker").tags(tags).register(registry));
      meters.add(Gauge.builder("tessera.tasks.running", running, AtomicInteger::get).strongReference(true)
          .description("The job's tasks leased to workers").tags(tags).register(registry));
    }
  }

  /** The meters of a job coordinated here from now on. */
  public static JobMeters open(ActorSystem<?> system, String jobId, String taskType) {
    return new JobMeters(system, jobId, taskType);
  }

  private Counter counter(String name, String description, Tags tags) {
    Counter c = Counter.builder(name).description(description).tags(tags).register(registry);
    meters.add(c);
    return c;
  }

  @Override
  public void dispatched(int count) {
    dispatched.increment(count);
  }

  @Override
  public void duplicateDropped() {
    duplicates.increment();
  }

  @Override
  public void takenBack(TaskDispatcher.TakeBack reason, java.util.Collection<Integer> tasks, String node) {
    takenBack.get(reason).increment(tasks.size());
  }

  /** One result accepted. */
  public void succeeded() {
    succeeded.increment();
  }

  /** An attempt lost: a retry, or a task failed for good. */
  public void attemptLost(TaskLoss loss) {
    if (loss.forGood()) {
      failed.increment();
    } else if (loss.kind() == TaskLoss.Kind.TASK_FAILED) {
      retried.increment();
    }
  }

  /** The job's counts as of the coordinator's tick. */
  public void progress(JobProgress progress) {
    running.set(progress.running());
    pending.set(Math.max(0, progress.total() - progress.done() - progress.failed() - progress.running()));
  }

  /** The job ended here (or its coordinator stopped): its series go after {@code ended-job-series-kept}. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    pending.set(0);
    running.set(0);
    labels.ended(jobId, label, registry, meters);
  }
}
