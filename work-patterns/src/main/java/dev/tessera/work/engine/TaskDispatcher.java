package dev.tessera.work.engine;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

/**
 * The volatile half of a job coordinator: which workers asked for how many tasks (cumulative
 * credits), which task is leased to whom until when, which tasks wait to be handed out, and what
 * each task's lost attempts count against. A coordinator, in memory ({@link JobCoordinator}) or
 * durable ({@code DurableJobCoordinator}), owns the job's facts (inputs, results, failures) and asks
 * this class what to send and when to give up on a worker; after a coordinator restarts, this state
 * is rebuilt from the job's facts and by announcing the job again.
 *
 * <p><b>Three ways to lose an attempt</b> ({@link TaskLoss.Kind}), counted apart:
 *
 * <ul>
 *   <li>a <em>task failure</em> (the handler threw or timed out; the lease ran out) counts against
 *       {@link JobOptions#maxAttempts()};
 *   <li>a <em>lost lease</em> (the task never started: a leaving worker handed it back, or its
 *       worker left before it started) counts nothing;
 *   <li>a <em>worker death</em> (the worker went silent, or stopped without saying it was leaving)
 *       makes every task it held a suspect, counted against {@link JobOptions#maxWorkerDeaths()}:
 *       the kind is {@code WORKER_DIED} when the worker's last report said the task ran, {@code
 *       LEASE_LOST} otherwise. A suspect is handed out alone, to a worker that holds nothing else of
 *       this job, and while suspects wait nothing else is handed out; so when a worker dies holding
 *       a suspect, the suspect is the culprit. A task present at {@code maxWorkerDeaths} deaths
 *       fails as poison, naming the nodes, and is never tried again. The first death may hold the
 *       culprit among innocent tasks, so with the default of 2 a poison task kills at most two
 *       nodes.
 * </ul>
 *
 * <p>It never leases to a worker it has seen gone, to one that said it is leaving, or to one whose
 * node {@code mayLeaseTo} refuses (the coordinator passes "its node is Up").
 *
 * <p><b>Locality.</b> A task whose input data lives on one node ({@link JobTasks#preferredNode})
 * goes to a worker on that node when one there has credit. While that node has a live worker of
 * this job, a worker elsewhere takes the task only after it has passed the task over for {@link
 * JobOptions#localityWait()}; a node without one does not hold its tasks back at all ({@link
 * TaskLocality} keeps these tasks). Suspects ignore preferences. A job whose tasks prefer no node
 * is dispatched as if locality did not exist: the preference costs it one call per added task.
 *
 * <p>Threading: not thread-safe; used by the one actor that coordinates the job.
 */
public final class TaskDispatcher {

  /** What the dispatcher needs from the job's facts. */
  /** Why tasks were taken back from a worker (the {@code reason} label of {@code tessera_tasks_taken_back_total}). */
  public enum TakeBack {
    /** The worker's actor stopped without saying it was leaving: its node was killed or crashed. */
    WORKER_KILLED,
    /** The worker was silent for longer than the silence timeout. */
    WORKER_SILENT,
    /** The worker's node left (drained, or stopped after saying so). */
    WORKER_LEFT,
    /** No answer within the task's lease. */
    LEASE_EXPIRED,
    /** The isolated JVM running the task died. */
    TASK_PROCESS_DIED;

    /** The label value: {@code worker_killed}, ... */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** What the dispatcher did, for the job's meters; called on the coordinator's thread. */
  public interface Events {
    /** Ignores everything. */
    Events NONE = new Events() {};

    /** {@code count} tasks were leased to a worker. */
    default void dispatched(int count) {}

    /** A result arrived for a task that had ended already, and was dropped. */
    default void duplicateDropped() {}

    /** {@code tasks} were taken back from a worker on {@code node}, for {@code reason}. */
    default void takenBack(TakeBack reason, Collection<Integer> tasks, String node) {}
  }

  public interface JobTasks {
    /** The input of a task still to be run; null once it has ended or its result is being committed. */
    byte[] openInput(int task);

    /** An attempt ended without a result; when {@link TaskLoss#forGood()} the task has failed. */
    void attemptLost(int task, TaskLoss loss);

    /**
     * The node that holds most of the task's input data, as its Pekko address ({@code
     * Address.toString()}, e.g. {@code pekko://tessera@10.0.0.5:25520}), or null for no preference.
     * Asked once, when the task is added.
     */
    default String preferredNode(int task) {
      return null;
    }
  }

  /** What {@link #accept} found an outcome to be. */
  public enum Verdict {
    /** The first result of an open task: the coordinator commits it. */
    RESULT,
    /** A result or failure for a task that has ended already: dropped (and counted). */
    DUPLICATE,
    /** Handled here (a failed attempt retried or given up, or a stale one ignored). */
    HANDLED
  }

  /** A task handed to a worker, until when that worker may keep it, and whether it said it started. */
  private static final class Lease {
    final ActorRef<WorkerMessage> worker;
    final int attempt;
    final long expiresNanos;
    final boolean alone;
    boolean started;

    Lease(ActorRef<WorkerMessage> worker, int attempt, long expiresNanos, boolean alone) {
      this.worker = worker;
      this.attempt = attempt;
      this.expiresNanos = expiresNanos;
      this.alone = alone;
    }
  }

  /** What the coordinator knows of one worker. */
  private static final class WorkerState {
    long requested;
    long sent;
    long lastHeardNanos;
    /** Silent for too long: its tasks were taken back and it gets none until it is heard again. */
    boolean suspected;
    /** Said its node is leaving: it gets nothing more, and losing it is not a death. */
    boolean leaving;
    /** Tasks of this job leased to it now. */
    int leased;
    /** Of those, suspects handed to it alone (0 or 1): it gets nothing else meanwhile. */
    int suspectsHeld;
    /** Its node, as {@link JobTasks#preferredNode} names nodes; found when locality first needs it. */
    String node;

    long available() {
      return suspected || leaving ? 0 : Math.max(0, requested - sent);
    }
  }

  /** What a task's lost attempts count against. */
  private static final class History {
    int failures;
    int deaths;
    final List<String> killedNodes = new ArrayList<>();
    int tries;
  }

  private final String jobId;
  private final JobOptions options;
  private final Logger log;
  private final JobTasks tasks;
  private final Consumer<ActorRef<WorkerMessage>> watch;
  private final Predicate<ActorRef<WorkerMessage>> mayLeaseTo;
  private final Function<ActorRef<WorkerMessage>, String> nodeOf;
  private final Predicate<String> workerExpectedOn;
  /** When the job's tasks were first handed out (the first dispatch): its start, for locality. */
  private long firstDispatchNanos;
  private boolean dispatchedOnce;
  /** Tasks that prefer no node, or whose preference is off. */
  private final ArrayDeque<Integer> pending = new ArrayDeque<>();
  /** Tasks that prefer a node, until they are handed out. */
  private final TaskLocality locality;
  /** Whether a task waiting to be handed out could be: open, and not leased (queued twice). */
  private final IntPredicate open;
  /** Tasks that were on a worker that died: each is handed out alone. */
  private final ArrayDeque<Integer> suspects = new ArrayDeque<>();
  private final Map<Integer, History> histories = new HashMap<>();
  private final Map<Integer, Lease> leases = new HashMap<>();
  /** Every worker that asked for work, in the order they first asked. */
  private final Map<ActorRef<WorkerMessage>, WorkerState> workers = new LinkedHashMap<>();
  /** Workers whose actor stopped: never heard or leased to again. */
  private final Set<ActorRef<WorkerMessage>> gone = new HashSet<>();
  private final WorkerSilence silence;
  private int retried;
  private int duplicatesDropped;
  private int lostLeases;
  private int workerDeaths;
  private int tasksOnPreferredNode;
  private int tasksOffPreferredNode;
  private Events events = Events.NONE;

  /** A dispatcher that may lease to any worker it hears from (no cluster to ask). */
  public TaskDispatcher(
      String jobId, JobOptions options, Logger log, JobTasks tasks, Consumer<ActorRef<WorkerMessage>> watch) {
    this(jobId, options, log, tasks, watch, worker -> true);
  }

  /**
   * A dispatcher that takes a worker's node to be its actor's address as it stands: one in this
   * actor system is on {@code pekko://<system>}, the node of no task's preference.
   */
  public TaskDispatcher(
      String jobId,
      JobOptions options,
      Logger log,
      JobTasks tasks,
      Consumer<ActorRef<WorkerMessage>> watch,
      Predicate<ActorRef<WorkerMessage>> mayLeaseTo) {
    this(jobId, options, log, tasks, watch, mayLeaseTo, worker -> worker.path().address().toString(), node -> false);
  }

  /**
   * @param watch called once per new worker, so the coordinator hears when its actor stops
   *     ({@link #workerGone})
   * @param mayLeaseTo false for a worker whose node is not Up (leaving, exiting, down, removed)
   * @param nodeOf a worker's node, named as {@link JobTasks#preferredNode} names nodes: {@link
   *     #nodesSeenFrom} the coordinator's own node; asked once per worker, and only for a job whose
   *     tasks prefer nodes
   * @param workerExpectedOn true for a node that should have a worker of this job (an Up member
   *     with the job's role): while the job is younger than its locality wait, tasks wait for such a
   *     node even before its worker has asked for work, since workers ask at their own pace once
   *     told of the job
   */
  public TaskDispatcher(
      String jobId,
      JobOptions options,
      Logger log,
      JobTasks tasks,
      Consumer<ActorRef<WorkerMessage>> watch,
      Predicate<ActorRef<WorkerMessage>> mayLeaseTo,
      Function<ActorRef<WorkerMessage>, String> nodeOf,
      Predicate<String> workerExpectedOn) {
    this.jobId = Objects.requireNonNull(jobId, "jobId");
    this.options = Objects.requireNonNull(options, "options");
    this.log = Objects.requireNonNull(log, "log");
    this.tasks = Objects.requireNonNull(tasks, "tasks");
    this.watch = Objects.requireNonNull(watch, "watch");
    this.mayLeaseTo = Objects.requireNonNull(mayLeaseTo, "mayLeaseTo");
    this.nodeOf = Objects.requireNonNull(nodeOf, "nodeOf");
    this.workerExpectedOn = Objects.requireNonNull(workerExpectedOn, "workerExpectedOn");
    this.silence = new WorkerSilence(jobId, options, log);
    this.locality = new TaskLocality(options.localityWait());
    this.open = task -> !leases.containsKey(task) && tasks.openInput(task) != null;
  }

  /** Reports what the dispatcher does to {@code events} from now on (the job's meters). */
  public void reportTo(Events events) {
    this.events = Objects.requireNonNull(events, "events");
  }

  /**
   * A worker's node as seen from the actor system at {@code self} (the coordinator's: {@code
   * system.address()}): its actor's address, or {@code self} for an actor in that system, whose
   * address has no host.
   */
  public static Function<ActorRef<WorkerMessage>, String> nodesSeenFrom(Address self) {
    Objects.requireNonNull(self, "self");
    String selfNode = self.toString();
    return worker -> {
      Address address = worker.path().address();
      return address.hasLocalScope() ? selfNode : address.toString();
    };
  }

  /** A new task, to hand out; asks the job which node it prefers. */
  public void add(int task) {
    add(task, 0, 0, List.of());
  }

  /**
   * A task to hand out that has lost attempts before (a coordinator recovering the job): {@code
   * failures} task failures, and present at {@code deaths} worker deaths on {@code killedNodes}. A
   * task with a death is a suspect, handed out alone; any other is asked which node it prefers.
   */
  public void add(int task, int failures, int deaths, List<String> killedNodes) {
    if (failures > 0 || deaths > 0) {
      History h = history(task);
      h.failures = failures;
      h.deaths = deaths;
      h.killedNodes.addAll(killedNodes);
      h.tries = failures + deaths;
    }
    if (deaths > 0) {
      suspects.add(task);
      return;
    }
    String node = locality.enabled() ? tasks.preferredNode(task) : null;
    if (node != null) {
      locality.add(task, node);
    } else {
      pending.add(task);
    }
  }

  /**
   * A result the dispatcher accepted was lost before the coordinator had it: the node storing it
   * died or failed to serve it. The task runs again (its lineage), first in the queue; a loss
   * with its node ({@code charged} false) costs it nothing, a damaged or refused result counts as
   * a failed attempt.
   */
  public void resultLost(int task, String cause, boolean charged) {
    if (tasks.openInput(task) == null || leases.containsKey(task)) {
      return; // ended meanwhile, or already running again
    }
    log.warn("job {}: the result of task {} was lost before it arrived ({}); the task runs again", jobId, task, cause);
    if (charged) {
      failed(task, "its result could not be fetched: " + cause, false);
    } else {
      leaseLost(task, "its result was lost before it arrived: " + cause);
    }
  }

  /** The task has ended (committed or failed for good): forget it. */
  public void ended(int task) {
    histories.remove(task);
    removeLease(task);
    locality.forget(task);
  }

  /**
   * Any message from a worker: it is alive, and its total request is at least this. A worker seen
   * gone is ignored.
   *
   * @return false when the worker is gone and was ignored
   */
  public boolean heard(ActorRef<WorkerMessage> worker, long requestedUpTo) {
    if (gone.contains(worker)) {
      return false;
    }
    WorkerState state = workers.computeIfAbsent(worker, w -> {
      watch.accept(w);
      return new WorkerState();
    });
    state.requested = Math.max(state.requested, requestedUpTo);
    state.lastHeardNanos = System.nanoTime();
    state.suspected = false;
    return true;
  }

  /** The worker's report of the tasks of this job it runs now: their leases are marked started. */
  public void running(ActorRef<WorkerMessage> worker, Collection<Integer> running) {
    for (Integer task : running) {
      Lease lease = leases.get(task);
      if (lease != null && lease.worker.equals(worker)) {
        lease.started = true;
      }
    }
  }

  /**
   * Applies one outcome: the first result for an open task wins (the caller commits it); failures
   * are retried within budget.
   */
  public Verdict accept(ActorRef<WorkerMessage> worker, TaskOutcome outcome) {
    int task = outcome.taskId();
    if (tasks.openInput(task) == null) {
      duplicatesDropped++;
      events.duplicateDropped();
      return Verdict.DUPLICATE;
    }
    Lease lease = leases.get(task);
    boolean current = lease != null && lease.worker.equals(worker) && lease.attempt == outcome.attempt();
    if (outcome instanceof TaskOutcome.Succeeded || outcome instanceof TaskOutcome.Stored) {
      // A valid result is a result, even from an attempt whose lease was taken back. If the task
      // also waits to be handed out again, dispatch skips it once it is no longer open.
      removeLease(task);
      return Verdict.RESULT;
    }
    if (current && outcome instanceof TaskOutcome.Failed failed) {
      removeLease(task);
      failed(task, failed.cause(), !failed.retryable());
    } else if (current && outcome instanceof TaskOutcome.Crashed crashed) {
      removeLease(task);
      events.takenBack(TakeBack.TASK_PROCESS_DIED, List.of(task), crashed.where());
      deathOf(task, lease, crashed.where(), "the isolated JVM running it on " + crashed.where() + " died: "
          + crashed.cause(), true);
    }
    // A failure of an attempt that was already taken back changes nothing: a newer attempt runs.
    return Verdict.HANDLED;
  }

  /**
   * The worker's node is leaving: it gets no more tasks, and the tasks it hands back had not
   * started, so they go back to the queue at once, charged nothing.
   */
  public void workerLeaving(ActorRef<WorkerMessage> worker, Collection<Integer> returned, String why) {
    if (gone.contains(worker)) {
      return;
    }
    heard(worker, 0);
    workers.get(worker).leaving = true;
    List<Integer> taken = new ArrayList<>();
    for (Integer task : returned) {
      Lease lease = leases.get(task);
      if (lease != null && lease.worker.equals(worker)) {
        removeLease(task);
        taken.add(task);
      }
    }
    log.info("job {}: {} is leaving ({}); {} tasks it had not started go back to the queue", jobId, worker.path(), why,
        taken.size());
    tookBack(TakeBack.WORKER_LEFT, taken, worker);
    requeueFront(taken, lost -> leaseLost(lost, "handed back unstarted by " + worker.path() + ": " + why));
  }

  /**
   * A worker is gone for sure (its actor stopped): never lease to it again, and take its tasks back
   * now. Losing a worker that said it was leaving costs its tasks nothing; losing any other is a
   * death.
   */
  public void workerGone(ActorRef<WorkerMessage> worker) {
    gone.add(worker);
    WorkerState state = workers.remove(worker);
    if (state != null && state.leaving) {
      List<Integer> taken = takeLeases(worker);
      if (!taken.isEmpty()) {
        log.info("job {}: {} left with {} tasks unfinished; they go back to the queue", jobId, worker.path(), taken.size());
      }
      tookBack(TakeBack.WORKER_LEFT, taken, worker);
      requeueFront(taken, task -> leaseLost(task, "its worker " + worker.path() + " left before it finished"));
    } else {
      died(worker, TakeBack.WORKER_KILLED, "its worker " + worker.path() + " stopped without leaving");
    }
  }

  /** A worker cannot run this job's task type; remembered for {@link #nobodyCanRun}. */
  public void declined(ActorRef<WorkerMessage> worker, String reason) {
    silence.declined(worker, reason);
  }

  /**
   * Some worker declined, and no worker able to run the job has been heard from within two silence
   * timeouts since.
   */
  public boolean nobodyCanRun(long now) {
    return silence.nobodyCanRun(now, activeWorkers());
  }

  /** See {@link WorkerSilence#noCapableNode}. */
  public boolean noCapableNode(long now, boolean roleInCluster) {
    return silence.noCapableNode(now, roleInCluster, activeWorkers());
  }


  /** Why nobody can run the job (see {@link #nobodyCanRun}). */
  public String declineReason() {
    return silence.declineReason();
  }

  /** Forgets every lease and waiting task: the job gives them up. */
  public void clear() {
    pending.clear();
    suspects.clear();
    locality.clear();
    leases.clear();
    workers.values().forEach(w -> {
      w.leased = 0;
      w.suspectsHeld = 0;
    });
  }

  /**
   * Takes tasks back from workers silent for longer than the silence timeout (a death, unless the
   * worker said it was leaving), and from leases that ran out (a task failure).
   */
  public void check(long now) {
    long limit = options.workerSilenceTimeout().toNanos();
    for (Map.Entry<ActorRef<WorkerMessage>, WorkerState> e : workers.entrySet()) {
      WorkerState state = e.getValue();
      if (!state.suspected && now - state.lastHeardNanos > limit) {
        state.suspected = true;
        String why = "its worker " + e.getKey().path() + " has been silent for " + options.workerSilenceTimeout().toMillis()
            + " ms";
        if (state.leaving) {
          List<Integer> taken = takeLeases(e.getKey());
          tookBack(TakeBack.WORKER_LEFT, taken, e.getKey());
          requeueFront(taken, task -> leaseLost(task, why + " while its node was leaving"));
        } else {
          died(e.getKey(), TakeBack.WORKER_SILENT, why);
        }
      }
    }
    List<Integer> expired = new ArrayList<>();
    for (Map.Entry<Integer, Lease> e : leases.entrySet()) {
      if (now - e.getValue().expiresNanos > 0) {
        expired.add(e.getKey());
      }
    }
    for (Integer task : expired) {
      tookBack(TakeBack.LEASE_EXPIRED, List.of(task), leases.get(task).worker);
      removeLease(task);
      failed(task, "no answer within the lease of " + options.leaseDuration().toMillis() + " ms", false);
    }
  }

  /**
   * Hands waiting tasks to workers with credits. Suspects go first, each alone to a worker that
   * holds nothing else of this job; while any waits, nothing else is handed out, so that workers
   * empty and take them. Other tasks go in batches of at most the job's batch size; while tasks
   * that prefer a node wait, as {@link #dispatchNearData} says.
   */
  public void dispatch() {
    dispatch(System::nanoTime);
  }

  /**
   * {@link #dispatch()} at a given time.
   *
   * @param now as {@link System#nanoTime()}: a task whose locality wait has run out by then may go
   *     to any worker
   */
  void dispatch(long now) {
    dispatch(() -> now);
  }

  /** @param clock read only when tasks that prefer a node wait, where a wait may run out */
  private void dispatch(LongSupplier clock) {
    if (handOutSuspects()) {
      return;
    }
    if (locality.hasQueued()) {
      dispatchNearData(clock.getAsLong());
    } else {
      dispatchPending();
    }
  }

  /** Hands each suspect alone to a worker that holds nothing else of this job; true while some still wait. */
  private boolean handOutSuspects() {
    if (suspects.isEmpty()) {
      return false;
    }
    for (Map.Entry<ActorRef<WorkerMessage>, WorkerState> entry : workers.entrySet()) {
      WorkerState state = entry.getValue();
      if (suspects.isEmpty()) {
        break;
      }
      if (state.leased == 0 && state.available() > 0 && mayLeaseTo.test(entry.getKey())) {
        List<WorkerMessage.TaskAssignment> one = takeBatch(suspects, entry.getKey(), state, 1, true);
        if (!one.isEmpty()) {
          log.info("job {}: task {} was on a worker that died; it runs alone on {}", jobId, one.get(0).taskId(),
              entry.getKey().path());
          send(entry.getKey(), state, one);
        }
      }
    }
    return !suspects.isEmpty();
  }

  /** Tasks without a preference, to the workers with credit in the order they first asked. */
  private void dispatchPending() {
    Iterator<Map.Entry<ActorRef<WorkerMessage>, WorkerState>> it = workers.entrySet().iterator();
    while (!pending.isEmpty() && it.hasNext()) {
      Map.Entry<ActorRef<WorkerMessage>, WorkerState> entry = it.next();
      WorkerState state = entry.getValue();
      if (state.available() == 0 || state.suspectsHeld > 0 || !mayLeaseTo.test(entry.getKey())) {
        continue;
      }
      sendFrom(pending, entry.getKey(), state);
    }
  }

  /**
   * Dispatching while tasks that prefer a node wait. First every worker with credit picks, up to its
   * credit, the tasks waiting for its own node. Then each, in the order they first asked, adds the
   * free tasks of other nodes (no live worker there, or their wait has run out), then tasks without
   * a preference, and is sent what it picked in batches; with credit still left, it starts the wait
   * of as many tasks of other nodes as it could take (see {@link TaskLocality}). A node is live
   * while it has a worker of this job that is heard, not leaving, and on a node {@code mayLeaseTo}
   * accepts, with credit or not.
   */
  private void dispatchNearData(long now) {
    Set<String> liveNodes = new HashSet<>();
    List<Map.Entry<ActorRef<WorkerMessage>, WorkerState>> takers = new ArrayList<>();
    for (Map.Entry<ActorRef<WorkerMessage>, WorkerState> entry : workers.entrySet()) {
      WorkerState state = entry.getValue();
      if (state.suspected || state.leaving || !mayLeaseTo.test(entry.getKey())) {
        continue;
      }
      if (state.node == null) {
        state.node = nodeOf.apply(entry.getKey());
      }
      liveNodes.add(state.node);
      if (state.available() > 0 && state.suspectsHeld == 0) {
        takers.add(entry);
      }
    }
    if (!dispatchedOnce) {
      dispatchedOnce = true;
      firstDispatchNanos = now;
    }
    if (now - firstDispatchNanos < options.localityWait().toNanos()) {
      // Early in the job a node's worker may not have asked yet: its tasks wait for it all the same.
      for (String node : locality.nodes()) {
        if (!liveNodes.contains(node) && workerExpectedOn.test(node)) {
          liveNodes.add(node);
        }
      }
    }
    List<ArrayDeque<Integer>> picked = new ArrayList<>(takers.size());
    for (Map.Entry<ActorRef<WorkerMessage>, WorkerState> taker : takers) {
      ArrayDeque<Integer> picks = new ArrayDeque<>();
      tasksOnPreferredNode += locality.takeLocal(taker.getValue().node, credits(taker.getValue()), open, picks);
      picked.add(picks);
    }
    for (int i = 0; i < takers.size(); i++) {
      ActorRef<WorkerMessage> worker = takers.get(i).getKey();
      WorkerState state = takers.get(i).getValue();
      ArrayDeque<Integer> picks = picked.get(i);
      if (picks.size() < state.available()) {
        tasksOffPreferredNode += locality.takeFree(state.node, liveNodes, now, credits(state) - picks.size(), open, picks);
      }
      while (picks.size() < state.available() && !pending.isEmpty()) {
        picks.add(pending.poll());
      }
      // At most its credit was picked, so all of it goes (tasks that ended meanwhile are skipped).
      sendFrom(picks, worker, state);
      sendFrom(pending, worker, state); // credit that a skipped task left
      if (state.available() > 0) {
        locality.startWaits(state.node, liveNodes, now, credits(state), open);
      }
    }
    locality.dropEmptyQueues();
  }

  private static int credits(WorkerState state) {
    return (int) Math.min(state.available(), Integer.MAX_VALUE);
  }

  /** Leases tasks from the front of {@code queue} to the worker, in batches, until its credit or the queue runs out. */
  private void sendFrom(ArrayDeque<Integer> queue, ActorRef<WorkerMessage> worker, WorkerState state) {
    while (state.available() > 0 && !queue.isEmpty()) {
      int size = (int) Math.min(state.available(), options.batchSize());
      List<WorkerMessage.TaskAssignment> batch = takeBatch(queue, worker, state, size, false);
      if (batch.isEmpty()) {
        break;
      }
      send(worker, state, batch);
    }
  }

  /** Tasks handed out and not yet answered. */
  public int running() {
    return leases.size();
  }

  /** Task failures given another try. */
  public int retried() {
    return retried;
  }

  /** Results dropped because their task had ended already. */
  public int duplicatesDropped() {
    return duplicatesDropped;
  }

  /** Tasks handed back or lost without having started. */
  public int lostLeases() {
    return lostLeases;
  }

  /** Tasks whose worker died while its last report said they ran. */
  public int workerDeaths() {
    return workerDeaths;
  }

  /** Tasks that preferred a node and were handed to a worker there. */
  public int tasksOnPreferredNode() {
    return tasksOnPreferredNode;
  }

  /** Tasks that preferred a node and were handed to a worker elsewhere (none live there, or their wait ran out). */
  public int tasksOffPreferredNode() {
    return tasksOffPreferredNode;
  }

  /** Workers heard from recently. */
  public long activeWorkers() {
    return workers.values().stream().filter(w -> !w.suspected).count();
  }

  /** Every worker known to hold or to have asked for this job's tasks: tell them when it closes. */
  public Set<ActorRef<WorkerMessage>> knownWorkers() {
    Set<ActorRef<WorkerMessage>> known = new LinkedHashSet<>(workers.keySet());
    leases.values().forEach(lease -> known.add(lease.worker));
    return known;
  }

  private List<WorkerMessage.TaskAssignment> takeBatch(
      ArrayDeque<Integer> from, ActorRef<WorkerMessage> worker, WorkerState state, int size, boolean alone) {
    List<WorkerMessage.TaskAssignment> batch = new ArrayList<>(size);
    long expires = System.nanoTime() + options.leaseDuration().toNanos();
    long bytes = 0;
    // Artery refuses messages above its frame size (256 KiB by default): keep batches well below.
    while (batch.size() < size && !from.isEmpty() && bytes < WorkerMessage.MAX_BATCH_BYTES) {
      int task = from.poll();
      byte[] input = tasks.openInput(task);
      if (input == null || leases.containsKey(task)) {
        continue; // ended by a late result while it waited, or queued twice
      }
      bytes += input.length;
      History h = history(task);
      int attempt = ++h.tries;
      leases.put(task, new Lease(worker, attempt, expires, alone));
      state.leased++;
      if (alone) {
        state.suspectsHeld++;
      }
      batch.add(new WorkerMessage.TaskAssignment(task, attempt, input));
    }
    return batch;
  }

  private void send(ActorRef<WorkerMessage> worker, WorkerState state, List<WorkerMessage.TaskAssignment> batch) {
    state.sent += batch.size();
    events.dispatched(batch.size());
    worker.tell(new WorkerMessage.WorkBatch(jobId, batch));
  }

  private void tookBack(TakeBack reason, Collection<Integer> tasks, ActorRef<WorkerMessage> worker) {
    if (!tasks.isEmpty()) {
      events.takenBack(reason, List.copyOf(tasks), worker.path().address().toString());
    }
  }

  private History history(int task) {
    return histories.computeIfAbsent(task, t -> new History());
  }

  private void removeLease(int task) {
    Lease lease = leases.remove(task);
    if (lease != null) {
      WorkerState state = workers.get(lease.worker);
      if (state != null && state.leased > 0) {
        state.leased--;
        if (lease.alone && state.suspectsHeld > 0) {
          state.suspectsHeld--;
        }
      }
    }
  }

  /** Removes and returns every task leased to {@code worker}, in task order. */
  private List<Integer> takeLeases(ActorRef<WorkerMessage> worker) {
    List<Integer> taken = new ArrayList<>();
    for (Map.Entry<Integer, Lease> e : leases.entrySet()) {
      if (e.getValue().worker.equals(worker)) {
        taken.add(e.getKey());
      }
    }
    taken.sort(null);
    taken.forEach(this::removeLease);
    return taken;
  }

  /** Puts tasks back at the front of the queue, in order, after telling {@code lost} of each. */
  private void requeueFront(List<Integer> taken, Consumer<Integer> lost) {
    for (int i = taken.size() - 1; i >= 0; i--) {
      lost.accept(taken.get(i));
    }
  }

  /** Puts a task back at the front of its queue: the suspects', its node's, or the others'. */
  private void putBack(int task, History h) {
    if (h.deaths > 0) {
      suspects.addFirst(task);
    } else if (!locality.putBack(task)) {
      pending.addFirst(task);
    }
  }

  private void leaseLost(int task, String cause) {
    lostLeases++;
    History h = history(task);
    putBack(task, h);
    tasks.attemptLost(task, new TaskLoss(TaskLoss.Kind.LEASE_LOST, h.failures, h.deaths, h.killedNodes, cause, false));
  }

  /** A task failure: retried within {@code maxAttempts}, or failed for good. */
  private void failed(int task, String cause, boolean notRetryable) {
    History h = history(task);
    h.failures++;
    boolean forGood = notRetryable || h.failures >= options.maxAttempts();
    if (!forGood) {
      retried++;
      putBack(task, h);
    }
    tasks.attemptLost(task, new TaskLoss(TaskLoss.Kind.TASK_FAILED, h.failures, h.deaths, h.killedNodes, cause, forGood));
  }

  /** The worker died: each task it held was present, and becomes a suspect or, at the limit, poison. */
  private void died(ActorRef<WorkerMessage> worker, TakeBack reason, String why) {
    Map<Integer, Lease> held = new TreeMap<>();
    leases.forEach((task, lease) -> {
      if (lease.worker.equals(worker)) {
        held.put(task, lease);
      }
    });
    if (held.isEmpty()) {
      return;
    }
    String node = worker.path().address().toString();
    log.info("job {}: taking back {} tasks from {}: {}", jobId, held.size(), worker.path(), why);
    tookBack(reason, held.keySet(), worker);
    List<Integer> order = new ArrayList<>(held.keySet());
    for (int i = order.size() - 1; i >= 0; i--) {
      int task = order.get(i);
      removeLease(task);
      deathOf(task, held.get(task), node, why, false);
    }
  }

  /**
   * A worker (or the isolated JVM a task ran in) died while {@code task} was leased there: one more
   * death for the task, which becomes a suspect or, at the limit, poison.
   *
   * @param ran true when the task is known to have run there (an isolated JVM reports its own death)
   */
  private void deathOf(int task, Lease lease, String node, String why, boolean ran) {
    History h = history(task);
    h.deaths++;
    h.killedNodes.add(node);
    ran = ran || lease.started || lease.alone;
    TaskLoss.Kind kind = ran ? TaskLoss.Kind.WORKER_DIED : TaskLoss.Kind.LEASE_LOST;
    if (ran) {
      workerDeaths++;
    } else {
      lostLeases++;
    }
    if (h.deaths >= options.maxWorkerDeaths()) {
      String cause = "poison: " + h.deaths + " workers died while this task was on them (the last "
          + (lease.alone ? "while it ran alone there" : ran ? "while it ran there" : "before it was known to run there")
          + "), on " + String.join(", ", h.killedNodes) + "; it is not tried again (maxWorkerDeaths "
          + options.maxWorkerDeaths() + "). Last: " + why;
      log.warn("job {}: task {} is poison: {} workers died while it was on them, on {}", jobId, task, h.deaths,
          h.killedNodes);
      tasks.attemptLost(task, new TaskLoss(kind, h.failures, h.deaths, h.killedNodes, cause, true));
    } else {
      suspects.addFirst(task);
      tasks.attemptLost(task, new TaskLoss(kind, h.failures, h.deaths, h.killedNodes,
          why + (ran ? " while it ran" : " (not known to have started)") + "; it runs alone next", false));
    }
  }
}
