package dev.tessera.work.engine;

import dev.tessera.runtime.cluster.ClusterRoles;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.logging.Durations;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import dev.tessera.runtime.dashboard.JobBoard;
import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataException;
import dev.tessera.runtime.data.DataRef;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * What every job coordinator does the same way, whatever keeps its job's facts: it announces the
 * job to the task workers, answers their {@link CoordinatorMessage}s through a {@link
 * TaskDispatcher}, decides on each tick whether the job can still run, logs its progress, and closes
 * the job on the workers when it ends. {@link JobCoordinator} (facts in memory) and the durable
 * coordinator (facts in a journal) are thin actors over one of these.
 *
 * <p>The coordinator keeps the facts: it tells the core which tasks exist ({@link #dispatcher()}),
 * is told of each accepted result ({@link ResultSink}), and records failures when the core's {@link
 * TaskDispatcher.JobTasks} hears of them or a tick finds that nobody can run the job.
 *
 * <p>Threading: not thread-safe; used by the one actor that coordinates the job.
 *
 * @param <C> the coordinator's own message type
 */
public final class CoordinatorCore<C> {

  /** Receives each result the dispatcher accepts: the first for its task, from a lease it knows. */
  @FunctionalInterface
  public interface ResultSink {
    void accept(int taskId, byte[] output);
  }

  /**
   * A stored result fetched from the node that stored it, or the reason it could not be: the
   * message made by the coordinator's {@code resultFetched} function; hand it to {@link
   * #resultFetched}. Only ever sent to the coordinator itself.
   *
   * @param output the result's bytes, or null when {@code failure} says why there are none
   * @param lost true when the failure was the loss of the storing node (the task runs again,
   *     charged nothing), false when the result was refused or damaged (a failed attempt)
   */
  public record ResultFetched(int taskId, DataRef<byte[]> ref, byte[] output, String failure, boolean lost) {}

  private final ActorContext<C> context;
  private final Function<ResultFetched, C> resultFetched;
  /** Tasks whose stored result is being fetched: not open to the dispatcher meanwhile. */
  private final Map<Integer, DataRef<byte[]>> fetching = new HashMap<>();
  private final String jobId;
  private final String taskType;
  private final JobOptions options;
  private final TaskDispatcher dispatcher;
  private final WorkerAnnouncement announcement;
  private final JobMeters meters;
  private final JobBoard board;
  private final TakeBackTimeline takeBacks;
  private final long startedMillis = System.currentTimeMillis();
  /** Set once the job ended or its coordinator stopped here: the dashboard's row is final. */
  private boolean boardClosed;
  private long lastProgressLogNanos = System.nanoTime();

  /**
   * Starts coordinating: subscribes to the task workers' listing and announces the job to them.
   *
   * @param tasks the job's facts, as the dispatcher needs them
   * @param workerGone the coordinator's message for a watched worker that stopped; hand it to
   *     {@link #workerGone}
   * @param workersChanged the coordinator's message for a new listing of task workers; hand it to
   *     {@link #workersChanged}
   * @param resultFetched the coordinator's message for a stored result fetched (or lost); hand it
   *     to {@link #resultFetched}
   */
  public CoordinatorCore(
      ActorContext<C> context,
      String jobId,
      String taskType,
      JobOptions options,
      TaskDispatcher.JobTasks tasks,
      Function<ActorRef<WorkerMessage>, C> workerGone,
      Function<Receptionist.Listing, C> workersChanged,
      Function<ResultFetched, C> resultFetched) {
    this.context = Objects.requireNonNull(context, "context");
    this.resultFetched = Objects.requireNonNull(resultFetched, "resultFetched");
    this.jobId = Objects.requireNonNull(jobId, "jobId");
    this.taskType = Objects.requireNonNull(taskType, "taskType");
    this.options = Objects.requireNonNull(options, "options");
    Objects.requireNonNull(workerGone, "workerGone");
    TaskDispatcher.JobTasks notWhileFetching = new TaskDispatcher.JobTasks() {
      @Override
      public byte[] openInput(int task) {
        return fetching.containsKey(task) ? null : tasks.openInput(task);
      }

      @Override
      public void attemptLost(int task, TaskLoss loss) {
        meters.attemptLost(loss);
        if (loss.forGood()) {
          takeBacks.ended(task);
        }
        tasks.attemptLost(task, loss);
      }

      @Override
      public String preferredNode(int task) {
        return tasks.preferredNode(task);
      }
    };
    this.meters = JobMeters.open(context.getSystem(), jobId, taskType);
    this.board = JobBoard.get(context.getSystem());
    this.takeBacks = new TakeBackTimeline(board, jobId);
    this.dispatcher = new TaskDispatcher(jobId, options, context.getLog(), notWhileFetching,
        worker -> context.watchWith(worker, workerGone.apply(worker)),
        worker -> ClusterRoles.nodeIsUp(context.getSystem(), worker),
        TaskDispatcher.nodesSeenFrom(context.getSystem().address()),
        node -> ClusterRoles.nodeHasRole(context.getSystem(), node, options.requiredRole()));
    dispatcher.reportTo(new TaskDispatcher.Events() {
      @Override
      public void dispatched(int count) {
        meters.dispatched(count);
      }

      @Override
      public void duplicateDropped() {
        meters.duplicateDropped();
      }

      @Override
      public void takenBack(TaskDispatcher.TakeBack reason, java.util.Collection<Integer> tasks, String node) {
        meters.takenBack(reason, tasks, node);
        takeBacks.takenBack(reason, tasks, node);
      }
    });
    ActorRef<CoordinatorMessage> self = ProtocolInbox.of(CoordinatorMessage.class, context.getSelf());
    this.announcement = WorkerAnnouncement.subscribe(
        context, new WorkerMessage.WorkOn(jobId, taskType, self, options), workersChanged);
  }

  /**
   * How often a coordinator ticks: often enough to notice a silent worker within an eighth of the
   * silence timeout. With the default 1.5 s, a dead worker's tasks move within 1.7 s of its last
   * message.
   */
  public static Duration tickInterval(JobOptions options) {
    Duration eighth = options.workerSilenceTimeout().dividedBy(8);
    return eighth.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10) : eighth;
  }

  /** The job's tasks as the workers hold them: add tasks here, and tell it which have ended. */
  public TaskDispatcher dispatcher() {
    return dispatcher;
  }

  /**
   * A worker's message: credits, heartbeats, outcomes, leaving, declining. Accepted results go to
   * {@code results} (tasks outside {@code 0 .. total-1} are logged and ignored), then the dispatcher
   * hands out what it can.
   */
  public void fromWorker(CoordinatorMessage message, int total, ResultSink results) {
    ActorRef<WorkerMessage> worker = message.worker();
    if (message instanceof CoordinatorMessage.RequestWork request) {
      dispatcher.heard(worker, request.requestedUpTo());
    } else if (message instanceof CoordinatorMessage.Heartbeat heartbeat) {
      if (!dispatcher.heard(worker, heartbeat.requestedUpTo())) {
        return; // a worker seen gone is not revived by a late heartbeat
      }
      dispatcher.running(worker, heartbeat.running());
    } else if (message instanceof CoordinatorMessage.Outcomes outcomes) {
      // A worker seen gone is not revived by a late message, but a valid result it sent is a result.
      if (dispatcher.heard(worker, outcomes.requestedUpTo())) {
        dispatcher.running(worker, outcomes.running());
      }
      for (TaskOutcome outcome : outcomes.outcomes()) {
        int task = outcome.taskId();
        if (task < 0 || task >= total) {
          context.getLog().warn("job {}: {} reported unknown task {}; ignored", jobId, worker, task);
        } else if (dispatcher.accept(worker, outcome) == TaskDispatcher.Verdict.RESULT) {
          if (outcome instanceof TaskOutcome.Stored stored) {
            fetch(task, stored.result());
          } else {
            meters.succeeded();
            takeBacks.ended(task);
            results.accept(task, ((TaskOutcome.Succeeded) outcome).output());
          }
        }
      }
    } else if (message instanceof CoordinatorMessage.WorkerLeaving leaving) {
      dispatcher.workerLeaving(worker, leaving.returned(), leaving.why());
    } else if (message instanceof CoordinatorMessage.Decline decline) {
      dispatcher.declined(worker, decline.reason());
      return;
    }
    dispatcher.dispatch();
  }

  /**
   * Fetches a result the worker stored in its node's object store; the task is neither open nor
   * ended meanwhile (a second result for it is a duplicate).
   */
  private void fetch(int task, DataRef<byte[]> ref) {
    fetching.put(task, ref);
    context.pipeToSelf(Data.get(context.getSystem(), ref), (bytes, error) -> {
      if (error == null) {
        return resultFetched.apply(new ResultFetched(task, ref, bytes, null, false));
      }
      Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException
          ? error.getCause() : error;
      boolean lost = cause instanceof DataException data && data.reason() == DataException.Reason.LOST;
      return resultFetched.apply(new ResultFetched(task, ref, null, cause.getMessage(), lost));
    });
  }

  /**
   * A stored result arrived: it goes to {@code results}, and the copy on the worker's node is
   * freed. One that could not be fetched sends its task to run again.
   */
  public void resultFetched(ResultFetched fetched, ResultSink results) {
    if (fetching.remove(fetched.taskId()) == null) {
      return; // the job was cleared meanwhile
    }
    if (fetched.output() != null) {
      meters.succeeded();
      takeBacks.ended(fetched.taskId());
      results.accept(fetched.taskId(), fetched.output());
      Data.release(context.getSystem(), fetched.ref());
    } else {
      dispatcher.resultLost(fetched.taskId(), fetched.failure(), !fetched.lost());
    }
    dispatcher.dispatch();
  }

  /** A watched worker's actor stopped (the message made by {@code workerGone}): its tasks go back. */
  public void workerGone(ActorRef<WorkerMessage> worker) {
    context.unwatch(worker);
    dispatcher.workerGone(worker);
    dispatcher.dispatch();
  }

  /** A new listing of task workers (the message made by {@code workersChanged}). */
  public void workersChanged(Receptionist.Listing listing) {
    announcement.workersChanged(listing);
  }

  /**
   * The periodic decisions: log progress every {@link JobOptions#progressLogInterval()} while tasks
   * are open, then either give up on a job nobody can run, or take back expired leases and silent
   * workers' tasks and hand out what waits.
   *
   * @param progress the job's progress now (see {@link #progress})
   * @param tasksOpen whether the job has tasks that have not ended
   * @return why the job cannot run, when nobody can run it: the dispatcher is cleared, and the
   *     coordinator fails every open task with this cause
   */
  public Optional<String> tick(JobProgress progress, boolean tasksOpen) {
    long now = System.nanoTime();
    meters.progress(progress);
    // Only while tasks are open: an idle session or pipeline stage has nothing to report.
    if (tasksOpen && now - lastProgressLogNanos >= options.progressLogInterval().toNanos()) {
      lastProgressLogNanos = now;
      context.getLog().info("job {}: {} of {} done, {} running, {} failed, {} retried, {} leases lost, {} worker deaths,"
          + " {} workers", jobId, progress.done(), progress.total(), progress.running(), progress.failed(),
          progress.retried(), progress.lostLeases(), progress.workerDeaths(), dispatcher.activeWorkers());
    }
    String cause = null;
    if (dispatcher.nobodyCanRun(now)) {
      cause = "no worker with role '" + options.requiredRole() + "' can run task type '" + taskType + "': "
          + dispatcher.declineReason();
    } else if (dispatcher.noCapableNode(now, ClusterRoles.clusterHasRole(context.getSystem(), options.requiredRole()))) {
      cause = "no node in the cluster has role '" + options.requiredRole() + "' (needed by task type '" + taskType
          + "'); waited " + Durations.describe(options.noCapableNodeTimeout());
    }
    if (cause != null) {
      if (tasksOpen) {
        context.getLog().warn("job {}: {}", jobId, cause);
      }
      dispatcher.clear();
      return Optional.of(cause);
    }
    dispatcher.check(now);
    dispatcher.dispatch();
    return Optional.empty();
  }

  /** The job's progress, from the coordinator's counts and the dispatcher's. */
  public JobProgress progress(int total, int done, int failed) {
    JobProgress progress = new JobProgress(total, done, dispatcher.running(), failed, dispatcher.retried(),
        dispatcher.duplicatesDropped(), dispatcher.lostLeases(), dispatcher.workerDeaths());
    if (!boardClosed) {
      board.progress(jobId, taskType, progress, takeBacks.takenBack(), startedMillis);
    }
    return progress;
  }

  /** Logs a task that failed for good after using up its attempts. */
  public void logFailed(int task, int attempts, String cause) {
    context.getLog().warn("job {}: task {} failed after {} attempts: {}", jobId, task, attempts, firstLine(cause));
  }

  /**
   * The coordinator stops here without ending the job (a durable job's coordinator moving or
   * passivated): the job's meters on this node go after {@code ended-job-series-kept}.
   */
  public void stopMetering() {
    meters.close();
    if (!boardClosed) {
      boardClosed = true;
      board.ended(jobId, "moved");
    }
  }

  /**
   * The job has ended, with {@code last} its final progress (for the dashboard): every worker that
   * worked on it drops its queued tasks and stops asking.
   */
  public void close(JobProgress last) {
    board.progress(jobId, taskType, last, takeBacks.takenBack(), startedMillis);
    meters.close();
    boardClosed = true;
    board.ended(jobId, "ended");
    for (ActorRef<WorkerMessage> worker : dispatcher.knownWorkers()) {
      worker.tell(new WorkerMessage.JobClosed(jobId));
    }
    fetching.clear();
    dispatcher.clear();
  }

  /** The first line of a cause (a stack trace as text), for a log line. */
  static String firstLine(String text) {
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
