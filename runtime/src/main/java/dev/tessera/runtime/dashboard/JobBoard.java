package dev.tessera.runtime.dashboard;

import dev.tessera.runtime.job.JobProgress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What this node's job coordinators tell the dashboard: each job's progress (updated at every
 * coordinator tick) and the faults and recoveries they see (tasks taken back, and when they ran
 * again; a durable job's coordinator recovered here). {@link DashboardActor} reads it into the
 * node's {@link NodeReport}. Jobs that ended stay for {@link #ENDED_KEPT}.
 *
 * <p>Thread safety: synchronized; coordinators call it from their actors.
 */
public final class JobBoard implements Extension {

  /** How long an ended job stays on the board. */
  static final Duration ENDED_KEPT = Duration.ofMinutes(10);
  /** Events kept (the newest). */
  static final int EVENTS_KEPT = 100;

  private static final class Job {
    NodeReport.JobRow row;
    long endedMillis;
    final Deque<long[]> samples = new ArrayDeque<>(); // {millis, done}
  }

  private final String node;
  private final Map<String, Job> jobs = new LinkedHashMap<>();
  private final Deque<NodeReport.TimelineEvent> events = new ArrayDeque<>();
  private final AtomicLong sequence = new AtomicLong();

  JobBoard(String node) {
    this.node = node;
  }

  public static JobBoard get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  static final ExtensionId<JobBoard> ID = new ExtensionId<>() {
    @Override
    public JobBoard createExtension(ActorSystem<?> system) {
      return new JobBoard(system.address().toString());
    }
  };

  /** The job's progress now, from its coordinator's tick. */
  public synchronized void progress(String jobId, String taskType, JobProgress progress, int takenBack, long startedMillis) {
    long now = System.currentTimeMillis();
    Job job = jobs.computeIfAbsent(jobId, id -> new Job());
    job.endedMillis = 0;
    double rate = NodeReports.rate(job.samples, now, progress.done());
    int left = progress.total() - progress.done() - progress.failed();
    double eta = left <= 0 ? 0 : rate > 0 ? left / rate : -1;
    job.row = new NodeReport.JobRow(jobId, taskType, node, "running", progress.total(), progress.done(),
        progress.running(), progress.failed(), progress.retried(), takenBack, startedMillis, rate, eta);
  }

  /** The job ended here (or its coordinator stopped here): it stays on the board for a while. */
  public synchronized void ended(String jobId, String state) {
    Job job = jobs.get(jobId);
    if (job != null && job.row != null) {
      NodeReport.JobRow r = job.row;
      job.row = new NodeReport.JobRow(r.jobId(), r.taskType(), r.coordinator(), state, r.total(), r.done(), 0, r.failed(),
          r.retried(), r.takenBack(), r.startedMillis(), 0, 0);
      job.endedMillis = System.currentTimeMillis();
    }
  }

  /**
   * Records a timeline event about {@code about}; returns its id, to {@link #recovered} it later.
   *
   * @param recoveryMillis -1 while not recovered
   */
  public synchronized String event(String kind, String about, String text, long recoveryMillis) {
    String id = node + "#" + sequence.incrementAndGet();
    add(new NodeReport.TimelineEvent(id, System.currentTimeMillis(), kind, about, text, recoveryMillis));
    return id;
  }

  /** The event {@code id} has recovered after {@code recoveryMillis}, described now as {@code text}. */
  public synchronized void recovered(String id, String text, long recoveryMillis) {
    NodeReport.TimelineEvent old = null;
    for (NodeReport.TimelineEvent e : events) {
      if (e.id().equals(id)) {
        old = e;
      }
    }
    if (old != null) {
      events.remove(old);
      add(new NodeReport.TimelineEvent(id, old.atMillis(), old.kind(), old.node(), text, recoveryMillis));
    }
  }

  private void add(NodeReport.TimelineEvent event) {
    events.addLast(event);
    while (events.size() > EVENTS_KEPT) {
      events.removeFirst();
    }
  }

  /** The jobs on the board now (ended ones past {@link #ENDED_KEPT} are dropped). */
  synchronized List<NodeReport.JobRow> jobs() {
    long now = System.currentTimeMillis();
    jobs.values().removeIf(j -> j.endedMillis != 0 && now - j.endedMillis > ENDED_KEPT.toMillis());
    List<NodeReport.JobRow> rows = new ArrayList<>();
    jobs.values().forEach(j -> {
      if (j.row != null) {
        rows.add(j.row);
      }
    });
    return rows;
  }

  synchronized List<NodeReport.TimelineEvent> events() {
    return List.copyOf(events);
  }
}
