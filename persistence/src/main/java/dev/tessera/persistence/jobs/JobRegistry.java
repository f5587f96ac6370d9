package dev.tessera.persistence.jobs;

import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.runtime.serialization.CborSerializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The list of durable jobs, one per cluster (a cluster singleton, event-sourced): which jobs were
 * submitted, which ended and how. It wakes the coordinators of unfinished jobs when it starts
 * (after a whole-cluster restart), when a member is removed (a crashed node's jobs restart
 * elsewhere) and every {@code wake-interval}, and it answers the {@code jobs} command.
 *
 * <p>A journal that fails (disk full, database down) restarts it with backoff, never stops it: a
 * request whose write failed is answered with the journal's error, and it resumes by itself once
 * the journal works again (see {@link PendingWrites}).
 *
 * <p>Threading: an actor.
 *
 * <pre>{@code
 * ActorRef<JobRegistry.Command> registry = DurableJobs.get(system).registry();
 * registry.tell(new JobRegistry.ListJobs(replyTo));
 * }</pre>
 */
public final class JobRegistry extends EventSourcedBehavior<JobRegistry.Command, JobRegistry.Event, JobRegistry.State> {

  /** Messages the registry handles. */
  public sealed interface Command extends CborSerializable {}

  /** A job is about to be submitted; acknowledged once durable. */
  public record Register(String jobId, String taskType, long submittedAtMillis, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** A job ended (its coordinator tells, possibly more than once). */
  public record Ended(JobStatus status) implements Command {}

  /** Replies with every job the registry knows. */
  public record ListJobs(ActorRef<JobList> replyTo) implements Command {}

  /** Forgets a purged job. */
  public record Forget(String jobId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  private enum WakeAll implements Command {
    INSTANCE
  }

  private record MemberRemoved(ClusterEvent.MemberRemoved removed) implements Command {}

  /** What the registry knows of one job. */
  public record Entry(String jobId, String taskType, String state, long submittedAtMillis, long endedAtMillis,
      int total, int done, int failed) implements CborSerializable {}

  /** The registry's answer to {@link ListJobs}, oldest job first. */
  public record JobList(List<Entry> jobs) implements CborSerializable {
    public JobList {
      jobs = List.copyOf(jobs);
    }
  }

  /** The registry's events. */
  public sealed interface Event extends CborSerializable {}

  public record JobRegistered(String jobId, String taskType, long submittedAtMillis) implements Event {}

  public record JobEndedRecorded(JobStatus status) implements Event {}

  public record JobForgotten(String jobId) implements Event {}

  /** The registry's state (also its snapshot): jobs by id, in submission order. */
  public record State(Map<String, Entry> jobs) implements CborSerializable {
    State apply(Event event) {
      Map<String, Entry> next = new LinkedHashMap<>(jobs);
      if (event instanceof JobRegistered r) {
        Entry old = next.get(r.jobId());
        if (old == null || old.state().equals(JobStatus.ABANDONED)) { // an abandoned job submitted again
          next.put(r.jobId(), new Entry(r.jobId(), r.taskType(), JobStatus.RUNNING, r.submittedAtMillis(), 0, 0, 0, 0));
        }
      } else if (event instanceof JobEndedRecorded e) {
        JobStatus s = e.status();
        Entry old = next.get(s.jobId());
        next.put(s.jobId(), new Entry(s.jobId(), s.taskType() != null ? s.taskType() : old == null ? "?" : old.taskType(),
            s.state(), old == null ? s.submittedAtMillis() : old.submittedAtMillis(), s.endedAtMillis(),
            s.progress().total(), s.progress().done(), s.progress().failed()));
      } else if (event instanceof JobForgotten f) {
        next.remove(f.jobId());
      }
      return new State(next);
    }
  }

  static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("tessera-job-registry");

  private final ActorContext<Command> context;
  private final Consumer<String> wake;
  private final TimerScheduler<Command> timers;
  private final Duration wakeInterval;
  private final PendingWrites pendingWrites = new PendingWrites();

  /**
   * @param wake wakes the coordinator of a job (through sharding)
   * @param wakeInterval how often unfinished jobs are woken, as a backstop
   */
  public static Behavior<Command> create(Consumer<String> wake, Duration wakeInterval) {
    Objects.requireNonNull(wake, "wake");
    return Behaviors.setup(context -> Behaviors.withTimers(
        timers -> new JobRegistry(context, timers, wake, wakeInterval)));
  }

  private JobRegistry(ActorContext<Command> context, TimerScheduler<Command> timers, Consumer<String> wake,
      Duration wakeInterval) {
    super(PERSISTENCE_ID, PendingWrites.backoff(context.getSystem()));
    this.context = context;
    this.timers = timers;
    this.wake = wake;
    this.wakeInterval = wakeInterval;
    context.setLoggerName(JobRegistry.class);
  }

  @Override
  public State emptyState() {
    return new State(Map.of());
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
    return RetentionCriteria.snapshotEvery(200, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          long unfinished = state.jobs().values().stream().filter(e -> e.state().equals(JobStatus.RUNNING)).count();
          context.getLog().info("job registry started on {}: {} jobs, {} unfinished", context.getSystem().address(),
              state.jobs().size(), unfinished);
          wakeUnfinished(state);
          timers.startTimerWithFixedDelay(WakeAll.INSTANCE, wakeInterval);
          ActorRef<ClusterEvent.MemberRemoved> removed = context.messageAdapter(ClusterEvent.MemberRemoved.class,
              MemberRemoved::new);
          Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(removed, ClusterEvent.MemberRemoved.class));
        })
        .onSignal(RecoveryFailed.class, (state, failed) -> context.getLog().warn(
            "the job registry cannot read its journal ({}); trying again with backoff", failed.getFailure().toString()))
        .onSignal(PreRestart.instance(), state -> {
          String cause = PendingWrites.journalFailure(context.getSystem());
          int answered = pendingWrites.failAll("the job registry: " + cause + "; nothing of this request was recorded,"
              + " and asking again is safe");
          context.getLog().warn("the job registry restarts after a journal failure: {} ({} waiting requests answered"
              + " with this error)", cause, answered);
        })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(Ended.class, this::onEnded)
        .onCommand(ListJobs.class, (state, list) -> {
          list.replyTo().tell(new JobList(new ArrayList<>(state.jobs().values())));
          return Effect().none();
        })
        .onCommand(Forget.class, this::onForget)
        .onCommand(WakeAll.class, (state, tick) -> {
          wakeUnfinished(state);
          return Effect().none();
        })
        .onCommand(MemberRemoved.class, (state, removed) -> {
          wakeUnfinished(state);
          return Effect().none();
        })
        .build();
  }

  private Effect<Event, State> onRegister(State state, Register register) {
    Entry entry = state.jobs().get(register.jobId());
    if (entry != null && !entry.state().equals(JobStatus.ABANDONED)) {
      return Effect().reply(register.replyTo(), StatusReply.ack());
    }
    pendingWrites.add(register.replyTo());
    return Effect()
        .persist(new JobRegistered(register.jobId(), register.taskType(), register.submittedAtMillis()))
        .thenRun(s -> pendingWrites.written(register.replyTo()))
        .thenReply(register.replyTo(), s -> StatusReply.ack());
  }

  private Effect<Event, State> onForget(State state, Forget forget) {
    if (!state.jobs().containsKey(forget.jobId())) {
      return Effect().reply(forget.replyTo(), StatusReply.ack());
    }
    pendingWrites.add(forget.replyTo());
    return Effect().persist(new JobForgotten(forget.jobId()))
        .thenRun(s -> pendingWrites.written(forget.replyTo()))
        .thenReply(forget.replyTo(), s -> StatusReply.ack());
  }

  private Effect<Event, State> onEnded(State state, Ended ended) {
    Entry entry = state.jobs().get(ended.status().jobId());
    if (entry == null) {
      return Effect().none(); // forgotten (purged)
    }
    boolean open = entry.state().equals(JobStatus.RUNNING) || entry.state().equals(JobStatus.UNKNOWN);
    if (!open || entry.state().equals(ended.status().state())) {
      return Effect().none(); // already recorded: coordinators repeat it
    }
    if (ended.status().state().equals(JobStatus.UNKNOWN)
        && System.currentTimeMillis() - entry.submittedAtMillis() < ABANDONED_AFTER.toMillis()) {
      return Effect().none(); // registered, its submission may still be on its way
    }
    return Effect().persist(new JobEndedRecorded(ended.status()));
  }

  /**
   * A job registered this long ago whose coordinator still knows nothing of it was abandoned (its
   * submitter died between registering and submitting); it is listed as {@code unknown}, and
   * recorded properly if its submission arrives after all.
   */
  static final Duration ABANDONED_AFTER = Duration.ofMinutes(5);

  private void wakeUnfinished(State state) {
    for (Entry entry : state.jobs().values()) {
      if (entry.state().equals(JobStatus.RUNNING)) {
        wake.accept(entry.jobId());
      }
    }
  }
}
