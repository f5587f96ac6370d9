package dev.tessera.work.worker;

import dev.tessera.runtime.data.DataStore;
import org.apache.pekko.actor.typed.ActorSystem;
import dev.tessera.runtime.cluster.ClusterRoles;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.work.engine.InputRefs;
import dev.tessera.runtime.logging.Durations;
import dev.tessera.runtime.serialization.CborSerializable;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import dev.tessera.work.worker.isolation.IsolationSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Runs tasks for job coordinators on this node: asks for work (credits), runs each task's
 * registered handler on {@code capacity} threads, and reports outcomes together with its next
 * request.
 *
 * <p>A handler that throws, hangs past the job's task timeout, or returns something that cannot be
 * serialized (or is larger than {@code maxResultBytes}) produces a failed outcome; the worker
 * itself never fails because of a task. An unreadable input is reported as a failure that retrying
 * cannot fix; a job whose task type has no handler here is declined, so its tasks never come here.
 *
 * <p>It asks for as many tasks per job as keep its threads busy for a few milliseconds ahead (see
 * {@link WorkerJob#window}), so a task is ready as soon as a thread frees up, and it heartbeats every
 * coordinator it holds tasks or credits of, three times per silence timeout.
 *
 * <p>It speaks the work-pulling protocol ({@link WorkerMessage} in, {@link CoordinatorMessage}
 * out); a {@link TaskRunner} runs the tasks. A watchdog on the actor interrupts a task past its
 * timeout and reports it as failed at once; if the handler ignores the interrupt, its thread stays
 * busy and its late outcome is dropped.
 *
 * <p>Threading: an actor; the runner's threads tell it when outcomes wait, once per burst of them,
 * and it alone touches the rest of the state.
 *
 * <pre>{@code
 * // TaskWorkerPlugin does this on every worker node; a test or an embedding service may too:
 * TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> (long) x * x).build();
 * system.systemActorOf(TaskWorker.create(registry, 4, 1 << 20), "task-worker", Props.empty());
 * // It registers under WorkerMessage.SERVICE_KEY; coordinators find it there.
 * }</pre>
 */
public final class TaskWorker extends AbstractBehavior<TaskWorker.Command> {

  /** What the worker handles: the coordinators' messages, its node's drain request, and its own. */
  public sealed interface Command extends CborSerializable
      permits FromCoordinator, Drain, OutcomesReady, CheckTimeouts, SendHeartbeats, DrainDeadline, SelfMemberChanged,
          CoordinatorGone {}

  /** A coordinator's message, sent to {@link ProtocolInbox#of} this worker; it arrives wrapped in this (locally). */
  public record FromCoordinator(WorkerMessage message) implements Command, NoSerializationVerificationNeeded {}

  /**
   * This node is leaving (CoordinatedShutdown, on SIGTERM or {@code cluster leave}): ask for nothing
   * more, hand back every task not started, finish those running within {@code timeout}, deliver
   * their outcomes, then reply. Sent by {@link TaskWorkerPlugin}'s shutdown task; local only.
   */
  public record Drain(String why, Duration timeout, ActorRef<Done> replyTo) implements Command {
    public Drain {
      Objects.requireNonNull(why, "why");
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Outcomes wait in the runner: collect them. */
  private enum OutcomesReady implements Command {
    INSTANCE
  }

  private enum CheckTimeouts implements Command {
    INSTANCE
  }

  private enum SendHeartbeats implements Command {
    INSTANCE
  }

  /** The drain timeout ran out: tasks still running are handed back, and the node may leave. */
  private enum DrainDeadline implements Command {
    INSTANCE
  }

  /** A change of some member's status; the worker acts on its own node's. */
  private record SelfMemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  /** The coordinator of a job stopped (or its node was removed); a newer coordinator may have taken over. */
  private record CoordinatorGone(String jobId, ActorRef<CoordinatorMessage> coordinator) implements Command {}

  private static final Duration MAX_HEARTBEAT_INTERVAL = Duration.ofMillis(500);
  private static final Duration TIMEOUT_CHECK_INTERVAL = Duration.ofMillis(50);

  private final TaskRegistry registry;
  private static final String PREFETCH_INPUTS = "tessera.work-pulling.worker.prefetch-inputs";
  /** Whether the objects a batch's inputs refer to are fetched as the batch arrives (see {@link #prefetch}). */
  private final boolean prefetchInputs;
  private final TaskRunner<WorkerJob> runner;
  private final int capacity;
  private final WorkerMeters meters;
  /** This worker, as coordinators address it. */
  private final ActorRef<WorkerMessage> self;
  private final Map<String, WorkerJob> jobs = new HashMap<>();
  private final TimerScheduler<Command> timers;
  private Duration heartbeatInterval = MAX_HEARTBEAT_INTERVAL;
  /** Set once the node is leaving: the reason, told to coordinators; null while not draining. */
  private String drainingWhy;
  private final List<ActorRef<Done>> drainWaiters = new ArrayList<>();

  /** A worker with a pool of {@code capacity} daemon threads of its own. */
  public static Behavior<Command> create(TaskRegistry registry, int capacity, int maxResultBytes) {
    return create(registry, capacity, maxResultBytes, TaskRunner.threadPool(capacity));
  }

  /**
   * @param capacity tasks run at the same time (threads in the task pool)
   * @param maxResultBytes a result larger than this, serialized, is a failure (it would not fit a message)
   * @param pool runs the handlers; the worker shuts it down when it stops
   */
  public static Behavior<Command> create(TaskRegistry registry, int capacity, int maxResultBytes, ExecutorService pool) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(pool, "pool");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    return ProtocolInbox.accepting(WorkerMessage.class, FromCoordinator::new, Behaviors.setup(
        context -> Behaviors.withTimers(
            timers -> new TaskWorker(context, timers, registry, capacity, maxResultBytes, pool))));
  }

  private TaskWorker(
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      TaskRegistry registry,
      int capacity,
      int maxResultBytes,
      ExecutorService pool) {
    super(context);
    context.setLoggerName(TaskWorker.class);
    this.registry = registry;
    this.capacity = capacity;
    this.timers = timers;
    var config = context.getSystem().settings().config();
    this.prefetchInputs = !config.hasPath(PREFETCH_INPUTS) || config.getBoolean(PREFETCH_INPUTS);
    this.self = ProtocolInbox.of(WorkerMessage.class, context.getSelf());
    ActorRef<Command> inbox = context.getSelf();
    ActorSystem<?> system = context.getSystem();
    this.runner = new TaskRunner<>(capacity, pool, maxResultBytes,
        IsolationSettings.create(system.settings().config()), () -> DataStore.get(system), system.address().toString(),
        () -> inbox.tell(OutcomesReady.INSTANCE)); // a task thread: not getContext()
    this.meters = new WorkerMeters(system, capacity, runner::busy);
    timers.startTimerWithFixedDelay(SendHeartbeats.INSTANCE, heartbeatInterval);
    timers.startTimerWithFixedDelay(CheckTimeouts.INSTANCE, TIMEOUT_CHECK_INTERVAL);
    context.getSystem().receptionist().tell(Receptionist.register(WorkerMessage.SERVICE_KEY, self));
    if (ClusterRoles.isClusterNode(context.getSystem())) {
      Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
          context.messageAdapter(ClusterEvent.MemberEvent.class, SelfMemberChanged::new), ClusterEvent.MemberEvent.class));
    }
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromCoordinator.class, this::onFromCoordinator)
        .onMessage(CoordinatorGone.class, this::onCoordinatorGone)
        .onMessage(Drain.class, this::onDrain)
        .onMessageEquals(DrainDeadline.INSTANCE, this::onDrainDeadline)
        .onMessage(SelfMemberChanged.class, this::onSelfMemberChanged)
        .onMessageEquals(OutcomesReady.INSTANCE, this::onOutcomesReady)
        .onMessageEquals(CheckTimeouts.INSTANCE, this::onCheckTimeouts)
        .onMessageEquals(SendHeartbeats.INSTANCE, this::onSendHeartbeats)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  private Behavior<Command> onFromCoordinator(FromCoordinator message) {
    WorkerMessage m = message.message();
    if (m instanceof WorkerMessage.WorkOn workOn) {
      onWorkOn(workOn);
    } else if (m instanceof WorkerMessage.WorkBatch batch) {
      onWorkBatch(batch);
    } else if (m instanceof WorkerMessage.JobClosed closed) {
      WorkerJob job = jobs.get(closed.jobId());
      if (job != null) {
        close(job);
      }
    }
    return this;
  }

  private void onWorkOn(WorkerMessage.WorkOn workOn) {
    if (drainingWhy != null) {
      workOn.coordinator().tell(new CoordinatorMessage.WorkerLeaving(self, List.of(), drainingWhy));
      return;
    }
    if (!ClusterRoles.thisNodeHasRole(getContext().getSystem(), workOn.options().requiredRole())) {
      return; // told by a coordinator that did not know this node yet: the job is not for us
    }
    var registration = registry.lookup(workOn.taskType());
    if (registration.isEmpty()) {
      workOn.coordinator().tell(new CoordinatorMessage.Decline(self,
          "unknown task type '" + workOn.taskType() + "': no handler is registered for it on " + getContext().getSystem().address()));
      return;
    }
    WorkerJob job = jobs.get(workOn.jobId());
    if (job != null && !job.coordinator.equals(workOn.coordinator())) {
      // A durable job's coordinator restarted (on another node): work for the new one, from zero
      // credits; tasks of the old one still queued here are dropped, the new one hands them out again.
      getContext().getLog().info("job {}: coordinator moved from {} to {}", job.jobId,
          job.coordinator.path(), workOn.coordinator().path());
      close(job);
      job = null;
    }
    if (job == null) {
      // A coordinator that is gone for good (its node removed) closes its job here too.
      getContext().watchWith(workOn.coordinator(), new CoordinatorGone(workOn.jobId(), workOn.coordinator()));
      job = new WorkerJob(workOn.jobId(), workOn.coordinator(), workOn.options(), registration.get());
      jobs.put(job.jobId, job);
    }
    // Heartbeat three times per silence timeout of the most demanding job.
    Duration wanted = workOn.options().workerSilenceTimeout().dividedBy(3);
    if (wanted.compareTo(heartbeatInterval) < 0) {
      heartbeatInterval = wanted;
      timers.startTimerWithFixedDelay(SendHeartbeats.INSTANCE, heartbeatInterval);
    }
    if (job.requestedUpTo == 0) {
      job.requestedUpTo = job.window(capacity);
      job.coordinator.tell(new CoordinatorMessage.RequestWork(self, job.requestedUpTo));
    }
  }

  private void onWorkBatch(WorkerMessage.WorkBatch batch) {
    WorkerJob job = jobs.get(batch.jobId());
    if (job == null) {
      return; // the job was closed meanwhile; the coordinator takes these back if it still runs
    }
    if (drainingWhy != null) {
      // Crossed the leaving notice on the way: hand them straight back.
      job.coordinator.tell(new CoordinatorMessage.WorkerLeaving(self,
          batch.tasks().stream().map(WorkerMessage.TaskAssignment::taskId).toList(), drainingWhy));
      return;
    }
    prefetch(job, batch.tasks());
    runner.submit(job, batch.tasks());
  }

  /**
   * Starts fetching, into this node's store, the objects the tasks' inputs refer to, so that a task
   * queued behind running ones finds its data here when its turn comes (the transfer overlaps the
   * running tasks' work instead of following it), as Ray's and Dask's workers fetch a queued task's
   * arguments. Only for tasks that run on this node's threads (an isolated task's child JVM has no
   * object store), and only when the node's store is running already.
   */
  private void prefetch(WorkerJob job, List<WorkerMessage.TaskAssignment> tasks) {
    ActorSystem<?> system = getContext().getSystem();
    if (!prefetchInputs || job.registration().isIsolated() || !system.hasExtension(DataStore.ID)) {
      return;
    }
    DataStore store = DataStore.get(system);
    for (WorkerMessage.TaskAssignment task : tasks) {
      for (var ref : InputRefs.refsIn(task.input())) {
        store.prefetch(ref, job.jobId);
      }
    }
  }

  private Behavior<Command> onCoordinatorGone(CoordinatorGone gone) {
    WorkerJob job = jobs.get(gone.jobId());
    if (job != null && job.coordinator.equals(gone.coordinator())) {
      close(job);
    }
    return this;
  }

  private void close(WorkerJob job) {
    jobs.remove(job.jobId);
    job.closed = true;
    getContext().unwatch(job.coordinator);
    // The objects its tasks put or fetched here go with it (those its results named were kept).
    if (getContext().getSystem().hasExtension(DataStore.ID)) {
      DataStore.get(getContext().getSystem()).releaseJob(job.jobId);
    }
  }

  private Behavior<Command> onOutcomesReady() {
    runner.collect(this::record);
    flush();
    replyIfDrained();
    return this;
  }

  private Behavior<Command> onCheckTimeouts() {
    List<TaskRunner.Queued<WorkerJob>> overdue = runner.abandonOverdue(System.nanoTime());
    for (TaskRunner.Queued<WorkerJob> task : overdue) {
      long limit = task.job().options.taskTimeout().toMillis();
      getContext().getLog().warn("job {}: task {} (attempt {}) ran past its timeout of {} ms; interrupted and reported",
          task.job().jobId, task.task().taskId(), task.task().attempt(), limit);
      record(task.job(), new TaskOutcome.Failed(task.task().taskId(), task.task().attempt(),
          "timed out after " + limit + " ms", true), task.job().options.taskTimeout().toNanos());
    }
    if (!overdue.isEmpty()) {
      flush();
    }
    replyIfDrained();
    return this;
  }

  private Behavior<Command> onSendHeartbeats() {
    for (WorkerJob job : jobs.values()) {
      job.coordinator.tell(new CoordinatorMessage.Heartbeat(self, job.requestedUpTo, runner.running(job)));
    }
    return this;
  }

  private Behavior<Command> onStop() {
    meters.close();
    for (WorkerJob job : jobs.values()) {
      job.closed = true;
    }
    runner.close();
    return this;
  }

  private Behavior<Command> onDrain(Drain drain) {
    drainWaiters.add(drain.replyTo());
    if (drainingWhy != null) {
      reportExitingTasks();
      replyIfDrained();
      return this;
    }
    beginDrain(drain.why(), drain.timeout());
    return this;
  }

  /** Its own node is Leaving or Exiting: ask for nothing more, before shutdown even asks to drain. */
  private Behavior<Command> onSelfMemberChanged(SelfMemberChanged changed) {
    MemberStatus status = changed.event().member().status();
    boolean mine = changed.event().member().uniqueAddress()
        .equals(Cluster.get(getContext().getSystem()).selfMember().uniqueAddress());
    if (mine && drainingWhy == null && (status == MemberStatus.leaving() || status == MemberStatus.exiting())) {
      beginDrain("its node is leaving the cluster", getContext().getSystem().settings().config()
          .getDuration("tessera.node.drain-timeout"));
    }
    return this;
  }

  private void beginDrain(String why, Duration timeout) {
    drainingWhy = why;
    // Tasks not started go back now; a task thread that takes one meanwhile runs it (it has started).
    Map<String, List<Integer>> returned = new HashMap<>();
    for (TaskRunner.Queued<WorkerJob> queued : runner.takeQueued()) {
      returned.computeIfAbsent(queued.job().jobId, id -> new ArrayList<>()).add(queued.task().taskId());
    }
    reportExitingTasks();
    int running = 0;
    for (WorkerJob job : jobs.values()) {
      List<Integer> back = returned.getOrDefault(job.jobId, List.of());
      running += runner.running(job).size();
      job.coordinator.tell(new CoordinatorMessage.WorkerLeaving(self, back, drainingWhy));
    }
    getContext().getLog().info("draining ({}): {} tasks not started handed back, {} running get up to {} to finish",
        drainingWhy, returned.values().stream().mapToInt(List::size).sum(), running, Durations.describe(timeout));
    timers.startSingleTimer(DrainDeadline.INSTANCE, timeout);
    replyIfDrained();
  }

  /**
   * A handler that called {@code System.exit} is taking this node down (that is why it drains): its
   * task fails for good, naming the node and the call, so no other node runs it.
   */
  private void reportExitingTasks() {
    List<TaskRunner.Exiting<WorkerJob>> exiting = runner.abandonExiting();
    for (TaskRunner.Exiting<WorkerJob> exit : exiting) {
      TaskRunner.Queued<WorkerJob> task = exit.task();
      getContext().getLog().error("job {}: task {} (attempt {}) called System.exit, which takes node {} down;"
          + " it fails as poison and is not tried again", task.job().jobId, task.task().taskId(), task.task().attempt(),
          getContext().getSystem().address());
      record(task.job(), new TaskOutcome.Failed(task.task().taskId(), task.task().attempt(),
          "poison: the handler called System.exit, which took node " + getContext().getSystem().address()
              + " down; it is not tried again\n" + exit.stackTrace(), false), 0);
    }
    if (!exiting.isEmpty()) {
      flush();
    }
  }

  private Behavior<Command> onDrainDeadline() {
    for (WorkerJob job : jobs.values()) {
      List<Integer> unfinished = runner.running(job);
      if (!unfinished.isEmpty()) {
        getContext().getLog().warn("job {}: drain timeout ran out with {} tasks running; handed back", job.jobId,
            unfinished.size());
        job.coordinator.tell(new CoordinatorMessage.WorkerLeaving(self, unfinished,
            drainingWhy + "; the drain timeout ran out before they finished"));
      }
    }
    drainWaiters.forEach(waiter -> waiter.tell(Done.getInstance()));
    drainWaiters.clear();
    return this;
  }

  /** While draining: once no task runs here (and outcomes are sent), the node may leave. */
  private void replyIfDrained() {
    if (drainingWhy == null || drainWaiters.isEmpty() || !runner.idle()) {
      return; // outcomes still on their way to the actor are followed by OutcomesReady
    }
    getContext().getLog().info("drained: every running task finished and reported");
    timers.cancel(DrainDeadline.INSTANCE);
    drainWaiters.forEach(waiter -> waiter.tell(Done.getInstance()));
    drainWaiters.clear();
  }

  /** Files an outcome for the job's next message and, unless draining, widens its credits. */
  private void record(WorkerJob job, TaskOutcome outcome, long runNanos) {
    meters.taskEnded(job.taskType(), outcome, runNanos);
    job.record(outcome, runNanos, drainingWhy == null, capacity);
  }

  /** Sends each job's filed outcomes, with its credits. */
  private void flush() {
    for (WorkerJob job : jobs.values()) {
      job.sendOutcomes(self, runner.running(job));
    }
  }
}
