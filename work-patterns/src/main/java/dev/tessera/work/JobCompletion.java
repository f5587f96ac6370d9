package dev.tessera.work;

import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.engine.CoordinatorCore;
import dev.tessera.work.engine.JobCoordinator;
import dev.tessera.work.engine.JobReport;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Runs one job's {@link JobCoordinator} as its child and completes the job's futures: with the
 * coordinator's report when it ends, with an error if the coordinator stops without one. For a
 * gathering job it hands each result to the application's combiner as it arrives, and cancels the
 * job if the combiner throws. (The coordinator announces the job to the workers itself.)
 *
 * <p>Threading: an actor; the futures are completed from its message handling.
 */
final class JobCompletion extends AbstractBehavior<JobCompletion.Command> {

  sealed interface Command {}

  private record Finished(JobReport report) implements Command {}

  private record ResultArrived(JobCoordinator.TaskEnded ended) implements Command {}

  private enum CoordinatorStopped implements Command {
    INSTANCE
  }

  private enum ReportOverdue implements Command {
    INSTANCE
  }

  /** How long a report may trail its coordinator's stop (the stop notice can overtake it). */
  private static final java.time.Duration REPORT_GRACE = java.time.Duration.ofSeconds(2);

  private final String jobId;
  private final ActorRef<JobCoordinator.Command> coordinator;
  private final CompletableFuture<JobReport> report;
  private final TimerScheduler<Command> timers;
  /** Receives each task result as it is accepted, on this actor's thread (one at a time). */
  private final CoordinatorCore.ResultSink sink;
  private final CompletableFuture<JobProgress> finalProgress;
  private RuntimeException sinkFailure;

  /**
   * @param coordinatorFactory builds the coordinator, given where its report and (for a gathering
   *     job) its results must go
   * @param sink receives results as they arrive, or null to have them in the report
   * @param finalProgress completed with the job's last progress when it ends, however it ends
   * @param report completed with the coordinator's report; exceptionally if the sink threw
   */
  static Behavior<Command> create(
      String jobId,
      BiFunction<ActorRef<JobReport>, Optional<ActorRef<JobCoordinator.TaskEnded>>, Behavior<JobCoordinator.Command>>
          coordinatorFactory,
      CoordinatorCore.ResultSink sink,
      CompletableFuture<ActorRef<JobCoordinator.Command>> coordinatorRef,
      CompletableFuture<JobProgress> finalProgress,
      CompletableFuture<JobReport> report) {
    Objects.requireNonNull(finalProgress, "finalProgress");
    Objects.requireNonNull(report, "report");
    return Behaviors.setup(context -> Behaviors.<Command>withTimers(timers -> {
      ActorRef<JobReport> reportTo = context.messageAdapter(JobReport.class, Finished::new);
      Optional<ActorRef<JobCoordinator.TaskEnded>> resultsTo = sink == null
          ? Optional.empty()
          : Optional.of(context.messageAdapter(JobCoordinator.TaskEnded.class, ResultArrived::new));
      ActorRef<JobCoordinator.Command> coordinator =
          context.spawn(coordinatorFactory.apply(reportTo, resultsTo), "coordinator");
      coordinatorRef.complete(coordinator);
      // A coordinator that crashes (a bug) must not leave the job's futures hanging.
      context.watchWith(coordinator, CoordinatorStopped.INSTANCE);
      return new JobCompletion(context, timers, jobId, coordinator, sink, finalProgress, report);
    }));
  }

  private JobCompletion(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String jobId,
      ActorRef<JobCoordinator.Command> coordinator,
      CoordinatorCore.ResultSink sink,
      CompletableFuture<JobProgress> finalProgress,
      CompletableFuture<JobReport> report) {
    super(context);
    this.timers = timers;
    this.sink = sink;
    this.finalProgress = finalProgress;
    context.setLoggerName(JobCompletion.class);
    this.jobId = jobId;
    this.coordinator = coordinator;
    this.report = report;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(ResultArrived.class, this::onResultArrived)
        .onMessage(Finished.class, this::onFinished)
        .onMessageEquals(CoordinatorStopped.INSTANCE, this::onCoordinatorStopped)
        .onMessageEquals(ReportOverdue.INSTANCE, this::onReportOverdue)
        .build();
  }

  private Behavior<Command> onResultArrived(ResultArrived arrived) {
    // Failures reach the handle through the report.
    if (sinkFailure != null || !(arrived.ended() instanceof JobCoordinator.ResultReady result)) {
      return this;
    }
    try {
      sink.accept(result.taskId(), result.output());
    } catch (RuntimeException e) {
      // The application's combiner is broken: stop spending the cluster's time on this job.
      sinkFailure = e;
      getContext().getLog().error("job {}: combining the result of task {} failed; cancelling the job",
          jobId, result.taskId(), e);
      coordinator.tell(new JobCoordinator.Cancel(getContext().getSystem().ignoreRef()));
    }
    return this;
  }

  private Behavior<Command> onCoordinatorStopped() {
    timers.startSingleTimer(ReportOverdue.INSTANCE, REPORT_GRACE);
    return this;
  }

  private Behavior<Command> onReportOverdue() {
    IllegalStateException crashed =
        new IllegalStateException("the coordinator of job " + jobId + " stopped without a report (see its node's log)");
    getContext().getLog().error("{}", crashed.getMessage());
    finalProgress.completeExceptionally(crashed);
    report.completeExceptionally(crashed);
    return Behaviors.stopped();
  }

  private Behavior<Command> onFinished(Finished finished) {
    finalProgress.complete(finished.report().progress());
    if (sinkFailure != null) {
      report.completeExceptionally(sinkFailure);
    } else {
      report.complete(finished.report());
    }
    return Behaviors.stopped();
  }
}
