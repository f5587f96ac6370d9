package dev.tessera.persistence.jobs;

import dev.tessera.persistence.journal.JournalFailures;
import dev.tessera.persistence.journal.PersistenceMeters;
import dev.tessera.persistence.journal.JournalHealth;
import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.persistence.journal.ResultBlobs;
import dev.tessera.persistence.journal.StoredResult;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.serialization.CborSerializable;
import dev.tessera.work.engine.CoordinatorCore;
import dev.tessera.work.engine.InputRefs;
import dev.tessera.work.engine.TaskDispatcher;
import dev.tessera.work.engine.TaskLoss;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.WorkerMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The coordinator of one durable job: the same work pulling as the in-memory coordinator (the same
 * {@link CoordinatorCore} speaks the same protocol to the same task workers), with the job's facts
 * in an event-sourced journal. It runs as a sharded entity per job (entity id = job
 * id), so when its node dies it starts again on another node and recovers from the journal.
 *
 * <p><b>Exactly once.</b> A result counts once it is in the journal. Results are committed in
 * groups: each worker message's results join the next write, and messages that arrive while a
 * write is under way wait for it and go into the one after (one database round trip for many
 * tasks). A result for a task that is committed, or being committed, is dropped and counted. After
 * a restart the journal says which tasks ended; only the others are handed out again, each with
 * the attempts it had used.
 *
 * <p><b>Large results</b> (above {@code inline-result-bytes}) are written to the table of large
 * results beside the journal ({@link ResultBlobs}) and committed there before the event that
 * completes their tasks is written; the event, the ledger and snapshots hold only their size and
 * hash, and readers fetch them from the table. A store that fails restarts this actor with the
 * journal's backoff, as a failed journal write does: those tasks are not committed, and run again.
 *
 * <p><b>Snapshots</b> of the whole ledger (results included) are taken every {@code
 * snapshot-every} events, so recovery reads one snapshot and a bounded tail of events.
 *
 * <p><b>Submission.</b> Inputs arrive in chunks ({@link AddInputs}); no task runs until the last one
 * is recorded, and a submission that stops half-way is abandoned after {@code submission-timeout}
 * (nothing of it ran; submitting again under the same id starts it over). A chunk sent again must
 * be the same chunk: one that differs under the same job id is refused.
 *
 * <p><b>A failing journal is an outage, not damage.</b> A write or read that fails because the
 * storage fails (disk full, database down) restarts this actor with backoff ({@code
 * journal-backoff}): the job pauses, the request whose write failed is answered with the journal's
 * error ({@link PendingWrites}), and the job resumes by itself once the journal works again, from
 * what the journal holds. Only events or snapshots that cannot be read stop the job for good.
 *
 * <p>Threading: an actor. The ledger is changed only by the event handler; the dispatcher and the
 * commit buffers are this actor's volatile state, rebuilt after a restart.
 *
 * <pre>{@code
 * // What DurableJobs.submit does:
 * EntityRef<DurableJobCoordinator.Command> job = sharding.entityRefFor(DurableJobCoordinator.ENTITY_TYPE, jobId);
 * job.ask(reply -> new DurableJobCoordinator.Submit("square", JobOptions.defaults(), submitter, reply), timeout);
 * job.ask(reply -> new DurableJobCoordinator.AddInputs(0, inputs, true, reply), timeout);
 * }</pre>
 */
public final class DurableJobCoordinator extends EventSourcedBehavior<DurableJobCoordinator.Command, JobEvent, JobLedger> {

  /** What the coordinator handles: requests (through sharding), the workers' messages, and its own. */
  public sealed interface Command extends CborSerializable permits Request, FromWorker, Internal {}

  /** Requests of submitters, operators and the job registry. */
  public sealed interface Request extends Command {}

  /**
   * A worker's message ({@link CoordinatorMessage}); workers send them to {@link ProtocolInbox#of}
   * this coordinator, and they arrive wrapped in this.
   */
  public record FromWorker(CoordinatorMessage message) implements Command, NoSerializationVerificationNeeded {}

  /** Creates the job, if this id has none yet; repeating it for the same job is harmless. */
  public record Submit(String taskType, JobOptions options, String submitter, ActorRef<StatusReply<Done>> replyTo)
      implements Request {
    public Submit {
      Objects.requireNonNull(taskType, "taskType");
      Objects.requireNonNull(options, "options");
      Objects.requireNonNull(submitter, "submitter");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /**
   * Inputs of tasks {@code firstTaskId ..}; {@code last} when no more follow. Acknowledged once
   * durable. A repeated chunk (a retry after a lost reply) is acknowledged and changes nothing.
   */
  public record AddInputs(int firstTaskId, List<byte[]> inputs, boolean last, ActorRef<StatusReply<Done>> replyTo)
      implements Request {
    public AddInputs {
      inputs = List.copyOf(inputs);
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Replies with the job's status now. */
  public record GetStatus(ActorRef<JobStatus> replyTo) implements Request {}

  /** Replies with the job's status once it has ended (at once if it has). */
  public record AwaitEnd(ActorRef<JobStatus> replyTo) implements Request {}

  /** Replies with the outcomes of an ended job from task {@code fromTask} on, one page. */
  public record GetResults(int fromTask, ActorRef<StatusReply<ResultsPage>> replyTo) implements Request {}

  /** Starts the entity if it is not running (the registry wakes unfinished jobs after a restart). */
  public record Wake() implements Request {}

  /** Deletes an ended job's events and snapshots; the entity stops. */
  public record Purge(ActorRef<StatusReply<Done>> replyTo) implements Request {}

  /** Replies with the job's progress now. */
  public record GetProgress(ActorRef<JobProgress> replyTo) implements Request {}

  /** Cancels a running job: no more tasks are handed out (an ended job's cancel is acknowledged). */
  public record Cancel(ActorRef<StatusReply<Done>> replyTo) implements Request {}

  private sealed interface Internal extends Command {}

  /** A watched worker's actor stopped. */
  private record WorkerGone(ActorRef<WorkerMessage> worker) implements Internal {}

  private enum Flush implements Internal {
    INSTANCE
  }

  private enum Tick implements Internal {
    INSTANCE
  }

  /** Sharding's stop message for this entity: see {@link #onHandOff}. */
  private enum HandOff implements Internal {
    INSTANCE
  }

  /** The message sharding sends this entity to stop it (hand-off or passivation). */
  static Command handOffMessage() {
    return HandOff.INSTANCE;
  }

  private record WorkersChanged(Receptionist.Listing listing) implements Internal {}

  /** A result a worker stored in its node's object store, fetched (or lost). Only sent to itself. */
  private record ResultFetched(CoordinatorCore.ResultFetched fetched)
      implements Internal, org.apache.pekko.actor.NoSerializationVerificationNeeded {}

  /** Store {@code number} of large results was committed ({@code stored}) or failed ({@code error}); sent to itself. */
  private record ResultsStored(long number, Map<Integer, StoredResult> stored, Throwable error)
      implements Internal, NoSerializationVerificationNeeded {}

  /** Thrown to restart this actor, with the journal's backoff, after a store of large results failed. */
  private static final class ResultsNotStored extends RuntimeException {
    ResultsNotStored(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A job being submitted has heard nothing from its submitter for {@code submission-timeout}. */
  private enum SubmissionDeadline implements Internal {
    INSTANCE
  }

  /** An ended (or never submitted) job's coordinator has been idle long enough to stop. */
  private enum Linger implements Internal {
    INSTANCE
  }

  /** How long an ended job's coordinator stays, to answer result reads, before it passivates. */
  static final Duration LINGER = Duration.ofSeconds(60);

  /** The sharding entity type of durable jobs. */
  public static final org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey<Command> ENTITY_TYPE =
      org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey.create(Command.class, "tessera-job");

  /** A results page stops growing once its outputs reach this size (a remote message's limit is 256 KiB). */
  static final int MAX_PAGE_BYTES = 128 * 1024;

  private final String jobId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActorRef<JobRegistry.Command> registry;
  private final int snapshotEvery;
  /** The shard this entity lives in, to passivate through; null outside sharding (tests). */
  private final ActorRef<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard;

  private final ResultBlobs blobs;

  // Volatile state: rebuilt after every restart.
  /** Work pulling, while the job runs here: null before it starts and after a restart. */
  private CoordinatorCore<Command> core;
  private JobLedger ledger;
  private final GroupCommit commits;
  /** Sharding stops this job here once the store under way is committed and written ({@link #onHandOff}). */
  private boolean handingOff;
  /** Why this actor restarts, when a store of large results failed (the restart says so). */
  private String storeFailure;
  private final List<ActorRef<JobStatus>> waiters = new ArrayList<>();
  private boolean recoveryFailed;
  /** Until RecoveryCompleted: events are being replayed, counted for the recovery log line. */
  private boolean recovering = true;
  private long eventsReplayed;
  private long recoveryStartedNanos;
  /** What recovery starts from; never changed (the event handler copies it), so a restart starts clean. */
  private JobLedger pristine;
  private final PendingWrites pendingWrites = new PendingWrites();
  private final Duration submissionTimeout;
  /** Why the last recovery failed, when the journal's storage failed (the restart that follows says so). */
  private String recoveryOutage;
  /** Its events or snapshot cannot be read: the actor stops ({@link StopWhenUnreadable}). */
  private boolean unreadable;
  /** When this actor began handing out the job's tasks ({@link CoordinatedJobs}); 0 while it does not. */
  private long coordinatingSinceMillis;

  /**
   * @param registry told when the job ends
   * @param snapshotEvery a snapshot after this many events
   */
  public static Behavior<Command> create(
      String jobId, ActorRef<JobRegistry.Command> registry, int snapshotEvery) {
    return create(jobId, registry, snapshotEvery, null);
  }

  /** @param shard the entity's shard (sharding's entity context), to passivate through */
  public static Behavior<Command> create(
      String jobId,
      ActorRef<JobRegistry.Command> registry,
      int snapshotEvery,
      ActorRef<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(registry, "registry");
    return ProtocolInbox.accepting(CoordinatorMessage.class, FromWorker::new,
        Behaviors.setup(context -> Behaviors.withTimers(timers -> {
          DurableJobCoordinator job = new DurableJobCoordinator(jobId, context, timers, registry, snapshotEvery, shard);
          // A failed store of large results restarts it as a failed journal write does (this object
          // survives, as there); ResultBlobs and onJournalFailed log it, not the supervisor.
          Behavior<Command> supervised = Behaviors.supervise(job).onFailure(ResultsNotStored.class,
              PendingWrites.backoff(context.getSystem()).withLoggingEnabled(false));
          return StopWhenUnreadable.wrap(supervised, () -> job.unreadable);
        })));
  }

  /** The journal's id for a job. */
  public static PersistenceId persistenceId(String jobId) {
    return PersistenceId.of(ENTITY_TYPE.name(), jobId);
  }

  private DurableJobCoordinator(
      String jobId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ActorRef<JobRegistry.Command> registry,
      int snapshotEvery,
      ActorRef<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard) {
    super(persistenceId(jobId), PendingWrites.backoff(context.getSystem()));
    this.shard = shard;
    if (snapshotEvery < 1) {
      throw new IllegalArgumentException("snapshot-every must be at least 1, got " + snapshotEvery);
    }
    this.jobId = jobId;
    this.context = context;
    this.timers = timers;
    this.registry = registry;
    this.snapshotEvery = snapshotEvery;
    context.setLoggerName(DurableJobCoordinator.class);
    this.recoveryStartedNanos = System.nanoTime();
    this.submissionTimeout = context.getSystem().settings().config()
        .getDuration("tessera.persistence.jobs.submission-timeout");
    this.blobs = ResultBlobs.get(context.getSystem());
    this.commits = new GroupCommit(blobs.inlineBytes());
  }

  @Override
  public JobLedger emptyState() {
    // Called once per actor, not per restart: the ledger is mutable, so events are applied to a copy.
    pristine = new JobLedger();
    return pristine;
  }

  @Override
  public String journalPluginId() {
    return JournalPlugins.journal(context.getSystem());
  }

  @Override
  public String snapshotPluginId() {
    return JournalPlugins.snapshotStore(context.getSystem());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  @Override
  public SnapshotAdapter<JobLedger> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(JobLedger state) {
        return state.snapshot();
      }

      @Override
      public JobLedger fromJournal(Object from) {
        return JobLedger.of((JobLedger.Snapshot) from);
      }
    };
  }

  @Override
  public SignalHandler<JobLedger> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .onSignal(RecoveryFailed.class, (state, failed) -> onRecoveryFailed(failed.getFailure()))
        .onSignal(PreRestart.instance(), state -> onJournalFailed())
        .onSignal(PostStop.instance(), state -> stopCoordinating())
        .build();
  }

  @Override
  public EventHandler<JobLedger, JobEvent> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((ledger, event) -> {
      if (recovering) {
        eventsReplayed++;
      }
      return (ledger == pristine ? new JobLedger() : ledger).apply(event);
    });
  }

  @Override
  public CommandHandler<Command, JobEvent, JobLedger> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Submit.class, this::onSubmit)
        .onCommand(AddInputs.class, this::onAddInputs)
        .onCommand(FromWorker.class, this::onFromWorker)
        .onCommand(WorkerGone.class, this::onWorkerGone)
        .onCommand(Tick.class, (state, tick) -> onTick(state))
        .onCommand(Flush.class, (state, flush) -> onFlush(state))
        .onCommand(HandOff.class, (state, handOff) -> onHandOff(state))
        .onCommand(WorkersChanged.class, this::onWorkersChanged)
        .onCommand(ResultFetched.class, this::onResultFetched)
        .onCommand(ResultsStored.class, this::onResultsStored)
        .onCommand(GetProgress.class, (state, get) -> {
          get.replyTo().tell(progress(state));
          return Effect().none();
        })
        .onCommand(GetStatus.class, (state, get) -> {
          get.replyTo().tell(status(state));
          return Effect().none();
        })
        .onCommand(AwaitEnd.class, this::onAwaitEnd)
        .onCommand(GetResults.class, this::onGetResults)
        .onCommand(Cancel.class, this::onCancel)
        .onCommand(Wake.class, this::onWake)
        .onCommand(Linger.class, (state, linger) -> passivate())
        .onCommand(SubmissionDeadline.class, (state, deadline) -> onSubmissionDeadline(state))
        .onCommand(Purge.class, this::onPurge)
        .build();
  }

  // ---- lifecycle ----

  private void onRecovered(JobLedger state) {
    recovering = false;
    forgetVolatileState();
    if (state.isSubmitting()) {
      context.getLog().info("job {} is being submitted: {} inputs recorded, waiting for the rest", jobId, state.total);
      awaitInputs(state);
    } else if (state.status == JobLedger.Status.RUNNING) {
      // How long a job's failover spends reading the journal (the chaos suite reads this line).
      long recoveryNanos = System.nanoTime() - recoveryStartedNanos;
      PersistenceMeters.get(context.getSystem()).coordinatorRecovered(recoveryNanos);
      String here = context.getSystem().address().toString();
      dev.tessera.runtime.dashboard.JobBoard.get(context.getSystem()).event("coordinator-recovered", here,
          String.format("job %s: coordinator recovered on %s from the journal in %.1f s (%d events replayed); %d of %d tasks "
              + "to run", jobId, here, recoveryNanos / 1e9, eventsReplayed, state.unfinished.size(), state.total),
          recoveryNanos / 1_000_000);
      context.getLog().info("job {} recovered in {} ms ({} events replayed, up to event {}): {} of {} tasks ended"
              + " before, {} to run", jobId, recoveryNanos / 1_000_000, eventsReplayed,
          lastSequenceNumber(context), state.total - state.unfinished.size(), state.total, state.unfinished.size());
      start(state);
    } else {
      // Ended, or nothing submitted (yet): answer questions for a while, then passivate.
      this.ledger = state;
      timers.startSingleTimer(Linger.INSTANCE, LINGER);
    }
  }

  /**
   * After a restart (a failed journal write): what this actor knew only in memory is dropped; the
   * journal says which tasks ended, and workers pull the others again.
   */
  private void forgetVolatileState() {
    stopCoordinating();
    handingOff = false;
    if (core != null) {
      core.dispatcher().clear();
      core = null;
    }
    commits.clear();
  }

  /**
   * The journal failed a write (or a read, during recovery): Pekko restarts this actor with
   * backoff. The requests whose writes failed get the error now; the job resumes by itself.
   */
  private void onJournalFailed() {
    stopCoordinating(); // the restarted actor says so again once it runs the job
    if (unreadable) {
      return;
    }
    String cause = storeFailure != null ? storeFailure
        : recoveryOutage != null ? recoveryOutage : PendingWrites.journalFailure(context.getSystem());
    storeFailure = null;
    recoveryOutage = null;
    int answered = pendingWrites.failAll("job " + jobId + ": " + cause + "; the job is paused and resumes by itself once"
        + " the journal works again; nothing of this request was recorded, and asking again is safe");
    context.getLog().warn("job {} paused: {}; it resumes by itself once the journal works again ({} waiting requests"
        + " answered with this error)", jobId, cause, answered);
    recovering = true;
    eventsReplayed = 0;
    recoveryStartedNanos = System.nanoTime();
  }

  /** Stops this coordinator through its shard, which keeps messages sent meanwhile for the next one. */
  private Effect<JobEvent, JobLedger> passivate() {
    if (shard == null) {
      return Effect().stop();
    }
    shard.tell(new org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.Passivate<>(context.getSelf()));
    return Effect().none();
  }

  /**
   * An event or snapshot of this job cannot be read: the job stops here, with an error naming it and
   * where its journal became unreadable, and the registry lists it as {@code unreadable} (and stops
   * waking it). Nothing is skipped, and no other job is touched.
   */
  private void onRecoveryFailed(Throwable failure) {
    if (JournalFailures.isOutage(failure)) {
      recoveryOutage = "journal read failed: " + JournalFailures.rootCause(failure) + " ("
          + JournalHealth.get(context.getSystem()).journal() + ")";
      return; // the restart that follows logs it, and tries again
    }
    if (recoveryFailed) {
      return; // Pekko signals it twice: with the cause, then wrapped in a JournalFailureException
    }
    recoveryFailed = true;
    unreadable = true;
    String where;
    try {
      long lastRead = lastSequenceNumber(context);
      where = "reading its events failed after sequence number " + lastRead + " (event " + (lastRead + 1)
          + " cannot be read, or the journal could not be reached)";
    } catch (RuntimeException stillLoadingSnapshot) {
      where = "its snapshot cannot be read";
    }
    String message = "job " + jobId + " (persistence id " + persistenceId(jobId).id() + ") cannot be recovered: "
        + where + ": " + failure;
    context.getLog().error("{}; this job stops, other jobs are not affected", message, failure);
    registry.tell(new JobRegistry.Ended(new JobStatus(jobId, null, JobStatus.UNREADABLE,
        new JobProgress(0, 0, 0, 0, 0, 0), 0, System.currentTimeMillis(), null, context.getSystem().address().toString())));
  }

  /** Starts handing out the job's unfinished tasks. */
  private void start(JobLedger state) {
    this.ledger = state;
    stopCoordinating();
    coordinatingSinceMillis = System.currentTimeMillis();
    CoordinatedJobs.get(context.getSystem()).started(jobId, coordinatingSinceMillis);
    // For operators; tools ask CoordinatedJobs (GET /jobs/coordinating) instead of reading it.
    context.getLog().info("job {} coordinating on {}", jobId, context.getSystem().address());
    timers.cancel(Linger.INSTANCE);
    core = new CoordinatorCore<>(context, jobId, state.taskType, state.options, new TaskDispatcher.JobTasks() {
      @Override
      public byte[] openInput(int task) {
        return commits.isCommitting(task) ? null : ledger.unfinished.get(task);
      }

      @Override
      public String preferredNode(int task) {
        return InputRefs.preferredNode(ledger.unfinished.get(task));
      }

      @Override
      public void attemptLost(int task, TaskLoss loss) {
        if (loss.forGood()) {
          commits.fail(task, loss.attempts(), loss.cause());
          core.logFailed(task, loss.attempts(), loss.cause());
        } else if (loss.kind() != TaskLoss.Kind.LEASE_LOST || loss.workerDeaths() > 0) {
          // A lease lost without a death changes no count: nothing to record.
          commits.count(task, loss.failures(), loss.killedNodes());
        }
      }
    }, WorkerGone::new, WorkersChanged::new, ResultFetched::new);
    state.unfinished.keySet().forEach(task -> {
      List<String> killed = state.killedNodes.getOrDefault(task, List.of());
      core.dispatcher().add(task, state.attempts.getOrDefault(task, 0), killed.size(), killed);
    });
    timers.startTimerWithFixedDelay(Tick.INSTANCE, CoordinatorCore.tickInterval(state.options));
  }

  /** This actor no longer hands out the job's tasks (ended, stopped, restarting): off {@link CoordinatedJobs}. */
  private void stopCoordinating() {
    if (core != null) {
      core.stopMetering();
    }
    if (coordinatingSinceMillis != 0) {
      CoordinatedJobs.get(context.getSystem()).stopped(jobId, coordinatingSinceMillis);
      coordinatingSinceMillis = 0;
    }
  }

  private boolean running(JobLedger state) {
    return state.status == JobLedger.Status.RUNNING && core != null;
  }

  /** The job ended (persisted): close it on the workers, answer waiters, tell the registry. */
  private void ended(JobLedger state) {
    timers.cancel(Tick.INSTANCE);
    stopCoordinating();
    JobStatus status = status(state);
    context.getLog().info("job {} {}: {}", jobId, status.state(), status.progress());
    if (core != null) {
      core.close(status.progress());
    }
    waiters.forEach(waiter -> waiter.tell(status));
    waiters.clear();
    registry.tell(new JobRegistry.Ended(status));
    timers.startSingleTimer(Linger.INSTANCE, LINGER);
  }

  // ---- submission ----

  private Effect<JobEvent, JobLedger> onSubmit(JobLedger state, Submit submit) {
    if (state.status == JobLedger.Status.NEW || state.status == JobLedger.Status.ABANDONED) {
      pendingWrites.add(submit.replyTo());
      return Effect()
          .persist(new JobEvent.JobAccepted(
              jobId, submit.taskType(), submit.options(), System.currentTimeMillis(), submit.submitter()))
          .thenRun(s -> {
            pendingWrites.written(submit.replyTo());
            awaitInputs(s);
          })
          .thenReply(submit.replyTo(), s -> StatusReply.ack());
    }
    if (!state.taskType.equals(submit.taskType())) {
      return Effect().reply(submit.replyTo(), StatusReply.error("job id " + jobId
          + " is taken by a job of task type '" + state.taskType + "'"));
    }
    if (state.isSubmitting()) {
      awaitInputs(state); // its submitter is alive
    }
    return Effect().reply(submit.replyTo(), StatusReply.ack());
  }

  private Effect<JobEvent, JobLedger> onAddInputs(JobLedger state, AddInputs add) {
    if (state.status == JobLedger.Status.NEW) {
      return Effect().reply(add.replyTo(), StatusReply.error("job " + jobId + " was not submitted"));
    }
    if (state.status == JobLedger.Status.ABANDONED) {
      return Effect().reply(add.replyTo(), StatusReply.error("job " + jobId + " was abandoned (" + state.abandonedBecause
          + "); submitting it again under the same id starts it over"));
    }
    int end = add.firstTaskId() + add.inputs().size();
    boolean recorded = add.firstTaskId() < state.total
        || (state.sealed && add.firstTaskId() == state.total && add.inputs().isEmpty());
    if (recorded) {
      String contradiction = state.contradiction(add.firstTaskId(), add.inputs(), add.last());
      if (contradiction != null) {
        return Effect().reply(add.replyTo(), StatusReply.error("job " + jobId + ": " + contradiction
            + "; a job's inputs cannot change: submit other inputs under a new job id"));
      }
      if (state.isSubmitting()) {
        awaitInputs(state);
      }
      return Effect().reply(add.replyTo(), StatusReply.ack()); // a repeated chunk
    }
    if (state.isEnded() || state.sealed) {
      return Effect().reply(add.replyTo(), StatusReply.error("job " + jobId + " takes no more tasks"));
    }
    if (add.firstTaskId() != state.total) {
      return Effect().reply(add.replyTo(), StatusReply.error("job " + jobId + ": inputs from task "
          + add.firstTaskId() + " arrived, but the next task is " + state.total));
    }
    List<JobEvent> events = new ArrayList<>(2);
    events.add(new JobEvent.TasksAdded(add.firstTaskId(), add.inputs(), add.last()));
    if (add.last() && state.unfinished.isEmpty() && add.inputs().isEmpty()) {
      events.add(new JobEvent.JobEnded(false, System.currentTimeMillis()));
    }
    pendingWrites.add(add.replyTo());
    return Effect().persist(events).thenRun(s -> {
      pendingWrites.written(add.replyTo());
      if (s.isEnded()) {
        ended(s);
      } else if (s.sealed) {
        // All inputs are recorded: only now does any task run.
        timers.cancel(SubmissionDeadline.INSTANCE);
        PersistenceMeters.get(context.getSystem()).coordinatorStarted();
        start(s);
        core.dispatcher().dispatch();
      } else {
        awaitInputs(s);
      }
    }).thenReply(add.replyTo(), s -> StatusReply.ack());
  }

  /** A job being submitted waits for its next inputs, until {@code submission-timeout} passes without any. */
  private void awaitInputs(JobLedger state) {
    this.ledger = state;
    timers.cancel(Linger.INSTANCE);
    timers.startSingleTimer(SubmissionDeadline.INSTANCE, submissionTimeout);
  }

  /** Nothing came from the submitter for too long: the job ends without running anything. */
  private Effect<JobEvent, JobLedger> onSubmissionDeadline(JobLedger state) {
    if (!state.isSubmitting()) {
      return Effect().none();
    }
    String reason = "its submission stopped after " + state.total + " inputs: nothing more came within "
        + submissionTimeout.toSeconds() + " s, and nothing of it ran";
    context.getLog().warn("job {} abandoned: {}", jobId, reason);
    return Effect().persist(new JobEvent.SubmissionAbandoned(reason, System.currentTimeMillis())).thenRun(this::ended);
  }

  // ---- work pulling ----

  private Effect<JobEvent, JobLedger> onFromWorker(JobLedger state, FromWorker message) {
    if (!running(state)) {
      if (state.isEnded()) {
        message.message().worker().tell(new WorkerMessage.JobClosed(jobId));
      }
      return Effect().none();
    }
    core.fromWorker(message.message(), state.total, commits::complete);
    scheduleFlush();
    return Effect().none();
  }

  private Effect<JobEvent, JobLedger> onWorkerGone(JobLedger state, WorkerGone gone) {
    if (running(state)) {
      core.workerGone(gone.worker());
      scheduleFlush();
    } else {
      context.unwatch(gone.worker());
    }
    return Effect().none();
  }

  private Effect<JobEvent, JobLedger> onTick(JobLedger state) {
    if (!running(state)) {
      return Effect().none();
    }
    core.tick(progress(state), !state.unfinished.isEmpty()).ifPresent(cause -> {
      for (Integer task : state.unfinished.keySet()) {
        commits.failIfOpen(task, state.attempts.getOrDefault(task, 0), cause);
      }
    });
    scheduleFlush();
    return Effect().none();
  }

  private Effect<JobEvent, JobLedger> onResultFetched(JobLedger state, ResultFetched fetched) {
    if (running(state)) {
      core.resultFetched(fetched.fetched(), commits::complete);
      scheduleFlush();
    }
    return Effect().none();
  }

  private Effect<JobEvent, JobLedger> onWorkersChanged(JobLedger state, WorkersChanged changed) {
    if (running(state)) {
      core.workersChanged(changed.listing());
    }
    return Effect().none();
  }

  private void scheduleFlush() {
    if (commits.needsFlush()) {
      context.getSelf().tell(Flush.INSTANCE);
    }
  }

  /**
   * Group commit: everything buffered since the last write goes to the journal in one write. While
   * it is written, new messages wait (the behaviour stashes them) and then fill the next one.
   */
  private Effect<JobEvent, JobLedger> onFlush(JobLedger state) {
    commits.flushing();
    if (!running(state)) {
      return Effect().none();
    }
    if (!handingOff) {
      storeLargeResults();
    }
    List<Integer> ending = new ArrayList<>();
    List<JobEvent> events = commits.take(state, ending);
    if (events.isEmpty()) {
      return Effect().none();
    }
    return Effect().persist(events).thenRun(s -> {
      for (Integer task : ending) {
        commits.written(task);
        core.dispatcher().ended(task);
      }
      if (s.isEnded()) {
        ended(s);
      }
    });
  }

  /** Starts writing the large results that wait, unless a store is under way (its answer starts the next). */
  private void storeLargeResults() {
    commits.startStoring().ifPresent(store -> context.pipeToSelf(blobs.store(jobId, store.results()),
        (stored, error) -> new ResultsStored(store.number(), stored, error)));
  }

  /**
   * Large results are committed in their table: they join the next journal write. A failed store
   * restarts this actor (with the journal's backoff): its tasks are not committed, and the journal
   * says which are; the job resumes by itself once the database works again.
   */
  private Effect<JobEvent, JobLedger> onResultsStored(JobLedger state, ResultsStored stored) {
    if (stored.error() != null) {
      if (!commits.storeFailed(stored.number()) || !running(state)) {
        return Effect().none(); // stale, or the job ended meanwhile: nothing of it is lost
      }
      if (handingOff) {
        return Effect().stop(); // the next coordinator runs those tasks again
      }
      Throwable cause = stored.error() instanceof CompletionException && stored.error().getCause() != null
          ? stored.error().getCause() : stored.error();
      storeFailure = "storing large results in " + blobs.describe() + " failed: " + JournalFailures.rootCause(cause);
      throw new ResultsNotStored("job " + jobId + ": " + storeFailure, cause);
    }
    if (commits.stored(stored.number(), stored.stored())) {
      if (handingOff) {
        return running(state) ? writeAndStop(state) : Effect().stop();
      }
      scheduleFlush();
    }
    return Effect().none();
  }

  /**
   * Sharding moves this job elsewhere (its node is leaving, or it passivates): results and counts
   * received but not yet written are written first, so the next coordinator finds every commit;
   * large results are stored first (one store; those that arrive meanwhile run again elsewhere).
   */
  private Effect<JobEvent, JobLedger> onHandOff(JobLedger state) {
    if (!running(state)) {
      return Effect().stop();
    }
    storeLargeResults();
    if (commits.isStoring()) {
      context.getLog().info("job {}: handing over to another node once the large results being stored are written", jobId);
      handingOff = true;
      return Effect().none();
    }
    return writeAndStop(state);
  }

  /** Writes what is buffered, then stops. */
  private Effect<JobEvent, JobLedger> writeAndStop(JobLedger state) {
    List<JobEvent> events = commits.take(state, new ArrayList<>());
    if (events.isEmpty()) {
      return Effect().stop();
    }
    context.getLog().info("job {}: handing over to another node after writing {} buffered events", jobId, events.size());
    return Effect().persist(events).thenStop();
  }

  // ---- queries and operations ----

  private Effect<JobEvent, JobLedger> onAwaitEnd(JobLedger state, AwaitEnd await) {
    if (state.isEnded() || state.status == JobLedger.Status.NEW) {
      await.replyTo().tell(status(state));
    } else {
      waiters.add(await.replyTo());
    }
    return Effect().none();
  }

  private Effect<JobEvent, JobLedger> onGetResults(JobLedger state, GetResults get) {
    if (!state.isEnded()) {
      return Effect().reply(get.replyTo(), StatusReply.error("job " + jobId + " is " + status(state).state()
          + "; its results can be read once it has ended"));
    }
    if (state.status == JobLedger.Status.PURGED) {
      return Effect().reply(get.replyTo(), StatusReply.error("job " + jobId + " was purged"));
    }
    if (state.status == JobLedger.Status.ABANDONED) {
      return Effect().reply(get.replyTo(), StatusReply.error("job " + jobId + " was abandoned: " + state.abandonedBecause));
    }
    return Effect().reply(get.replyTo(), StatusReply.success(state.resultsPage(get.fromTask(), MAX_PAGE_BYTES)));
  }

  private Effect<JobEvent, JobLedger> onCancel(JobLedger state, Cancel cancel) {
    if (state.status != JobLedger.Status.RUNNING) {
      return Effect().reply(cancel.replyTo(), state.status == JobLedger.Status.NEW
          ? StatusReply.error("job " + jobId + " does not exist")
          : StatusReply.ack());
    }
    return Effect().persist(new JobEvent.JobEnded(true, System.currentTimeMillis()))
        .thenRun(this::ended)
        .thenReply(cancel.replyTo(), s -> StatusReply.ack());
  }

  private Effect<JobEvent, JobLedger> onWake(JobLedger state, Wake wake) {
    if (state.status == JobLedger.Status.NEW) {
      // Registered but not submitted: the submission may be on its way (the registry decides,
      // from its age, when it was abandoned). This coordinator passivates after LINGER.
      registry.tell(new JobRegistry.Ended(status(state)));
      return Effect().none();
    }
    if (state.isEnded()) {
      registry.tell(new JobRegistry.Ended(status(state))); // in case the first notice was lost
    }
    return Effect().none();
  }

  private Effect<JobEvent, JobLedger> onPurge(JobLedger state, Purge purge) {
    if (state.status == JobLedger.Status.RUNNING) {
      return Effect().reply(purge.replyTo(), StatusReply.error("job " + jobId + " is running; cancel it first"));
    }
    // Its large results go after its events: a job whose events outlive them would be unreadable.
    JournalPurger.start(context.getSystem(), persistenceId(jobId).id(), () -> blobs.enabled()
        ? blobs.delete(jobId).thenApply(rows -> Done.getInstance())
        : CompletableFuture.completedFuture(Done.getInstance()), purge.replyTo());
    return Effect().stop();
  }

  private JobProgress progress(JobLedger state) {
    int failed = state.failures.size();
    if (core == null) {
      return new JobProgress(state.total, state.done, 0, failed, 0, 0);
    }
    return core.progress(state.total, state.done, failed);
  }

  private JobStatus status(JobLedger state) {
    String name = switch (state.status) {
      case NEW -> JobStatus.UNKNOWN;
      case RUNNING -> state.sealed ? JobStatus.RUNNING : JobStatus.SUBMITTING;
      case FINISHED -> JobStatus.FINISHED;
      case CANCELLED -> JobStatus.CANCELLED;
      case PURGED -> JobStatus.PURGED;
      case ABANDONED -> JobStatus.ABANDONED;
    };
    String problem = state.status == JobLedger.Status.ABANDONED ? state.abandonedBecause
        : state.status == JobLedger.Status.RUNNING
            ? JournalHealth.get(context.getSystem()).failure().map(f -> f.describe() + "; paused until it works again")
                .orElse(null)
            : null;
    return new JobStatus(jobId, state.taskType, name, progress(state), state.submittedAtMillis, state.endedAtMillis,
        state.submitter, context.getSystem().address().toString(), problem, coordinatingSinceMillis);
  }
}
