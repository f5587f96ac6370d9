package dev.tessera.workpulling;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.serialization.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.pattern.StatusReply;

/**
 * Coordinates one job by work pulling: workers grant credits, and the coordinator hands out at most
 * as many tasks as granted, in batches of {@link JobOptions#batchSize()}. A fast server grants
 * credits faster than a Pi, so it gets proportionally more tasks, and no worker's mailbox (nor
 * Artery's outbound queue) ever holds more than it asked for.
 *
 * <p>Credits are cumulative, like a TCP window: a worker always says how many tasks it has asked
 * for in total ({@code requestedUpTo}), and the coordinator counts how many it has sent. The
 * difference is what may still be sent. Repeating or reordering such a message changes nothing, so
 * heartbeats can carry it too, and a worker wrongly presumed dead (a long GC pause) picks up where
 * it was as soon as it is heard again.
 *
 * <p>Every handed-out task has a lease. A worker's outcomes carry its next credits (so a batch costs
 * two messages, not three), and a busy worker sends heartbeats. The coordinator takes tasks back and
 * hands them to others when:
 *
 * <ul>
 *   <li>their worker has been silent for {@link JobOptions#workerSilenceTimeout()} (dead, frozen or
 *       cut off), without waiting for the cluster to down its node;
 *   <li>their worker's actor stopped ({@link WorkerGone});
 *   <li>the lease itself ran out ({@link JobOptions#leaseDuration()}), a backstop for a task that
 *       never answers.
 * </ul>
 *
 * <p>A failed attempt is retried until {@link JobOptions#maxAttempts()}, then recorded with its
 * cause; it never stops the job. The first result for a task wins: a result for a task already
 * completed (from a worker presumed dead that was only slow) is dropped and counted, never applied
 * twice. When every task has a result or a failure, the report goes to {@code replyTo} and the
 * coordinator stops.
 *
 * <p>A job nobody can run ends instead of waiting forever: every unfinished task fails with a cause
 * that says why, when the workers told of it all {@link Decline} it (they lack the task type), or
 * when for {@link JobOptions#noCapableNodeTimeout()} no worker is active and no cluster member has
 * its {@link JobOptions#requiredRole()}.
 *
 * <p>A job may also be <em>open</em>: it starts with no tasks, takes more with {@link AddTasks},
 * and ends once it was told {@link NoMoreTasks} and every task has ended. A pipeline stage is such
 * a job. The coordinator keeps inputs only for tasks that have not ended, so an open job that runs
 * for days holds no more than its unfinished tasks.
 *
 * <p>Threading: an actor; all state is touched only by its own message handling.
 *
 * <pre>{@code
 * // What WorkPulling.submit does for you:
 * ActorRef<JobCoordinator.Command> job = context.spawn(
 *     JobCoordinator.create(jobId, "square", encodedInputs, JobOptions.defaults(), reportTo), "job");
 * worker.tell(new WorkerMessage.WorkOn(jobId, "square", job, JobOptions.defaults()));
 * }</pre>
 */
public final class JobCoordinator extends AbstractBehavior<JobCoordinator.Command> {

  /** Messages the coordinator handles. */
  public sealed interface Command extends CborSerializable {}

  /**
   * Messages of another coordinator that speaks this protocol to workers (the durable one in the
   * persistence layer); this coordinator ignores them.
   */
  public non-sealed interface Extension extends Command {}

  /** A worker has asked for {@code requestedUpTo} tasks of this job in total, so far. */
  public record RequestWork(ActorRef<WorkerMessage> worker, long requestedUpTo) implements Command {}

  /**
   * Outcomes of finished attempts, with the worker's total request (its next request rides along)
   * and the tasks of this job it runs now.
   */
  public record Outcomes(
      ActorRef<WorkerMessage> worker, List<TaskOutcome> outcomes, long requestedUpTo, List<Integer> running)
      implements Command {
    public Outcomes {
      outcomes = List.copyOf(outcomes);
      running = running == null ? List.of() : List.copyOf(running);
    }

    /** Outcomes from a worker that runs nothing of this job now. */
    public Outcomes(ActorRef<WorkerMessage> worker, List<TaskOutcome> outcomes, long requestedUpTo) {
      this(worker, outcomes, requestedUpTo, List.of());
    }
  }

  /**
   * A worker that holds tasks or unused credits of this job is alive, and runs these of its tasks
   * now (so that if it dies, the coordinator knows which tasks it died running). Workers send one at
   * least three times per {@link JobOptions#workerSilenceTimeout()}.
   */
  public record Heartbeat(ActorRef<WorkerMessage> worker, long requestedUpTo, List<Integer> running)
      implements Command {
    public Heartbeat {
      running = running == null ? List.of() : List.copyOf(running);
    }

    /** A heartbeat from a worker that runs nothing of this job now. */
    public Heartbeat(ActorRef<WorkerMessage> worker, long requestedUpTo) {
      this(worker, requestedUpTo, List.of());
    }
  }

  /**
   * The worker's node is leaving (SIGTERM, {@code cluster leave}): it asks for nothing more, hands
   * back the tasks it had not started ({@code returned}: they go back to the queue at once, charged
   * nothing), and finishes those it runs. Sent again, with the tasks it could not finish, if its
   * drain timeout runs out.
   */
  public record WorkerLeaving(ActorRef<WorkerMessage> worker, List<Integer> returned, String why) implements Command {
    public WorkerLeaving {
      Objects.requireNonNull(worker, "worker");
      returned = List.copyOf(returned);
      Objects.requireNonNull(why, "why");
    }
  }

  /** A worker is gone for sure (its actor stopped, or its node left): take its tasks back now. */
  public record WorkerGone(ActorRef<WorkerMessage> worker) implements Command {}

  /**
   * A worker cannot run this job's task type. If no worker that can has asked for work within two
   * silence timeouts of the first decline, every unfinished task fails with this reason: a job
   * nobody can run ends with a clear error instead of waiting forever.
   */
  public record Decline(ActorRef<WorkerMessage> worker, String reason) implements Command {}

  /** More tasks for an open job; they get the next task ids, in order. */
  public record AddTasks(List<byte[]> inputs) implements Command {
    public AddTasks {
      inputs = List.copyOf(inputs);
    }
  }

  /** An open job gets no more tasks: it ends once every task it has has ended. */
  public record NoMoreTasks() implements Command {}

  /**
   * A task has ended, sent to the result listener as soon as it is known (once per task), for jobs
   * that act on results as they arrive instead of keeping them all.
   */
  public sealed interface TaskEnded extends CborSerializable {
    String jobId();

    int taskId();
  }

  /** A task's result was accepted. */
  public record ResultReady(String jobId, int taskId, byte[] output) implements TaskEnded {}

  /** A task used up its attempts, or cannot run anywhere. */
  public record TaskFailed(String jobId, int taskId, JobReport.TaskFailure failure) implements TaskEnded {}

  /** Asks for a progress snapshot. */
  public record GetProgress(ActorRef<JobProgress> replyTo) implements Command {}

  /** Cancels the job: no more tasks are handed out; the report says what was done. */
  public record Cancel(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  private enum CheckLeases implements Command {
    INSTANCE
  }

  private final String jobId;
  private final String taskType;
  private final JobOptions options;
  private final ActorRef<JobReport> replyTo;

  /** Results kept for the report, by task id; null when they stream to {@code resultListener} instead. */
  private final List<byte[]> results;
  private final ActorRef<TaskEnded> resultListener;
  /** Inputs of the tasks that have not ended; a task id below {@code total} that is not here has ended. */
  private final Map<Integer, byte[]> unfinished = new HashMap<>();
  private final TaskDispatcher dispatcher;
  private int total;
  /** No more tasks will be added: the job ends when every task has ended. */
  private boolean sealed;
  private final Map<Integer, JobReport.TaskFailure> failures = new HashMap<>();
  private int done;
  private long lastProgressLogNanos = System.nanoTime();

  /**
   * @param inputs the serialized input of every task; task {@code i} is {@code inputs.get(i)}
   * @param replyTo receives the {@link JobReport} once, when the job ends
   */
  public static Behavior<Command> create(
      String jobId, String taskType, List<byte[]> inputs, JobOptions options, ActorRef<JobReport> replyTo) {
    return create(jobId, taskType, inputs, options, replyTo, Optional.empty());
  }

  /**
   * @param resultListener if present, is told of each task as it ends, and the report carries no
   *     results (the coordinator keeps only which tasks are done)
   */
  public static Behavior<Command> create(
      String jobId,
      String taskType,
      List<byte[]> inputs,
      JobOptions options,
      ActorRef<JobReport> replyTo,
      Optional<ActorRef<TaskEnded>> resultListener) {
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(resultListener, "resultListener");
    return create(jobId, taskType, inputs, true, options, replyTo, resultListener.orElse(null));
  }

  /**
   * An open job: it starts empty, takes tasks with {@link AddTasks}, tells {@code resultListener}
   * of each task as it ends, and ends after {@link NoMoreTasks} once every task has ended.
   */
  public static Behavior<Command> createOpen(
      String jobId, String taskType, JobOptions options, ActorRef<JobReport> replyTo, ActorRef<TaskEnded> resultListener) {
    Objects.requireNonNull(resultListener, "resultListener");
    return create(jobId, taskType, List.of(), false, options, replyTo, resultListener);
  }

  private static Behavior<Command> create(
      String jobId,
      String taskType,
      List<byte[]> inputs,
      boolean sealed,
      JobOptions options,
      ActorRef<JobReport> replyTo,
      ActorRef<TaskEnded> resultListener) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(taskType, "taskType");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(replyTo, "replyTo");
    return Behaviors.setup(context -> Behaviors.withTimers(timers -> new JobCoordinator(
        context, timers, jobId, taskType, inputs, sealed, options, replyTo, resultListener)));
  }

  private JobCoordinator(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      String jobId,
      String taskType,
      List<byte[]> inputs,
      boolean sealed,
      JobOptions options,
      ActorRef<JobReport> replyTo,
      ActorRef<TaskEnded> resultListener) {
    super(context);
    context.setLoggerName(JobCoordinator.class);
    this.jobId = jobId;
    this.taskType = taskType;
    this.options = options;
    this.replyTo = replyTo;
    this.resultListener = resultListener;
    this.results = resultListener == null ? new ArrayList<>(inputs.size()) : null;
    this.dispatcher = new TaskDispatcher(jobId, options, context.getLog(), new TaskDispatcher.JobTasks() {
      @Override
      public byte[] openInput(int task) {
        return unfinished.get(task);
      }

      @Override
      public void attemptLost(int task, TaskLoss loss) {
        if (loss.forGood()) {
          fail(task, loss.attempts(), loss.cause());
        }
      }
    }, worker -> context.watchWith(worker, new WorkerGone(worker)),
        worker -> JobAnnouncement.nodeIsUp(context.getSystem(), worker));
    add(inputs);
    this.sealed = sealed;
    timers.startTimerWithFixedDelay(CheckLeases.INSTANCE, checkInterval(options));
  }

  /**
   * Check often enough to notice a silent worker within an eighth of the silence timeout: with the
   * default 1.5 s, a dead worker's tasks move within 1.7 s of its last message.
   */
  public static Duration checkInterval(JobOptions options) {
    Duration eighth = options.workerSilenceTimeout().dividedBy(8);
    return eighth.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : eighth;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(RequestWork.class, this::onRequestWork)
        .onMessage(Outcomes.class, this::onOutcomes)
        .onMessage(Heartbeat.class, this::onHeartbeat)
        .onMessage(WorkerGone.class, this::onWorkerGone)
        .onMessage(WorkerLeaving.class, this::onWorkerLeaving)
        .onMessage(Decline.class, this::onDecline)
        .onMessageEquals(CheckLeases.INSTANCE, this::onCheckLeases)
        .onMessage(GetProgress.class, this::onGetProgress)
        .onMessage(Cancel.class, this::onCancel)
        .onMessage(AddTasks.class, this::onAddTasks)
        .onMessage(NoMoreTasks.class, this::onNoMoreTasks)
        .build();
  }

  private Behavior<Command> onAddTasks(AddTasks message) {
    if (sealed) {
      getContext().getLog().warn("job {}: {} tasks added after NoMoreTasks; ignored", jobId, message.inputs().size());
      return this;
    }
    add(message.inputs());
    dispatcher.dispatch();
    return this;
  }

  private Behavior<Command> onNoMoreTasks(NoMoreTasks message) {
    sealed = true;
    return isFinished() ? finish(false) : this;
  }

  private void add(List<byte[]> inputs) {
    for (byte[] input : inputs) {
      Objects.requireNonNull(input, "input");
      unfinished.put(total, input);
      dispatcher.add(total);
      if (results != null) {
        results.add(null);
      }
      total++;
    }
  }

  private Behavior<Command> onRequestWork(RequestWork request) {
    dispatcher.heard(request.worker(), request.requestedUpTo());
    dispatcher.dispatch();
    return this;
  }

  private Behavior<Command> onOutcomes(Outcomes message) {
    // A worker seen gone is not revived by a late message, but a valid result it sent is a result.
    if (dispatcher.heard(message.worker(), message.requestedUpTo())) {
      dispatcher.running(message.worker(), message.running());
    }
    for (TaskOutcome outcome : message.outcomes()) {
      int task = outcome.taskId();
      if (task < 0 || task >= total) {
        getContext().getLog().warn("job {}: {} reported unknown task {}; ignored", jobId, message.worker(), task);
      } else if (dispatcher.accept(message.worker(), outcome) == TaskDispatcher.Verdict.RESULT) {
        complete(task, ((TaskOutcome.Succeeded) outcome).output());
      }
    }
    if (isFinished()) {
      return finish(false);
    }
    dispatcher.dispatch();
    return this;
  }

  private Behavior<Command> onHeartbeat(Heartbeat heartbeat) {
    if (dispatcher.heard(heartbeat.worker(), heartbeat.requestedUpTo())) {
      dispatcher.running(heartbeat.worker(), heartbeat.running());
      dispatcher.dispatch();
    }
    return this;
  }

  private Behavior<Command> onWorkerLeaving(WorkerLeaving leaving) {
    dispatcher.workerLeaving(leaving.worker(), leaving.returned(), leaving.why());
    dispatcher.dispatch();
    return this;
  }

  private Behavior<Command> onWorkerGone(WorkerGone gone) {
    getContext().unwatch(gone.worker());
    dispatcher.workerGone(gone.worker());
    dispatcher.dispatch();
    return isFinished() ? finish(false) : this;
  }

  private Behavior<Command> onDecline(Decline decline) {
    dispatcher.declined(decline.worker(), decline.reason());
    return this;
  }

  private Behavior<Command> onCheckLeases() {
    long now = System.nanoTime();
    // Only while tasks are open: an idle session or pipeline stage has nothing to report.
    if (!unfinished.isEmpty() && now - lastProgressLogNanos >= options.progressLogInterval().toNanos()) {
      lastProgressLogNanos = now;
      getContext().getLog().info("job {}: {} of {} done, {} running, {} failed, {} retried, {} leases lost, {} worker deaths,"
          + " {} workers", jobId, done, total, dispatcher.running(), failures.size(), dispatcher.retried(),
          dispatcher.lostLeases(), dispatcher.workerDeaths(), dispatcher.activeWorkers());
    }
    String cause = null;
    if (dispatcher.nobodyCanRun(now)) {
      cause = nobodyCanRunCause(options, taskType, dispatcher.declineReason());
    } else if (dispatcher.noCapableNode(
        now, JobAnnouncement.clusterHasRole(getContext().getSystem(), options.requiredRole()))) {
      cause = noCapableNodeCause(options, taskType);
    }
    if (cause != null) {
      if (!unfinished.isEmpty()) {
        getContext().getLog().warn("job {}: {}", jobId, cause);
      }
      dispatcher.clear();
      for (Integer task : List.copyOf(unfinished.keySet())) {
        fail(task, 0, cause);
      }
      return isFinished() ? finish(false) : this;
    }
    dispatcher.check(now);
    dispatcher.dispatch();
    return isFinished() ? finish(false) : this;
  }

  /** The failure of every task of a job that no worker can run. */
  public static String nobodyCanRunCause(JobOptions options, String taskType, String declineReason) {
    return "no worker with role '" + options.requiredRole() + "' can run task type '" + taskType + "': " + declineReason;
  }

  /** The failure of every task of a job whose required role no node in the cluster has. */
  public static String noCapableNodeCause(JobOptions options, String taskType) {
    return "no node in the cluster has role '" + options.requiredRole() + "' (needed by task type '" + taskType
        + "'); waited " + TaskDispatcher.describe(options.noCapableNodeTimeout());
  }

  private Behavior<Command> onGetProgress(GetProgress get) {
    get.replyTo().tell(progress());
    return this;
  }

  private Behavior<Command> onCancel(Cancel cancel) {
    getContext().getLog().info("job {} cancelled: {}", jobId, progress());
    cancel.replyTo().tell(StatusReply.ack());
    return finish(true);
  }

  private void complete(int task, byte[] output) {
    unfinished.remove(task);
    dispatcher.ended(task);
    if (resultListener != null) {
      resultListener.tell(new ResultReady(jobId, task, output));
    } else {
      results.set(task, output);
    }
    done++;
  }

  /** Records a task as failed for good. */
  private void fail(int task, int attempts, String cause) {
    unfinished.remove(task);
    dispatcher.ended(task);
    JobReport.TaskFailure failure = new JobReport.TaskFailure(attempts, cause);
    failures.put(task, failure);
    if (resultListener != null) {
      resultListener.tell(new TaskFailed(jobId, task, failure));
    }
    if (attempts > 0) {
      getContext().getLog().warn("job {}: task {} failed after {} attempts: {}", jobId, task, attempts, firstLine(cause));
    }
  }

  private boolean isFinished() {
    return sealed && unfinished.isEmpty();
  }

  private JobProgress progress() {
    return new JobProgress(total, done, dispatcher.running(), failures.size(), dispatcher.retried(),
        dispatcher.duplicatesDropped(), dispatcher.lostLeases(), dispatcher.workerDeaths());
  }

  private Behavior<Command> finish(boolean cancelled) {
    JobProgress progress = progress();
    getContext().getLog().info("job {} {}: {}", jobId, cancelled ? "cancelled" : "finished", progress);
    for (ActorRef<WorkerMessage> worker : dispatcher.knownWorkers()) {
      worker.tell(new WorkerMessage.JobClosed(jobId));
    }
    List<byte[]> kept = results == null ? List.of() : new ArrayList<>(results);
    replyTo.tell(new JobReport(jobId, kept, failures, progress, cancelled));
    return Behaviors.stopped();
  }

  /** The first line of a cause (a stack trace as text), for a log line. */
  public static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
