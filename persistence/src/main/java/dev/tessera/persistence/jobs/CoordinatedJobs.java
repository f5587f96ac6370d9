package dev.tessera.persistence.jobs;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * The durable jobs whose coordinator runs on this node, and since when: a query for who
 * coordinates which job, answered by each node for itself. {@link DurableJobCoordinator} adds its
 * job when it starts handing out tasks and removes it when it stops doing so (the job ended, the
 * coordinator handed over, passivated, stopped, or restarted after a journal failure). Every node
 * serves it, read-only, on its management endpoint ({@link CoordinatedJobsRoute}, {@code GET
 * /jobs/coordinating}), so a tool that is not a cluster member (the chaos harness) can ask.
 *
 * <pre>{@code
 * CoordinatedJobs.get(system).jobs().forEach(j -> log.info("{} since {}", j.jobId(), j.sinceMillis()));
 * }</pre>
 *
 * <p>Thread safety: thread-safe (one concurrent map); coordinators write it from their actors, the
 * management endpoint reads it from its own threads.
 */
public final class CoordinatedJobs implements Extension {

  /** Job {@code jobId}'s coordinator has run on this node since {@code sinceMillis} (epoch millis). */
  public record CoordinatedJob(String jobId, long sinceMillis) {
    public CoordinatedJob {
      Objects.requireNonNull(jobId, "jobId");
    }
  }

  /**
   * What a node answers on {@code GET /jobs/coordinating}.
   *
   * @param node the node's address ({@code pekko://tessera@127.0.0.1:25520})
   * @param jobs the jobs coordinated there, oldest first
   */
  public record Report(String node, List<CoordinatedJob> jobs) {
    public Report {
      Objects.requireNonNull(node, "node");
      jobs = List.copyOf(jobs);
    }
  }

  private static final ExtensionId<CoordinatedJobs> ID = new ExtensionId<>() {
    @Override
    public CoordinatedJobs createExtension(ActorSystem<?> system) {
      return new CoordinatedJobs(system.address().toString());
    }
  };

  private final String node;
  private final Map<String, Long> since = new ConcurrentHashMap<>();

  private CoordinatedJobs(String node) {
    this.node = node;
  }

  public static CoordinatedJobs get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  /** The jobs coordinated on this node now, oldest first. */
  public List<CoordinatedJob> jobs() {
    return since.entrySet().stream()
        .map(e -> new CoordinatedJob(e.getKey(), e.getValue()))
        .sorted(Comparator.comparingLong(CoordinatedJob::sinceMillis).thenComparing(CoordinatedJob::jobId))
        .toList();
  }

  /** This node's answer: its address and {@link #jobs()}. */
  public Report report() {
    return new Report(node, jobs());
  }

  /** A coordinator of {@code jobId} started handing out tasks here at {@code sinceMillis}. */
  void started(String jobId, long sinceMillis) {
    since.put(jobId, sinceMillis);
  }

  /**
   * The coordinator that started at {@code sinceMillis} stopped coordinating {@code jobId}; a
   * later one of the same job on this node (it started since) stays listed.
   */
  void stopped(String jobId, long sinceMillis) {
    since.remove(jobId, sinceMillis);
  }
}
