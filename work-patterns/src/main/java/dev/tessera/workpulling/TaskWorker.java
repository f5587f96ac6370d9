package dev.tessera.workpulling;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
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

/**
 * Runs tasks for job coordinators on this node: asks for work (credits), runs each task's
 * registered handler on a thread pool of {@code capacity} threads, and reports outcomes together
 * with its next request.
 *
 * <p>A handler that throws, hangs past the job's task timeout, or returns something that cannot be
 * serialized (or is larger than {@code maxResultBytes}) produces a failed outcome; the worker
 * itself never fails because of a task. An unreadable input is reported as a failure that retrying
 * cannot fix; a job whose task type has no handler here is declined, so its tasks never come here.
 *
 * <p>It asks for up to twice its capacity per job, so a task is ready as soon as a thread frees up,
 * and it heartbeats every coordinator it holds tasks or credits of, three times per silence timeout.
 *
 * <p>Threading: the actor's state is touched only by its message handling; handlers run on the
 * pool, and their outcomes come back as messages.
 */
public final class TaskWorker extends AbstractBehavior<WorkerMessage> {

  /** Internal messages, delivered to the worker through its {@link WorkerMessage} inbox. */
  private record TaskFinished(String jobId, TaskOutcome outcome) implements InternalMessage {}

  private enum Flush implements InternalMessage {
    INSTANCE
  }

  private enum SendHeartbeats implements InternalMessage {
    INSTANCE
  }

  /** Messages only the worker sends itself. */
  sealed interface InternalMessage extends WorkerMessage permits TaskFinished, Flush, SendHeartbeats {}

  /** What the worker knows of one job it works on. */
  private static final class JobState {
    final String jobId;
    final ActorRef<JobCoordinator.Command> coordinator;
    final JobOptions options;
    /** The handler of the job's task type, looked up once when the worker joins the job. */
    final TaskRegistry.Registration<?, ?> registration;
    long requestedUpTo;
    final ArrayDeque<WorkerMessage.TaskAssignment> queued = new ArrayDeque<>();
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

  /** Every task worker registers under this key, so jobs anywhere in the cluster can find it. */
  public static final ServiceKey<WorkerMessage> SERVICE_KEY = ServiceKey.create(WorkerMessage.class, "tessera-task-workers");

  private static final Duration MAX_HEARTBEAT_INTERVAL = Duration.ofMillis(500);
  private static final int MAX_CAUSE_CHARS = 16 * 1024;

  private final TaskRegistry registry;
  private final PayloadCodec codec;
  private final int capacity;
  private final int maxResultBytes;
  private final ExecutorService pool;
  private final Map<String, JobState> jobs = new HashMap<>();
  private final TimerScheduler<WorkerMessage> timers;
  private Duration heartbeatInterval = MAX_HEARTBEAT_INTERVAL;
  private boolean flushScheduled;
  private int running;

  /** A worker with a pool of {@code capacity} daemon threads of its own. */
  public static Behavior<WorkerMessage> create(TaskRegistry registry, int capacity, int maxResultBytes) {
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(capacity, runnable -> {
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
    this.codec = new PayloadCodec();
    this.capacity = capacity;
    this.maxResultBytes = maxResultBytes;
    this.pool = pool;
    this.timers = timers;
    timers.startTimerWithFixedDelay(SendHeartbeats.INSTANCE, heartbeatInterval);
    context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
  }

  @Override
  public Receive<WorkerMessage> createReceive() {
    return newReceiveBuilder()
        .onMessage(WorkerMessage.WorkOn.class, this::onWorkOn)
        .onMessage(WorkerMessage.WorkBatch.class, this::onWorkBatch)
        .onMessage(WorkerMessage.JobClosed.class, this::onJobClosed)
        .onMessage(TaskFinished.class, this::onTaskFinished)
        .onMessageEquals(Flush.INSTANCE, this::onFlush)
        .onMessageEquals(SendHeartbeats.INSTANCE, this::onSendHeartbeats)
        .onSignal(PostStop.class, signal -> onStop())
        .build();
  }

  private Behavior<WorkerMessage> onWorkOn(WorkerMessage.WorkOn workOn) {
    var registration = registry.lookup(workOn.taskType());
    if (registration.isEmpty()) {
      workOn.coordinator().tell(new JobCoordinator.Decline(getContext().getSelf(),
          "unknown task type '" + workOn.taskType() + "': no handler is registered for it on " + getContext().getSystem().address()));
      return this;
    }
    JobState job = jobs.computeIfAbsent(workOn.jobId(), id -> {
      // A coordinator that is gone for good (its node removed) closes its job here too.
      getContext().watchWith(workOn.coordinator(), new WorkerMessage.JobClosed(id));
      return new JobState(id, workOn.coordinator(), workOn.options(), registration.get());
    });
    // Heartbeat three times per silence timeout of the most demanding job.
    Duration wanted = workOn.options().workerSilenceTimeout().dividedBy(3);
    if (wanted.compareTo(heartbeatInterval) < 0) {
      heartbeatInterval = wanted;
      timers.startTimerWithFixedDelay(SendHeartbeats.INSTANCE, heartbeatInterval);
    }
    if (job.requestedUpTo == 0) {
      job.requestedUpTo = 2L * capacity;
      job.coordinator.tell(new JobCoordinator.RequestWork(getContext().getSelf(), job.requestedUpTo));
    }
    return this;
  }

  private Behavior<WorkerMessage> onWorkBatch(WorkerMessage.WorkBatch batch) {
    JobState job = jobs.get(batch.jobId());
    if (job == null) {
      return this; // the job was closed meanwhile; the coordinator takes these back if it still runs
    }
    job.queued.addAll(batch.tasks());
    startTasks();
    return this;
  }

  private Behavior<WorkerMessage> onJobClosed(WorkerMessage.JobClosed closed) {
    JobState job = jobs.remove(closed.jobId());
    if (job != null) {
      job.queued.clear();
      getContext().unwatch(job.coordinator);
    }
    return this;
  }

  private Behavior<WorkerMessage> onTaskFinished(TaskFinished finished) {
    running--;
    JobState job = jobs.get(finished.jobId());
    if (job != null) {
      job.outbox.add(finished.outcome());
      job.requestedUpTo++; // one thread is free again: ask for one more task
      if (!flushScheduled) {
        // Outcomes that finish meanwhile are already in the mailbox: they ride in the same message.
        flushScheduled = true;
        getContext().getSelf().tell(Flush.INSTANCE);
      }
    }
    startTasks();
    return this;
  }

  private Behavior<WorkerMessage> onFlush() {
    flushScheduled = false;
    for (JobState job : jobs.values()) {
      // Several messages when the results are large: Artery refuses frames above 256 KiB by default.
      List<TaskOutcome> chunk = new ArrayList<>();
      long bytes = 0;
      for (TaskOutcome outcome : job.outbox) {
        long size = outcome instanceof TaskOutcome.Succeeded s ? s.output().length : 1024;
        if (!chunk.isEmpty() && bytes + size > JobCoordinator.MAX_BATCH_BYTES) {
          job.coordinator.tell(new JobCoordinator.Outcomes(getContext().getSelf(), chunk, job.requestedUpTo));
          chunk = new ArrayList<>();
          bytes = 0;
        }
        chunk.add(outcome);
        bytes += size;
      }
      if (!chunk.isEmpty()) {
        job.coordinator.tell(new JobCoordinator.Outcomes(getContext().getSelf(), chunk, job.requestedUpTo));
      }
      job.outbox.clear();
    }
    return this;
  }

  private Behavior<WorkerMessage> onSendHeartbeats() {
    for (JobState job : jobs.values()) {
      job.coordinator.tell(new JobCoordinator.Heartbeat(getContext().getSelf(), job.requestedUpTo));
    }
    return this;
  }

  private Behavior<WorkerMessage> onStop() {
    pool.shutdownNow();
    return this;
  }

  /** Starts queued tasks, fairly across jobs, while threads are free. */
  private void startTasks() {
    boolean started = true;
    while (running < capacity && started) {
      started = false;
      for (JobState job : jobs.values()) {
        if (running < capacity && !job.queued.isEmpty()) {
          start(job, job.queued.poll());
          started = true;
        }
      }
    }
  }

  private void start(JobState job, WorkerMessage.TaskAssignment task) {
    running++;
    CompletableFuture<TaskOutcome> outcome = run(job, task);
    getContext().pipeToSelf(outcome, (value, error) -> new TaskFinished(job.jobId,
        value != null ? value : new TaskOutcome.Failed(task.taskId(), task.attempt(), describe(error), true)));
  }

  /** Runs one attempt on the pool; the future always completes, with a success or a failure. */
  private CompletableFuture<TaskOutcome> run(JobState job, WorkerMessage.TaskAssignment task) {
    TaskRegistry.Registration<?, ?> registration = job.registration;
    Object input;
    try {
      input = codec.decode(task.input(), registration.type().inputType());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(
          new TaskOutcome.Failed(task.taskId(), task.attempt(), "unreadable input: " + e.getMessage(), false));
    }
    CompletableFuture<TaskOutcome> result = new CompletableFuture<>();
    Future<?> execution = pool.submit(() -> {
      try {
        Object output = invoke(registration, input);
        if (output == null) {
          result.complete(new TaskOutcome.Failed(task.taskId(), task.attempt(), "the handler returned null", true));
          return;
        }
        byte[] bytes = codec.encode(output);
        if (bytes.length > maxResultBytes) {
          result.complete(new TaskOutcome.Failed(task.taskId(), task.attempt(),
              "result of " + bytes.length + " bytes exceeds the limit of " + maxResultBytes + " bytes", false));
          return;
        }
        result.complete(new TaskOutcome.Succeeded(task.taskId(), task.attempt(), bytes));
      } catch (Throwable e) {
        result.complete(new TaskOutcome.Failed(task.taskId(), task.attempt(), describe(e), true));
      }
    });
    long timeoutMillis = job.options.taskTimeout().toMillis();
    return result.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS).exceptionally(error -> {
      execution.cancel(true); // interrupt a handler that is still running
      Throwable cause = error instanceof CompletionException ? error.getCause() : error;
      String why = cause instanceof TimeoutException ? "timed out after " + timeoutMillis + " ms" : describe(cause);
      return new TaskOutcome.Failed(task.taskId(), task.attempt(), why, true);
    });
  }

  @SuppressWarnings("unchecked")
  private static <I, O> Object invoke(TaskRegistry.Registration<I, O> registration, Object input) throws Exception {
    return registration.handler().run((I) input);
  }

  /** The exception and its stack trace, as text (cut at 16 KiB): what a person needs to find the bug. */
  private static String describe(Throwable error) {
    StringWriter text = new StringWriter();
    error.printStackTrace(new PrintWriter(text));
    String trace = text.toString();
    return trace.length() <= MAX_CAUSE_CHARS ? trace : trace.substring(0, MAX_CAUSE_CHARS) + "\n\t... (cut)";
  }
}
