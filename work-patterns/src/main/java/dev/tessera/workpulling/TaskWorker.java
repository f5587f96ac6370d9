package dev.tessera.workpulling;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.workpulling.isolation.IsolatedTaskRunner;
import dev.tessera.workpulling.isolation.IsolationSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
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
 * {@link #window}), so a task is ready as soon as a thread frees up, and it heartbeats every
 * coordinator it holds tasks or credits of, three times per silence timeout.
 *
 * <p>Threading: tasks wait in a queue that the task threads take from directly, one after another
 * while there are any, so a stream of short tasks costs no thread hand-off per task. Outcomes go
 * back through a second queue; the actor is woken once per burst of them, and it alone touches the
 * rest of the state. A watchdog on the actor interrupts a task past its timeout and reports it as
 * failed at once; if the handler ignores the interrupt, its thread stays busy and its late outcome
 * is dropped.
 *
 * <pre>{@code
 * // TaskWorkerExtension does this on every worker node; a test or an embedding service may too:
 * TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> (long) x * x).build();
 * system.systemActorOf(TaskWorker.create(registry, 4, 1 << 20), "task-worker", Props.empty());
 * }</pre>
 */
public final class TaskWorker extends AbstractBehavior<WorkerMessage> {

  /** Internal messages, delivered to the worker through its {@link WorkerMessage} inbox. */
  private enum OutcomesReady implements InternalMessage {
    INSTANCE
  }

  private enum CheckTimeouts implements InternalMessage {
    INSTANCE
  }

  private enum SendHeartbeats implements InternalMessage {
    INSTANCE
  }

  /** The drain timeout ran out: tasks still running are handed back, and the node may leave. */
  private enum DrainDeadline implements InternalMessage {
    INSTANCE
  }

  /**
   * This node is leaving (CoordinatedShutdown, on SIGTERM or {@code cluster leave}): ask for nothing
   * more, hand back every task not started, finish those running within {@code timeout}, deliver
   * their outcomes, then reply. Sent by {@link TaskWorkerExtension}'s shutdown task; local only.
   */
  public record Drain(String why, Duration timeout, ActorRef<Done> replyTo) implements WorkerMessage {
    public Drain {
      Objects.requireNonNull(why, "why");
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** A change of some member's status; the worker acts on its own node's. */
  private record SelfMemberChanged(ClusterEvent.MemberEvent event) implements InternalMessage {}

  /** The coordinator of a job stopped (or its node was removed); a newer coordinator may have taken over. */
  private record CoordinatorGone(String jobId, ActorRef<JobCoordinator.Command> coordinator) implements InternalMessage {}

  /** Messages only the worker sends itself. */
  sealed interface InternalMessage extends WorkerMessage
      permits OutcomesReady, CheckTimeouts, SendHeartbeats, CoordinatorGone, DrainDeadline, SelfMemberChanged {}

  /** What the worker knows of one job it works on. */
  private static final class JobState {
    final String jobId;
    final ActorRef<JobCoordinator.Command> coordinator;
    final JobOptions options;
    /** The handler of the job's task type, looked up once when the worker joins the job. */
    final TaskRegistry.Registration<?, ?> registration;
    /** Set when the job is closed: task threads skip its queued tasks. */
    volatile boolean closed;
    long requestedUpTo;
    /** Tasks of this job this worker has finished (however they ended). */
    long finished;
    /** Moving average of how long one task runs here; 0 until the first one ends. */
    double taskNanos;
    final List<TaskOutcome> outbox = new ArrayList<>();

    JobState(
        String jobId,
        ActorRef<JobCoordinator.Command> coordinator,
        JobOptions options,
        TaskRegistry.Registration<?, ?> registration) {
      this.jobId = jobId;
      this.coordinator = coordinator;
      this.options = options;
      this.registration = registration;
    }
  }

  private record Queued(JobState job, WorkerMessage.TaskAssignment task) {}


  /**
   * The node's isolated runner, created by the first task thread that needs it; closed (its child
   * JVM destroyed) when the worker stops. Thread safety: any thread.
   */
  private static final class ChildJvm implements java.util.function.Supplier<IsolatedTaskRunner> {
    private final IsolationSettings settings;
    private IsolatedTaskRunner runner;
    private boolean closed;

    ChildJvm(IsolationSettings settings) {
      this.settings = settings;
    }

    @Override
    public synchronized IsolatedTaskRunner get() {
      if (runner == null) {
        runner = IsolatedTaskRunner.create(settings);
        if (closed) {
          runner.close(); // its run() answers that it is closed
        }
      }
      return runner;
    }

    synchronized void close() {
      closed = true;
      if (runner != null) {
        runner.close();
      }
    }
  }

  /** Every task worker registers under this key, so jobs anywhere in the cluster can find it. */
  public static final ServiceKey<WorkerMessage> SERVICE_KEY = ServiceKey.create(WorkerMessage.class, "tessera-task-workers");

  private static final Duration MAX_HEARTBEAT_INTERVAL = Duration.ofMillis(500);
  private static final Duration TIMEOUT_CHECK_INTERVAL = Duration.ofMillis(50);
  /** Work a worker keeps queued per thread: see {@link #window}. */
  static final Duration QUEUED_WORK_TARGET = Duration.ofMillis(5);

  private final TaskRegistry registry;
  /** The child JVM that isolated task types run in, started at the first such task. */
  private final ChildJvm isolated;
  private final TaskExecution execution;
  private final int capacity;
  private final Map<String, JobState> jobs = new HashMap<>();
  private final TimerScheduler<WorkerMessage> timers;
  private final TaskThreads<Queued, TaskOutcome> threads;
  private Duration heartbeatInterval = MAX_HEARTBEAT_INTERVAL;
  /** Set once the node is leaving: the reason, told to coordinators; null while not draining. */
  private String drainingWhy;
  private final List<ActorRef<Done>> drainWaiters = new ArrayList<>();

  /** A worker with a pool of {@code capacity} daemon threads of its own. */
  public static Behavior<WorkerMessage> create(TaskRegistry registry, int capacity, int maxResultBytes) {
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, capacity), runnable -> {
      Thread thread = new Thread(runnable, "tessera-task-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    return create(registry, capacity, maxResultBytes, pool);
  }

  /**
   * @param capacity tasks run at the same time (threads in the task pool)
   * @param maxResultBytes a result larger than this, serialized, is a failure (it would not fit a message)
   * @param pool runs the handlers; the worker shuts it down when it stops
   */
  public static Behavior<WorkerMessage> create(
      TaskRegistry registry, int capacity, int maxResultBytes, ExecutorService pool) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(pool, "pool");
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
    }
    return Behaviors.setup(
        context -> Behaviors.withTimers(
            timers -> new TaskWorker(context, timers, registry, capacity, maxResultBytes, pool)));
  }

  private TaskWorker(
      ActorContext<WorkerMessage> context,
      TimerScheduler<WorkerMessage> timers,
      TaskRegistry registry,
      int capacity,
      int maxResultBytes,
      ExecutorService pool) {
    super(context);
    context.setLoggerName(TaskWorker.class);
    this.registry = registry;
    this.capacity = capacity;
    this.isolated = new ChildJvm(IsolationSettings.create(context.getSystem().settings().config())
        .withMaxResultBytes(maxResultBytes));
    this.execution = new TaskExecution(maxResultBytes, isolated, context.getSystem().address().toString());
    this.timers = timers;
    ActorRef<WorkerMessage> self = context.getSelf();
    this.threads = new TaskThreads<>(capacity, pool, queued -> queued.job().closed,
        queued -> execution.run(queued.job().registration, queued.task(), queued.job().options.taskTimeout()),
        () -> self.tell(OutcomesReady.INSTANCE)); // a task thread: not getContext()
    timers.startTimerWithFixedDelay(SendHeartbeats.INSTANCE, heartbeatInterval);
    timers.startTimerWithFixedDelay(CheckTimeouts.INSTANCE, TIMEOUT_CHECK_INTERVAL);
    context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
    if (JobAnnouncement.isClusterNode(context.getSystem())) {
      Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
          context.messageAdapter(ClusterEvent.MemberEvent.class, SelfMemberChanged::new), ClusterEvent.MemberEvent.class));
    }
  }

  @Override
  public Receive<WorkerMessage> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkerMessage.WorkOn.class, this::onWorkOn)
        .onMessage(WorkerMessage.WorkBatch.class, this::onWorkBatch)
        .onMessage(WorkerMessage.JobClosed.class, this::onJobClosed)
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

  private Behavior<WorkerMessage> onWorkOn(WorkerMessage.WorkOn workOn) {
    if (drainingWhy != null) {
      workOn.coordinator().tell(new JobCoordinator.WorkerLeaving(getContext().getSelf(), List.of(), drainingWhy));
      return this;
    }
    if (!JobAnnouncement.thisNodeHasRole(getContext().getSystem(), workOn.options().requiredRole())) {
      return this; // told by a coordinator that did not know this node yet: the job is not for us
    }
    var registration = registry.lookup(workOn.taskType());
    if (registration.isEmpty()) {
      workOn.coordinator().tell(new JobCoordinator.Decline(getContext().getSelf(),
          "unknown task type '" + workOn.taskType() + "': no handler is registered for it on " + getContext().getSystem().address()));
      return this;
    }
    JobState job = jobs.get(workOn.jobId());
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
      job = new JobState(workOn.jobId(), workOn.coordinator(), workOn.options(), registration.get());
      jobs.put(job.jobId, job);
    }
    // Heartbeat three times per silence timeout of the most demanding job.
    Duration wanted = workOn.options().workerSilenceTimeout().dividedBy(3);
    if (wanted.compareTo(heartbeatInterval) < 0) {
      heartbeatInterval = wanted;
      timers.startTimerWithFixedDelay(SendHeartbeats.INSTANCE, heartbeatInterval);
    }
    if (job.requestedUpTo == 0) {
      job.requestedUpTo = window(job);
      job.coordinator.tell(new JobCoordinator.RequestWork(getContext().getSelf(), job.requestedUpTo));
    }
    return this;
  }

  private Behavior<WorkerMessage> onWorkBatch(WorkerMessage.WorkBatch batch) {
    JobState job = jobs.get(batch.jobId());
    if (job == null) {
      return this; // the job was closed meanwhile; the coordinator takes these back if it still runs
    }
    if (drainingWhy != null) {
      // Crossed the leaving notice on the way: hand them straight back.
      job.coordinator.tell(new JobCoordinator.WorkerLeaving(getContext().getSelf(),
          batch.tasks().stream().map(WorkerMessage.TaskAssignment::taskId).toList(), drainingWhy));
      return this;
    }
    JobState of = job;
    threads.submit(batch.tasks().stream().map(task -> new Queued(of, task)).toList());
    return this;
  }

  private Behavior<WorkerMessage> onJobClosed(WorkerMessage.JobClosed closed) {
    JobState job = jobs.get(closed.jobId());
    if (job != null) {
      close(job);
    }
    return this;
  }

  private Behavior<WorkerMessage> onCoordinatorGone(CoordinatorGone gone) {
    JobState job = jobs.get(gone.jobId());
    if (job != null && job.coordinator.equals(gone.coordinator())) {
      close(job);
    }
    return this;
  }

  private void close(JobState job) {
    jobs.remove(job.jobId);
    job.closed = true;
    getContext().unwatch(job.coordinator);
  }

  private Behavior<WorkerMessage> onOutcomesReady() {
    // Cleared before draining: an outcome added from now on signals again.
    threads.clearSignal();
    TaskThreads.Ran<Queued, TaskOutcome> next;
    while ((next = threads.pollFinished()) != null) {
      record(next.task().job(), next.result(), next.runNanos());
    }
    flush();
    replyIfDrained();
    return this;
  }

  private Behavior<WorkerMessage> onCheckTimeouts() {
    long now = System.nanoTime();
    boolean any = false;
    for (TaskSlot<Queued> slot : threads.slots()) {
      Queued overdue = slot.abandonIfOverdue(now, queued -> queued.job().options.taskTimeout());
      if (overdue != null) {
        long limit = overdue.job().options.taskTimeout().toMillis();
        getContext().getLog().warn("job {}: task {} (attempt {}) ran past its timeout of {} ms; interrupted and reported",
            overdue.job().jobId, overdue.task().taskId(), overdue.task().attempt(), limit);
        record(overdue.job(), new TaskOutcome.Failed(overdue.task().taskId(), overdue.task().attempt(),
            "timed out after " + limit + " ms", true), overdue.job().options.taskTimeout().toNanos());
        any = true;
      }
    }
    if (any) {
      flush();
    }
    replyIfDrained();
    return this;
  }

  private Behavior<WorkerMessage> onSendHeartbeats() {
    for (JobState job : jobs.values()) {
      job.coordinator.tell(new JobCoordinator.Heartbeat(getContext().getSelf(), job.requestedUpTo, running(job)));
    }
    return this;
  }

  private Behavior<WorkerMessage> onStop() {
    for (JobState job : jobs.values()) {
      job.closed = true;
    }
    threads.shutdown();
    isolated.close();
    return this;
  }

  private Behavior<WorkerMessage> onDrain(Drain drain) {
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
  private Behavior<WorkerMessage> onSelfMemberChanged(SelfMemberChanged changed) {
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
    for (Queued queued : threads.removeQueued(queued -> !queued.job().closed)) {
      returned.computeIfAbsent(queued.job().jobId, id -> new ArrayList<>()).add(queued.task().taskId());
    }
    reportExitingTasks();
    int running = 0;
    for (JobState job : jobs.values()) {
      List<Integer> back = returned.getOrDefault(job.jobId, List.of());
      running += running(job).size();
      job.coordinator.tell(new JobCoordinator.WorkerLeaving(getContext().getSelf(), back, drainingWhy));
    }
    getContext().getLog().info("draining ({}): {} tasks not started handed back, {} running get up to {} to finish",
        drainingWhy, returned.values().stream().mapToInt(List::size).sum(), running, WorkerSilence.describe(timeout));
    timers.startSingleTimer(DrainDeadline.INSTANCE, timeout);
    replyIfDrained();
  }

  /**
   * A handler that called {@code System.exit} is taking this node down (that is why it drains): its
   * task fails for good, naming the node and the call, so no other node runs it.
   */
  private void reportExitingTasks() {
    boolean any = false;
    for (TaskSlot<Queued> slot : threads.slots()) {
      var exiting = slot.abandonIfExiting();
      if (exiting.isPresent()) {
        Queued task = exiting.get().task();
        getContext().getLog().error("job {}: task {} (attempt {}) called System.exit, which takes node {} down;"
            + " it fails as poison and is not tried again", task.job().jobId, task.task().taskId(), task.task().attempt(),
            getContext().getSystem().address());
        record(task.job(), new TaskOutcome.Failed(task.task().taskId(), task.task().attempt(),
            "poison: the handler called System.exit, which took node " + getContext().getSystem().address()
                + " down; it is not tried again\n" + exiting.get().stackTrace(), false), 0);
        any = true;
      }
    }
    if (any) {
      flush();
    }
  }

  private Behavior<WorkerMessage> onDrainDeadline() {
    for (JobState job : jobs.values()) {
      List<Integer> unfinished = running(job);
      if (!unfinished.isEmpty()) {
        getContext().getLog().warn("job {}: drain timeout ran out with {} tasks running; handed back", job.jobId,
            unfinished.size());
        job.coordinator.tell(new JobCoordinator.WorkerLeaving(getContext().getSelf(), unfinished,
            drainingWhy + "; the drain timeout ran out before they finished"));
      }
    }
    drainWaiters.forEach(waiter -> waiter.tell(Done.getInstance()));
    drainWaiters.clear();
    return this;
  }

  /** While draining: once no task runs here (and outcomes are sent), the node may leave. */
  private void replyIfDrained() {
    if (drainingWhy == null || drainWaiters.isEmpty()) {
      return;
    }
    for (TaskSlot<Queued> slot : threads.slots()) {
      if (slot.running().filter(q -> !q.job().closed).isPresent()) {
        return;
      }
    }
    if (threads.hasUncollected()) {
      return; // outcomes still on their way to the actor: OutcomesReady follows
    }
    getContext().getLog().info("drained: every running task finished and reported");
    timers.cancel(DrainDeadline.INSTANCE);
    drainWaiters.forEach(waiter -> waiter.tell(Done.getInstance()));
    drainWaiters.clear();
  }

  /** The tasks of {@code job} running here now (reported, so a coordinator knows what a death cost). */
  private List<Integer> running(JobState job) {
    List<Integer> running = new ArrayList<>(0);
    for (TaskSlot<Queued> slot : threads.slots()) {
      slot.running().filter(q -> q.job() == job).ifPresent(q -> running.add(q.task().taskId()));
    }
    return running;
  }

  /** Files an outcome for the job's next message, and widens the job's credits to its window. */
  private void record(JobState job, TaskOutcome outcome, long runNanos) {
    if (job.closed) {
      return;
    }
    job.outbox.add(outcome);
    job.finished++;
    job.taskNanos = job.taskNanos == 0 ? runNanos : 0.8 * job.taskNanos + 0.2 * runNanos;
    if (drainingWhy == null) {
      job.requestedUpTo = Math.max(job.requestedUpTo, job.finished + window(job));
    }
  }

  /** Sends each job's filed outcomes, with its credits, in messages of at most 128 KiB. */
  private void flush() {
    for (JobState job : jobs.values()) {
      if (job.outbox.isEmpty()) {
        continue;
      }
      // Several messages when the results are large: Artery refuses frames above 256 KiB by default.
      List<TaskOutcome> chunk = new ArrayList<>();
      long bytes = 0;
      for (TaskOutcome outcome : job.outbox) {
        long size = outcome instanceof TaskOutcome.Succeeded s ? s.output().length : 1024;
        if (!chunk.isEmpty() && bytes + size > TaskDispatcher.MAX_BATCH_BYTES) {
          job.coordinator.tell(new JobCoordinator.Outcomes(getContext().getSelf(), chunk, job.requestedUpTo, running(job)));
          chunk = new ArrayList<>();
          bytes = 0;
        }
        chunk.add(outcome);
        bytes += size;
      }
      job.coordinator.tell(new JobCoordinator.Outcomes(getContext().getSelf(), chunk, job.requestedUpTo, running(job)));
      job.outbox.clear();
    }
  }

  /**
   * How many tasks of the job this worker asks to hold (running, queued or on their way): enough to
   * keep every thread busy for about {@link #QUEUED_WORK_TARGET} beyond the task it runs, so short
   * tasks travel in full batches while long ones are not hoarded by one worker at the end of a job.
   * At least two per thread; at most two batches.
   */
  private int window(JobState job) {
    int least = 2 * capacity;
    int most = Math.max(least, 2 * job.options.batchSize());
    if (job.taskNanos <= 0) {
      return least;
    }
    double perThread = QUEUED_WORK_TARGET.toNanos() / job.taskNanos;
    double wanted = capacity + Math.ceil(capacity * perThread);
    return (int) Math.max(least, Math.min(most, wanted));
  }
}
