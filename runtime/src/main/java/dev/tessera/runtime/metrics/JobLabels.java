package dev.tessera.runtime.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Keeps the {@code job_id} label's values bounded. A job's id is its own label value while fewer than
 * {@code tessera.metrics.job-labels} jobs hold one on this node; the others share {@link #OTHER}.
 * When a job ends its series stay for {@code ended-job-series-kept} (long enough for Prometheus to
 * scrape their last values), then are removed and its value freed. So a node running jobs for days
 * exports at most that many job values at a time.
 *
 * <p>Thread safety: synchronized.
 */
public final class JobLabels {

  /** The label value of jobs beyond the limit. */
  public static final String OTHER = "_other";

  private final ActorSystem<?> system;
  private final int limit;
  private final Duration kept;
  /** Job ids holding a label value, with how many times each was opened (a reopened job keeps its series). */
  private final Map<String, Integer> held = new HashMap<>();

  JobLabels(ActorSystem<?> system, int limit, Duration kept) {
    this.system = system;
    this.limit = limit;
    this.kept = kept;
  }

  /** The label value for {@code jobId}: the id itself if there is room, else {@link #OTHER}. */
  public synchronized String open(String jobId) {
    if (held.containsKey(jobId) || held.size() < limit) {
      held.merge(jobId, 1, Integer::sum);
      return jobId;
    }
    return OTHER;
  }

  /**
   * The job has ended (or its coordinator stopped here): after {@code ended-job-series-kept}, its
   * {@code meters} are removed from {@code registry} and its label value is free again. Meters
   * labelled {@link #OTHER} are shared and stay, and so do a job's that opened again meanwhile (a
   * durable job's coordinator that came back to this node).
   */
  public void ended(String jobId, String label, MeterRegistry registry, List<Meter> meters) {
    if (OTHER.equals(label)) {
      return;
    }
    int opened;
    synchronized (this) {
      opened = held.getOrDefault(jobId, 0);
    }
    Runnable remove = () -> {
      synchronized (this) {
        if (held.getOrDefault(jobId, 0) != opened) {
          return;
        }
        held.remove(jobId);
      }
      meters.forEach(registry::remove);
    };
    if (kept.isZero()) {
      remove.run();
      return;
    }
    try {
      system.scheduler().scheduleOnce(kept, remove, system.executionContext());
    } catch (IllegalStateException e) {
      remove.run(); // the system is shutting down: nobody scrapes any more
    }
  }

  /** Job ids holding a label value now. */
  public synchronized Set<String> held() {
    return Set.copyOf(held.keySet());
  }
}
