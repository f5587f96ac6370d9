package dev.tessera.workpulling;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskType;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * Submits jobs to the task workers of the cluster.
 *
 * <pre>{@code
 * // on every worker node, once:
 * system.systemActorOf(TaskWorker.create(registry, Runtime.getRuntime().availableProcessors(), 1 << 20), "task-worker", Props.empty());
 * // anywhere in the cluster:
 * JobHandle<Long> handle = WorkPulling.submit(system, SQUARE, inputs, JobOptions.defaults());
 * }</pre>
 */
public final class WorkPulling {

  private static final PayloadCodec CODEC = new PayloadCodec();

  private WorkPulling() {}

  /**
   * Starts a job of one task per input. The job's coordinator runs on this node; every task worker
   * on a node with {@link JobOptions#requiredRole()} is told about it, those that join later too.
   *
   * @throws IllegalArgumentException naming the input when one cannot be serialized (nothing is started)
   */
  public static <I, O> JobHandle<O> submit(ActorSystem<?> system, TaskType<I, O> type, List<I> inputs, JobOptions options) {
    Objects.requireNonNull(system, "system");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(options, "options");
    List<byte[]> encoded = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      I input = inputs.get(i);
      if (input == null) {
        throw new IllegalArgumentException("input " + i + " of job of '" + type.name() + "' is null");
      }
      try {
        encoded.add(CODEC.encode(input));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("input " + i + " of job of '" + type.name() + "': " + e.getMessage(), e);
      }
    }
    String jobId = type.name() + "-" + UUID.randomUUID();
    CompletableFuture<ActorRef<JobCoordinator.Command>> coordinator = new CompletableFuture<>();
    CompletableFuture<JobReport> report = new CompletableFuture<>();
    system.systemActorOf(
        JobAnnouncer.create(
            jobId,
            type.name(),
            options,
            reportTo -> JobCoordinator.create(jobId, type.name(), encoded, options, reportTo),
            coordinator,
            report),
        "job-" + jobId,
        Props.empty());
    return new JobHandle<>(jobId, system, coordinator, report.thenApply(r -> decode(r, type)));
  }

  private static <O> JobResult<O> decode(JobReport report, TaskType<?, O> type) {
    List<O> results = new ArrayList<>(report.results().size());
    for (byte[] bytes : report.results()) {
      results.add(bytes == null ? null : CODEC.decode(bytes, type.outputType()));
    }
    return new JobResult<>(report.jobId(), results, report.failures(), report.progress(), report.cancelled());
  }
}
