package dev.tessera.samples.gpt;

import dev.tessera.persistence.checkpoint.Checkpoints;
import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Drives synchronous data-parallel training over the {@link GptReplica}s of the cluster.
 *
 * <p>Each step, the batch's shards are dealt round-robin to the replicas in use; each replica sends
 * back its shards' summed gradients; the trainer adds them up <em>in shard order</em>, divides by the
 * number of targets scored, takes the AdamW step on its own copy of the state, and sends the mean
 * gradient to every replica, which takes the same step. This all-reduce is a reduce to one place
 * and a broadcast back (a tree of depth one): each gradient crosses the network twice per replica
 * and step, as in a ring, but a replica that dies or stalls costs only its shard, never the ring,
 * and the one fixed order of the additions makes every step's numbers independent of how many
 * replicas there are, which replica computed which shard, and of restarts: N replicas and one give
 * the same bits, and a resumed run the same loss curve.
 *
 * <p>The arrays travel through the object store, the messages carry refs: a replica puts its
 * gradient in its node's store and the trainer fetches it from there (read off this actor's
 * thread, then handed to it); the trainer puts each step's mean gradient once, and every replica
 * fetches it, as it does the state it is loaded with.
 *
 * <p>Faults: a step has a deadline ({@link Plan#stepDeadline}); a replica that has not delivered a
 * shard by then, or whose actor or node is gone (death watch, the Receptionist), is replaced: it is
 * dropped from the run and its shard computed again by another (a replica found since, loaded
 * with the current state first, or one already in use). A replica that reports it holds no state
 * ({@link GptReplica.NotReady}) is loaded again; one whose parameters' fingerprint differs from the
 * trainer's after a step is loaded again too. Every {@link Plan#checkpointEvery} steps, and at the
 * end, the state is saved through {@link Checkpoints}; a run that is stopped, or loses its trainer,
 * starts again from there.
 *
 * <p>Threading: an actor; {@code done} is completed and {@code status} written from its thread.
 */
public final class DataParallelTrainer extends AbstractBehavior<DataParallelTrainer.Command> {

  /**
   * What to run.
   *
   * @param run the run's name (its checkpoints' id is {@code gpt/<run>})
   * @param steps the step to reach
   * @param checkpointEvery save a checkpoint at every multiple of this (and at the last step)
   * @param replicas how many replicas to use; 0 for every one there is
   * @param stepDeadline how long a replica may take for its shards before it is replaced
   * @param stallTimeout how long the run waits with no replica answering before it fails
   */
  public record Plan(String run, TrainingSetup setup, long steps, long checkpointEvery, int replicas,
      Duration stepDeadline, Duration stallTimeout) {
    public Plan {
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(setup, "setup");
      if (steps < 0 || checkpointEvery < 1 || replicas < 0) {
        throw new IllegalArgumentException("steps must be >= 0, checkpoint-every >= 1 and replicas >= 0");
      }
      if (stepDeadline.isNegative() || stepDeadline.isZero() || stallTimeout.compareTo(stepDeadline) <= 0) {
        throw new IllegalArgumentException("the step deadline must be positive and the stall timeout longer; got "
            + stepDeadline + " and " + stallTimeout);
      }
    }
  }

  /**
   * Where a run stands, for a progress bar.
   *
   * @param step updates made
   * @param loss the last step's training loss (NaN before the first)
   * @param replicas replicas in use
   */
  public record Status(long step, double loss, long checkpointed, int replicas, int replaced) {}

  /**
   * How a run ended.
   *
   * @param last the state at the plan's last step (also its last checkpoint)
   * @param replicas the most replicas in use at once
   * @param replaced replicas replaced (missed a deadline, or went away)
   * @param reloads times a replica was loaded again (lost its state, or diverged)
   * @param steps steps computed by this run (not those before the checkpoint it started from)
   * @param seconds wall time of those steps
   * @param computeSeconds the part of it the slowest replica of each step spent computing gradients;
   *     the rest went to the all-reduce (sending, adding, applying) and to waiting
   */
  public record Outcome(TrainingCheckpoint last, int replicas, int replaced, int reloads, long steps, double seconds,
      double computeSeconds) {}

  public sealed interface Command
      permits FromReplica, GradientRead, ReplicasChanged, ReplicaGone, Saved, SaveFailed, Tick {}

  private record FromReplica(GptReplica.Reply reply) implements Command {}

  /** A replica's gradient, read from its node's store: {@code values}, or why not ({@code error}). */
  private record GradientRead(GptReplica.Gradient gradient, float[] values, Throwable error) implements Command {}

  private record ReplicasChanged(Receptionist.Listing listing) implements Command {}

  private record ReplicaGone(ActorRef<GptReplica.Command> replica) implements Command {}

  private record Saved(long step) implements Command {}

  private record SaveFailed(long step, Throwable cause) implements Command {}

  private enum Tick implements Command { INSTANCE }

  private static final Duration TICK = Duration.ofMillis(200);
  /** Loads of one replica in a row, within one step, after which it is dropped instead. */
  private static final int MAX_RELOADS_PER_STEP = 3;

  private final Plan plan;
  private final Checkpoints checkpoints;
  private final CompletableFuture<Outcome> done;
  private final AtomicReference<Status> status;
  private final ActorRef<GptReplica.Reply> replies;
  private final int parameterCount;
  private final long epoch;

  // The state after `step` updates.
  private final float[] params;
  private final AdamW optimizer;
  private final List<Double> losses;
  private long step;
  private long checkpointed;
  /** Fingerprints of the trainer's parameters after recent steps. */
  private final TreeMap<Long, Long> fingerprints = new TreeMap<>();
  /**
   * What this trainer put in its node's store for the replicas to read, by step: the state loaded
   * into replicas, and the mean gradients they apply. Kept one step back (a replica reads the last
   * step's before it computes the next), released after that and when the run ends.
   */
  private final TreeMap<Long, DataRef<byte[]>> states = new TreeMap<>();
  private final TreeMap<Long, DataRef<byte[]>> means = new TreeMap<>();

  /** Every replica the Receptionist lists. */
  private final Set<ActorRef<GptReplica.Command>> known = new HashSet<>();
  /** Replicas in use, in the order shards are dealt to them. */
  private final List<ActorRef<GptReplica.Command>> active = new ArrayList<>();
  /** Replicas dropped from this run; used again only when no other is left. */
  private final Set<ActorRef<GptReplica.Command>> dropped = new HashSet<>();
  /** Replicas sent a Load whose Loaded has not come: the step they were loaded at. */
  private final Map<ActorRef<GptReplica.Command>, Long> loading = new HashMap<>();
  private final Map<ActorRef<GptReplica.Command>, Integer> reloadsThisStep = new HashMap<>();

  // The step being computed (step + 1).
  private boolean started;
  private boolean computing;
  private final Map<Integer, ActorRef<GptReplica.Command>> owners = new TreeMap<>();
  private final Map<Integer, ShardResult> results = new TreeMap<>();
  private long stepStarted;
  private long deadline;
  private long lastHeard;

  private int replaced;
  private int mostReplicas;
  private int reloads;
  private long stepsRun;
  private long runNanos;
  private long computeNanos;
  private boolean finished;

  private record ShardResult(float[] gradient, double lossSum, int scored, long nanos,
      ActorRef<GptReplica.Command> replica) {}

  private DataParallelTrainer(ActorContext<Command> context, Plan plan, TrainingCheckpoint start, Checkpoints checkpoints,
      CompletableFuture<Outcome> done, AtomicReference<Status> status) {
    super(context);
    context.setLoggerName(DataParallelTrainer.class);
    this.plan = plan;
    this.checkpoints = checkpoints;
    this.done = done;
    this.status = status;
    this.replies = context.messageAdapter(GptReplica.Reply.class, FromReplica::new);
    this.parameterCount = plan.setup().config().parameterCount();
    long e;
    do {
      e = ThreadLocalRandom.current().nextLong();
    } while (e == 0);
    this.epoch = e;
    this.params = start.parameters();
    this.optimizer = start.optimizer();
    this.losses = new ArrayList<>();
    for (double loss : start.lossCurve()) {
      losses.add(loss);
    }
    this.step = start.step();
    this.checkpointed = start.step();
    fingerprints.put(step, ExactFloats.fingerprint(params));
    this.lastHeard = System.nanoTime();
    publishStatus();
  }

  /**
   * Runs {@code plan} from {@code start} (step 0, or a checkpoint of the same setup).
   *
   * @param done completed with the outcome, or with the error that ended the run
   * @param status kept up to date for progress displays
   */
  public static Behavior<Command> create(Plan plan, TrainingCheckpoint start, Checkpoints checkpoints,
      CompletableFuture<Outcome> done, AtomicReference<Status> status) {
    if (!start.setup().equals(plan.setup())) {
      throw new IllegalArgumentException("the start state is of another setup (" + start.setup() + ") than the plan's ("
          + plan.setup() + ")");
    }
    return Behaviors.setup(context -> Behaviors.withTimers((TimerScheduler<Command> timers) -> {
      DataParallelTrainer trainer = new DataParallelTrainer(context, plan, start, checkpoints, done, status);
      if (start.step() >= plan.steps()) {
        trainer.finished = true;
        done.complete(new Outcome(start, 0, 0, 0, 0, 0, 0));
        return Behaviors.stopped();
      }
      timers.startTimerWithFixedDelay(Tick.INSTANCE, TICK);
      context.getSystem().receptionist().tell(Receptionist.subscribe(GptReplica.SERVICE_KEY,
          context.messageAdapter(Receptionist.Listing.class, ReplicasChanged::new)));
      return trainer;
    }));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(FromReplica.class, from -> finished ? this : onReply(from.reply()))
        .onMessage(GradientRead.class, read -> finished ? this : onGradientRead(read))
        .onMessage(ReplicasChanged.class, this::onListing)
        .onMessage(ReplicaGone.class, gone -> finished ? this : onGone(gone.replica(), "its actor or node is gone"))
        .onMessage(Saved.class, this::onSaved)
        .onMessage(SaveFailed.class, failed -> fail(new IllegalStateException("the checkpoint of step " + failed.step()
            + " could not be saved: " + failed.cause().getMessage(), failed.cause())))
        .onMessage(Tick.class, tick -> onTick())
        .onSignal(PostStop.class, stopped -> onStopped())
        .build();
  }

  /**
   * Stopped before the run ended: its node's actor system terminated (downed by the split brain
   * resolver, or shut down), or the actor failed. The run ends with the reason, never silently.
   */
  private Behavior<Command> onStopped() {
    if (!done.isDone()) {
      done.completeExceptionally(new IllegalStateException(String.format("run '%s' stopped at step %d: its trainer"
          + " stopped (this node was downed by the split brain resolver, or shut down, or the trainer failed: see"
          + " the log); its checkpoint at step %d is kept: start the run again to resume from it", plan.run(), step,
          checkpointed)));
    }
    return this;
  }

  // ---- replicas found and lost

  private Behavior<Command> onListing(ReplicasChanged changed) {
    Set<ActorRef<GptReplica.Command>> now = changed.listing().getServiceInstances(GptReplica.SERVICE_KEY);
    for (ActorRef<GptReplica.Command> replica : now) {
      if (known.add(replica)) {
        getContext().watchWith(replica, new ReplicaGone(replica));
      }
    }
    for (ActorRef<GptReplica.Command> replica : new ArrayList<>(known)) {
      if (!now.contains(replica)) {
        known.remove(replica);
        if (active.contains(replica) && !finished) {
          onGone(replica, "it left the Receptionist's listing (its node left or is down)");
        }
      }
    }
    if (finished) {
      return this;
    }
    if (!started) {
      int wanted = plan.replicas() == 0 ? 1 : plan.replicas();
      if (known.size() >= wanted) {
        started = true;
        recruit();
        startStep();
      }
    } else {
      recruit();
      reassignOrphans();
      startStep();
    }
    return this;
  }

  /** Brings the replicas in use up to the plan's number (all there are for 0), loading each. */
  private void recruit() {
    int wanted = plan.replicas() == 0 ? Integer.MAX_VALUE : plan.replicas();
    List<ActorRef<GptReplica.Command>> candidates = new ArrayList<>(known);
    candidates.removeAll(active);
    // Replicas never dropped first, then by address: the same choice on every run.
    candidates.sort(Comparator.comparing((ActorRef<GptReplica.Command> r) -> dropped.contains(r))
        .thenComparing(r -> r.path().toString()));
    for (ActorRef<GptReplica.Command> replica : candidates) {
      if (active.size() >= wanted) {
        break;
      }
      if (dropped.contains(replica) && !active.isEmpty()) {
        break; // a dropped replica only when no other is left
      }
      dropped.remove(replica);
      active.add(replica);
      load(replica);
    }
  }

  private void load(ActorRef<GptReplica.Command> replica) {
    // Put once a step, however many replicas load it.
    DataRef<byte[]> state = states.computeIfAbsent(step, s -> {
      float[] all = new float[3 * parameterCount];
      AdamW.State adam = optimizer.state();
      System.arraycopy(params, 0, all, 0, parameterCount);
      System.arraycopy(adam.firstMoment(), 0, all, parameterCount, parameterCount);
      System.arraycopy(adam.secondMoment(), 0, all, 2 * parameterCount, parameterCount);
      return Data.put(getContext().getSystem(), ExactFloats.toBytes(all));
    });
    replica.tell(new GptReplica.Load(epoch, plan.setup(), step, state, replies));
    loading.put(replica, step);
  }

  /** A replica left, died or stalled: it is dropped, and its missing shards go to others. */
  private Behavior<Command> onGone(ActorRef<GptReplica.Command> replica, String why) {
    if (!active.remove(replica)) {
      return this;
    }
    dropped.add(replica);
    loading.remove(replica);
    replaced++;
    replica.tell(new GptReplica.Release(epoch));
    getContext().getLog().warn("run {}: replica {} is replaced at step {}: {}", plan.run(), replica.path(), step + 1, why);
    recruit();
    if (active.isEmpty()) {
      getContext().getLog().warn("run {}: no replica left; waiting for one (stall timeout {})", plan.run(),
          plan.stallTimeout());
    }
    reassignOrphans();
    publishStatus();
    return this;
  }

  // ---- one step

  private void startStep() {
    if (computing || active.isEmpty() || step >= plan.steps()) {
      return;
    }
    computing = true;
    mostReplicas = Math.max(mostReplicas, active.size());
    owners.clear();
    results.clear();
    reloadsThisStep.clear();
    stepStarted = System.nanoTime();
    deadline = stepStarted + plan.stepDeadline().toNanos();
    for (int shard = 0; shard < plan.setup().shards(); shard++) {
      assign(shard, active.get(shard % active.size()));
    }
  }

  private void assign(int shard, ActorRef<GptReplica.Command> replica) {
    owners.put(shard, replica);
    replica.tell(new GptReplica.Compute(epoch, step + 1, shard, replies));
  }

  /** Gives every shard still missing whose replica is no longer in use to one that is. */
  private void reassignOrphans() {
    if (!computing || active.isEmpty()) {
      return;
    }
    int next = 0;
    boolean moved = false;
    for (Map.Entry<Integer, ActorRef<GptReplica.Command>> owner : new ArrayList<>(owners.entrySet())) {
      if (!active.contains(owner.getValue()) && !results.containsKey(owner.getKey())) {
        ActorRef<GptReplica.Command> to = leastLoaded(next++);
        getContext().getLog().info("run {}: shard {} of step {} goes to {}", plan.run(), owner.getKey(), step + 1,
            to.path());
        assign(owner.getKey(), to);
        moved = true;
      }
    }
    if (moved) {
      deadline = System.nanoTime() + plan.stepDeadline().toNanos();
    }
  }

  /** The replica in use with the fewest shards still to deliver this step (ties: in order, from {@code offset}). */
  private ActorRef<GptReplica.Command> leastLoaded(int offset) {
    Map<ActorRef<GptReplica.Command>, Integer> pending = new LinkedHashMap<>();
    for (int i = 0; i < active.size(); i++) {
      pending.put(active.get((i + offset) % active.size()), 0);
    }
    owners.forEach((shard, owner) -> {
      if (!results.containsKey(shard) && pending.containsKey(owner)) {
        pending.merge(owner, 1, Integer::sum);
      }
    });
    return pending.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  private Behavior<Command> onReply(GptReplica.Reply reply) {
    if (reply instanceof GptReplica.Gradient g) {
      return onGradient(g);
    } else if (reply instanceof GptReplica.Loaded loaded && loaded.epoch() == epoch) {
      lastHeard = System.nanoTime();
      if (Objects.equals(loading.get(loaded.replica()), loaded.step())) {
        loading.remove(loaded.replica());
        Long expected = fingerprints.get(loaded.step());
        if (expected != null && expected != loaded.fingerprint()) {
          return fail(new IllegalStateException("replica " + loaded.replica().path() + " loaded other parameters than"
              + " were sent at step " + loaded.step() + ": the transfer is broken"));
        }
      }
    } else if (reply instanceof GptReplica.Applied applied && applied.epoch() == epoch) {
      Long expected = fingerprints.get(applied.step());
      if (expected != null && expected != applied.fingerprint() && active.contains(applied.replica())) {
        getContext().getLog().warn("run {}: replica {} holds other parameters than the trainer after step {}; loading it"
            + " again", plan.run(), applied.replica().path(), applied.step());
        reload(applied.replica());
      }
    } else if (reply instanceof GptReplica.NotReady notReady && notReady.epoch() == epoch) {
      if (active.contains(notReady.replica()) && !loading.containsKey(notReady.replica())) {
        getContext().getLog().info("run {}: replica {} {}; loading it again", plan.run(), notReady.replica().path(),
            notReady.reason());
        reload(notReady.replica());
      }
    }
    return this;
  }

  /** Loads a replica in use again, then asks it again for its shards still missing. */
  private void reload(ActorRef<GptReplica.Command> replica) {
    int times = reloadsThisStep.merge(replica, 1, Integer::sum);
    if (times > MAX_RELOADS_PER_STEP) {
      onGone(replica, "it lost its state " + times + " times in one step");
      return;
    }
    reloads++;
    load(replica);
    if (computing) {
      owners.forEach((shard, owner) -> {
        if (owner.equals(replica) && !results.containsKey(shard)) {
          replica.tell(new GptReplica.Compute(epoch, step + 1, shard, replies));
        }
      });
    }
  }

  private Behavior<Command> onGradient(GptReplica.Gradient g) {
    if (!wanted(g)) {
      return this;
    }
    lastHeard = System.nanoTime();
    if (!Double.isFinite(g.lossSum())) {
      return fail(new IllegalStateException("shard " + g.shard() + " of step " + g.step() + " has loss " + g.lossSum()
          + " (replica " + g.replica().path() + "): the training diverged; lower the learning rate"));
    }
    getContext().pipeToSelf(Data.get(getContext().getSystem(), g.gradient()), (bytes, error) -> error != null
        ? new GradientRead(g, null, error) : new GradientRead(g, ExactFloats.fromBytes(bytes), null));
    return this;
  }

  /** Whether a gradient is of this run's step being computed, for a shard still missing. */
  private boolean wanted(GptReplica.Gradient g) {
    return g.epoch() == epoch && computing && g.step() == step + 1 && !results.containsKey(g.shard());
  }

  private Behavior<Command> onGradientRead(GradientRead read) {
    GptReplica.Gradient g = read.gradient();
    if (!wanted(g)) {
      return this; // another replica's copy of the shard came first, or the step is over
    }
    if (read.error() != null || read.values().length != parameterCount) {
      String why = read.error() != null ? read.error().getMessage() : read.values().length + " floats";
      getContext().getLog().warn("run {}: the gradient of shard {} from {} could not be read ({}); computing it again",
          plan.run(), g.shard(), g.replica().path(), why);
      if (!active.isEmpty()) {
        assign(g.shard(), leastLoaded(g.shard()));
      }
      return this;
    }
    results.put(g.shard(), new ShardResult(read.values(), g.lossSum(), g.scored(), g.computeNanos(), g.replica()));
    return results.size() == plan.setup().shards() ? finishStep() : this;
  }

  private Behavior<Command> finishStep() {
    float[] mean = new float[parameterCount];
    double lossSum = 0;
    long scored = 0;
    Map<ActorRef<GptReplica.Command>, Long> nanosByReplica = new HashMap<>();
    for (ShardResult result : results.values()) { // shard order: the same sum every time
      float[] g = result.gradient();
      for (int i = 0; i < parameterCount; i++) {
        mean[i] += g[i];
      }
      lossSum += result.lossSum();
      scored += result.scored();
      nanosByReplica.merge(result.replica(), result.nanos(), Long::sum);
    }
    float scale = 1f / scored;
    for (int i = 0; i < parameterCount; i++) {
      mean[i] *= scale;
    }
    double loss = lossSum / scored;
    optimizer.update(params, mean);
    step = optimizer.step();
    losses.add(loss);
    fingerprints.put(step, ExactFloats.fingerprint(params));
    while (fingerprints.size() > 64) {
      fingerprints.pollFirstEntry();
    }
    computing = false;
    results.clear();
    owners.clear();
    // Put once: every replica reads the same bytes, each fetching them once.
    DataRef<byte[]> shared = Data.put(getContext().getSystem(), ExactFloats.toBytes(mean));
    means.put(step, shared);
    for (ActorRef<GptReplica.Command> replica : active) {
      replica.tell(new GptReplica.Apply(epoch, step, shared, replies));
    }
    releaseBefore(step - 1);
    long now = System.nanoTime();
    stepsRun++;
    runNanos += now - stepStarted;
    computeNanos += nanosByReplica.values().stream().mapToLong(Long::longValue).max().orElse(0);
    lastHeard = now;
    boolean last = step >= plan.steps();
    if (last || step % plan.checkpointEvery() == 0) {
      save();
    }
    publishStatus();
    if (last) {
      return finishIfSaved();
    }
    recruit();
    startStep();
    return this;
  }

  // ---- checkpoints, deadlines, the end

  private void save() {
    TrainingCheckpoint state = snapshot();
    getContext().pipeToSelf(checkpoints.save(state.step(), state),
        (ok, error) -> error == null ? new Saved(state.step()) : new SaveFailed(state.step(), error));
  }

  private TrainingCheckpoint snapshot() {
    return TrainingCheckpoint.of(plan.setup(), params, optimizer, losses.stream().mapToDouble(Double::doubleValue).toArray());
  }

  private Behavior<Command> onSaved(Saved saved) {
    checkpointed = Math.max(checkpointed, saved.step());
    getContext().getLog().info("run {}: checkpoint at step {} saved", plan.run(), saved.step());
    publishStatus();
    return !finished && step >= plan.steps() ? finishIfSaved() : this;
  }

  private Behavior<Command> finishIfSaved() {
    if (checkpointed < plan.steps()) {
      return this; // the last checkpoint is still being written
    }
    finished = true;
    release();
    done.complete(new Outcome(snapshot(), mostReplicas, replaced, reloads, stepsRun, runNanos / 1e9, computeNanos / 1e9));
    return Behaviors.stopped();
  }

  private Behavior<Command> onTick() {
    if (finished) {
      return this;
    }
    long now = System.nanoTime();
    if (!started && now - lastHeard > plan.stallTimeout().toNanos()) {
      return fail(new IllegalStateException(String.format("run %s: only %d of the %d replicas wanted were found within"
          + " %.0f s (a replica runs on each node with role tessera.samples.gpt.replica-role); the checkpoint at step"
          + " %d is kept", plan.run(), known.size(), plan.replicas(), plan.stallTimeout().toMillis() / 1000.0,
          checkpointed)));
    }
    if (now - lastHeard > plan.stallTimeout().toNanos()) {
      return fail(new IllegalStateException(String.format("run %s: no replica has answered for %.0f s at step %d (%d"
          + " replicas known, %d in use); the checkpoint at step %d is kept", plan.run(),
          plan.stallTimeout().toMillis() / 1000.0, step + 1, known.size(), active.size(), checkpointed)));
    }
    if (!started) {
      return this;
    }
    recruit();
    reassignOrphans();
    startStep();
    if (computing && now > deadline) {
      Set<ActorRef<GptReplica.Command>> late = new HashSet<>();
      owners.forEach((shard, owner) -> {
        if (!results.containsKey(shard)) {
          late.add(owner);
        }
      });
      boolean others = active.stream().anyMatch(r -> !late.contains(r)) || known.stream().anyMatch(r -> !active.contains(r));
      if (!others) {
        deadline = now + plan.stepDeadline().toNanos(); // no one to give the shards to: wait on (to the stall timeout)
        return this;
      }
      for (ActorRef<GptReplica.Command> replica : late) {
        onGone(replica, String.format("it missed the step deadline of %.1f s", plan.stepDeadline().toMillis() / 1000.0));
      }
    }
    return this;
  }

  private Behavior<Command> fail(RuntimeException error) {
    finished = true;
    release();
    done.completeExceptionally(error);
    return Behaviors.stopped();
  }

  private void release() {
    for (ActorRef<GptReplica.Command> replica : known) {
      replica.tell(new GptReplica.Release(epoch));
    }
    releaseBefore(Long.MAX_VALUE);
  }

  /** Frees what this trainer put for the replicas before step {@code first}. */
  private void releaseBefore(long first) {
    for (TreeMap<Long, DataRef<byte[]>> puts : List.of(states, means)) {
      while (!puts.isEmpty() && puts.firstKey() < first) {
        Data.release(getContext().getSystem(), puts.pollFirstEntry().getValue());
      }
    }
  }

  private void publishStatus() {
    status.set(new Status(step, losses.isEmpty() ? Double.NaN : losses.get(losses.size() - 1), checkpointed,
        active.size(), replaced));
  }
}
