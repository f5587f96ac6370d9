package dev.tessera.work.engine;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.serialization.CborSerializable;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.WorkerMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
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
 *   <li>their worker's actor stopped;
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
 * that says why, when the workers told of it all decline it (they lack the task type), or
 * when for {@link JobOptions#noCapableNodeTimeout()} no worker is active and no cluster member has
 * its {@link JobOptions#requiredRole()}.
 *
 * <p>A job may also be <em>open</em>: it starts with no tasks, takes more with {@link AddTasks},
 * and ends once it was told {@link NoMoreTasks} and every task has ended. A pipeline stage is such
 * a job. The coordinator keeps inputs only for tasks that have not ended, so an open job that runs
 * for days holds no more than its unfinished tasks.
 *
 * <p>What every coordinator does alike (announcing the job, the work-pulling protocol, the tick's
 * decisions, closing the job) is in its {@link CoordinatorCore}; this actor keeps the job's facts in
 * memory: inputs of open tasks, results, failures.
 *
 * <p>Threading: an actor; all state is touched only by its own message handling.
 *
 * <pre>{@code
 * // What WorkPulling.submit does for you; the coordinator announces the job to the workers itself.
 * ActorRef<JobCoordinator.Command> job = context.spawn(
 *     JobCoordinator.create(jobId, "square", encodedInputs, JobOptions.defaults(), reportTo), "job");
 * }</pre>
 */
public final class JobCoordinator extends AbstractBehavior<JobCoordinator.Command> {

  /** Messages the coordinator handles: its owner's requests, and the workers' protocol messages. */
  public sealed interface Command extends CborSerializable
      permits FromWorker, AddTasks, NoMoreTasks, GetProgress, Cancel, WorkerGone, WorkersChanged, ResultFetched, Tick {}

  /**
   * A worker's message ({@link CoordinatorMessage}); workers send them to {@link
   * ProtocolInbox#of}, and they arrive wrapped in this.
   */
  public record FromWorker(CoordinatorMessage message) implements Command, NoSerializationVerificationNeeded {}

  /** More tasks for an open job; they get the next task ids, in order. */
  public record AddTasks(List<byte[]> inputs) implements Command {
    public AddTasks {
      inputs = List.copyOf(inputs);
    }
  }

  /** An open job gets no more tasks: it ends once every task it has has ended. */
  public record NoMoreTasks() implements Command {}

  /** Asks for a progress snapshot. */
  public record GetProgress(ActorRef<JobProgress> replyTo) implements Command {}

  /** Cancels the job: no more tasks are handed out; the report says what was done. */
  public record Cancel(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** A worker is gone for sure (its actor stopped, or its node left): take its tasks back now. */
  record WorkerGone(ActorRef<WorkerMessage> worker) implements Command {}

  private record WorkersChanged(Receptionist.Listing listing) implements Command {}

  private record ResultFetched(CoordinatorCore.ResultFetched fetched)
      implements Command, NoSerializationVerificationNeeded {}

  private enum Tick implements Command {
    INSTANCE
  }

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

  private final String jobId;
  private final ActorRef<JobReport> replyTo;

  /** Results kept for the report, by task id; null when they stream to {@code resultListener} instead. */
  private final List<byte[]> results;
  private final ActorRef<TaskEnded> resultListener;
  /** Inputs of the tasks that have not ended; a task id below {@code total} that is not here has ended. */
  private final Map<Integer, byte[]> unfinished = new HashMap<>();
  private final CoordinatorCore<Command> core;
  private int total;
  /** No more tasks will be added: the job ends when every task has ended. */
  private boolean sealed;
  private final Map<Integer, JobReport.TaskFailure> failures = new HashMap<>();
  private int done;

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
    return ProtocolInbox.accepting(CoordinatorMessage.class, FromWorker::new,
        Behaviors.setup(context -> Behaviors.withTimers(timers -> new JobCoordinator(
            context, timers, jobId, taskType, inputs, sealed, options, replyTo, resultListener))));
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
    this.replyTo = replyTo;
    this.resultListener = resultListener;
    this.results = resultListener == null ? new ArrayList<>(inputs.size()) : null;
    this.core = new CoordinatorCore<>(context, jobId, taskType, options, new TaskDispatcher.JobTasks() {
      @Override
      public byte[] openInput(int task) {
        return unfinished.get(task);
      }

      @Override
      public String preferredNode(int task) {
        return InputRefs.preferredNode(unfinished.get(task));
      }

      @Override
      public void attemptLost(int task, TaskLoss loss) {
        if (loss.forGood()) {
          fail(task, loss.attempts(), loss.cause());
        }
      }
    }, WorkerGone::new, WorkersChanged::new, ResultFetched::new);
    add(inputs);
    this.sealed = sealed;
    timers.startTimerWithFixedDelay(Tick.INSTANCE, CoordinatorCore.tickInterval(options));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromWorker.class, this::onFromWorker)
        .onMessage(WorkerGone.class, this::onWorkerGone)
        .onMessage(WorkersChanged.class, changed -> {
          core.workersChanged(changed.listing());
          return this;
        })
        .onMessage(ResultFetched.class, this::onResultFetched)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
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
    core.dispatcher().dispatch();
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
      core.dispatcher().add(total);
      if (results != null) {
        results.add(null);
      }
      total++;
    }
  }

  private Behavior<Command> onFromWorker(FromWorker message) {
    core.fromWorker(message.message(), total, this::complete);
    return isFinished() ? finish(false) : this;
  }

  private Behavior<Command> onResultFetched(ResultFetched fetched) {
    core.resultFetched(fetched.fetched(), this::complete);
    return isFinished() ? finish(false) : this;
  }

  private Behavior<Command> onWorkerGone(WorkerGone gone) {
    core.workerGone(gone.worker());
    return isFinished() ? finish(false) : this;
  }

  private Behavior<Command> onTick() {
    core.tick(progress(), !unfinished.isEmpty()).ifPresent(cause -> {
      for (Integer task : List.copyOf(unfinished.keySet())) {
        fail(task, 0, cause);
      }
    });
    return isFinished() ? finish(false) : this;
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
    core.dispatcher().ended(task);
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
    core.dispatcher().ended(task);
    JobReport.TaskFailure failure = new JobReport.TaskFailure(attempts, cause);
    failures.put(task, failure);
    if (resultListener != null) {
      resultListener.tell(new TaskFailed(jobId, task, failure));
    }
    if (attempts > 0) {
      core.logFailed(task, attempts, cause);
    }
  }

  private boolean isFinished() {
    return sealed && unfinished.isEmpty();
  }

  private JobProgress progress() {
    return core.progress(total, done, failures.size());
  }

  private Behavior<Command> finish(boolean cancelled) {
    JobProgress progress = progress();
    getContext().getLog().info("job {} {}: {}", jobId, cancelled ? "cancelled" : "finished", progress);
    core.close(progress);
    List<byte[]> kept = results == null ? List.of() : new ArrayList<>(results);
    replyTo.tell(new JobReport(jobId, kept, failures, progress, cancelled));
    return Behaviors.stopped();
  }
}
