package dev.tessera.work;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.work.engine.CoordinatorCore;
import dev.tessera.work.engine.JobCoordinator;
import dev.tessera.work.engine.JobReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * Submits jobs to the task workers of the cluster.
 *
 * <pre>{@code
 * // on every worker node, once:
 * // (TaskWorkerPlugin does this on nodes with the worker role)
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
    Objects.requireNonNull(inputs, "inputs");
    List<byte[]> encoded = CODEC.encodeInputs(Objects.requireNonNull(type, "type"), inputs);
    LineageKeeper lineage = LineageKeeper.get(Objects.requireNonNull(system, "system"));
    Started started = startEncoded(system, type.name(), encoded, options, null);
    return new JobHandle<>(started.jobId(), started.control(), started.report().thenApply(r -> {
      // Objects the results name can be made again from here if their nodes are lost.
      lineage.record(r, type.name(), encoded, options);
      return decode(r, type);
    }));
  }

  /**
   * Scatter/gather (map/reduce): runs one task per input like {@link #submit}, and folds each
   * result into {@code identity} with {@code combiner} as soon as it arrives, so no more than the
   * running value is kept, however many tasks there are. The combiner runs on one thread at a time
   * (it need not be thread-safe) and should be cheap; results are combined in arrival order, so it
   * should be associative and commutative. If it throws, the job is cancelled and the handle's
   * result fails with that exception.
   *
   * @throws IllegalArgumentException naming the input when one cannot be serialized (nothing is started)
   */
  public static <I, O, R> GatherHandle<R> scatterGather(
      ActorSystem<?> system, TaskType<I, O> type, List<I> inputs, JobOptions options,
      R identity, BiFunction<R, ? super O, R> combiner) {
    Objects.requireNonNull(combiner, "combiner");
    // Touched only by the job's JobCompletion actor, one message at a time.
    Object[] value = {identity};
    int[] combined = {0};
    CoordinatorCore.ResultSink sink = (task, bytes) -> {
      @SuppressWarnings("unchecked")
      R current = (R) value[0];
      value[0] = combiner.apply(current, CODEC.decode(bytes, type.outputType()));
      combined[0]++;
    };
    Started started = start(system, type, inputs, options, sink);
    return new GatherHandle<>(started.jobId(), started.control(), started.report().thenApply(r -> {
      @SuppressWarnings("unchecked")
      R result = (R) value[0];
      return new Gathered<>(r.jobId(), result, combined[0], r.failures(), r.progress(), r.cancelled());
    }));
  }

  record Started(String jobId, JobControl control, CompletableFuture<JobReport> report) {}

  private static <I, O> Started start(
      ActorSystem<?> system, TaskType<I, O> type, List<I> inputs, JobOptions options, CoordinatorCore.ResultSink sink) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(inputs, "inputs");
    return startEncoded(system, type.name(), CODEC.encodeInputs(type, inputs), options, sink);
  }

  /** Starts a job of already serialized inputs (a task run again for its lineage, too). */
  static Started startEncoded(
      ActorSystem<?> system, String taskType, List<byte[]> encoded, JobOptions options, CoordinatorCore.ResultSink sink) {
    Objects.requireNonNull(system, "system");
    Objects.requireNonNull(options, "options");
    String jobId = taskType + "-" + UUID.randomUUID();
    CompletableFuture<ActorRef<JobCoordinator.Command>> coordinator = new CompletableFuture<>();
    CompletableFuture<JobProgress> finalProgress = new CompletableFuture<>();
    CompletableFuture<JobReport> report = new CompletableFuture<>();
    system.systemActorOf(
        JobCompletion.create(
            jobId,
            (reportTo, resultsTo) -> JobCoordinator.create(jobId, taskType, encoded, options, reportTo, resultsTo),
            sink,
            coordinator,
            finalProgress,
            report),
        "job-" + jobId,
        Props.empty());
    return new Started(jobId, new JobControl(system, coordinator, finalProgress), report);
  }

  private static <O> JobResult<O> decode(JobReport report, TaskType<?, O> type) {
    List<O> results = new ArrayList<>(report.results().size());
    for (byte[] bytes : report.results()) {
      results.add(bytes == null ? null : CODEC.decode(bytes, type.outputType()));
    }
    return new JobResult<>(report.jobId(), results, report.failures(), report.progress(), report.cancelled());
  }
}
