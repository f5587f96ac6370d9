package dev.tessera.workpulling;

import dev.tessera.runtime.job.JobOptions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

/**
 * The volatile half of a job coordinator: which workers asked for how many tasks (cumulative
 * credits), which task is leased to whom until when, which tasks wait to be handed out, and how
 * many attempts each task has used. A coordinator, in memory ({@link JobCoordinator}) or durable
 * ({@code DurableJobCoordinator}), owns the job's facts (inputs, results, failures) and asks this
 * class what to send and when to give up on a worker; after a coordinator restarts, this state is
 * rebuilt from nothing by announcing the job again.
 *
 * <p>Threading: not thread-safe; used by the one actor that coordinates the job.
 *
 * <pre>{@code
 * TaskDispatcher dispatcher = new TaskDispatcher(jobId, options, log, tasks, worker -> context.watchWith(worker, new WorkerGone(worker)));
 * dispatcher.add(0, 0);
 * dispatcher.heard(worker, 10);
 * dispatcher.dispatch();
 * }</pre>
 */
public final class TaskDispatcher {

  /** What the dispatcher needs from the job's facts. */
  public interface JobTasks {
    /** The input of a task still to be run; null once it has ended or its result is being committed. */
    byte[] openInput(int task);

    /**
     * An attempt ended without a result: the worker failed, timed out, went silent or away.
     *
     * @param attempts attempts the task has used, this one included
     * @param forGood true when the task gets no more attempts (budget used up, or not retryable)
     */
    void attemptLost(int task, int attempts, String cause, boolean forGood);
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

  /** A task handed to a worker, and until when that worker may keep it. */
  private record Lease(ActorRef<WorkerMessage> worker, int attempt, long expiresNanos) {}

  /** What the coordinator knows of one worker. */
  private static final class WorkerState {
    long requested;
    long sent;
    long lastHeardNanos;
    /** Silent for too long: its tasks were taken back and it gets none until it is heard again. */
    boolean suspected;

    long available() {
      return suspected ? 0 : Math.max(0, requested - sent);
    }
  }

  /** A batch stops growing once its inputs reach this size. */
  static final int MAX_BATCH_BYTES = 128 * 1024;

  private final String jobId;
  private final JobOptions options;
  private final Logger log;
  private final JobTasks tasks;
  private final Consumer<ActorRef<WorkerMessage>> watch;
  private final ArrayDeque<Integer> pending = new ArrayDeque<>();
  private final Map<Integer, Integer> attempts = new HashMap<>();
  private final Map<Integer, Lease> leases = new HashMap<>();
  /** Every worker that asked for work, in the order they first asked. */
  private final Map<ActorRef<WorkerMessage>, WorkerState> workers = new LinkedHashMap<>();
  private String declineReason;
  private long firstDeclineNanos;
  /** Since when no capable node has been seen (see {@link #noCapableNode}); meaningful while waiting. */
  private long noCapableNodeSinceNanos;
  private boolean waitingForCapableNode;
  private int retried;
  private int duplicatesDropped;

  /**
   * @param watch called once per new worker, so the coordinator hears when its actor stops
   *     ({@link #workerGone})
   */
  public TaskDispatcher(
      String jobId, JobOptions options, Logger log, JobTasks tasks, Consumer<ActorRef<WorkerMessage>> watch) {
    this.jobId = Objects.requireNonNull(jobId, "jobId");
    this.options = Objects.requireNonNull(options, "options");
    this.log = Objects.requireNonNull(log, "log");
    this.tasks = Objects.requireNonNull(tasks, "tasks");
    this.watch = Objects.requireNonNull(watch, "watch");
  }

  /** A task to hand out, which has used {@code attemptsSoFar} attempts already (0 for a new one). */
  public void add(int task, int attemptsSoFar) {
    if (attemptsSoFar > 0) {
      attempts.put(task, attemptsSoFar);
    }
    pending.add(task);
  }

  /** The task has ended (committed or failed for good): forget its attempts. */
  public void ended(int task) {
    attempts.remove(task);
    leases.remove(task);
  }

  /** Any message from a worker: it is alive, and its total request is at least this. */
  public void heard(ActorRef<WorkerMessage> worker, long requestedUpTo) {
    WorkerState state = workers.computeIfAbsent(worker, w -> {
      watch.accept(w);
      return new WorkerState();
    });
    state.requested = Math.max(state.requested, requestedUpTo);
    state.lastHeardNanos = System.nanoTime();
    state.suspected = false;
  }

  /**
   * Applies one outcome: the first result for an open task wins (the caller commits it); failures
   * are retried within budget.
   */
  public Verdict accept(ActorRef<WorkerMessage> worker, TaskOutcome outcome) {
    int task = outcome.taskId();
    if (tasks.openInput(task) == null) {
      duplicatesDropped++;
      return Verdict.DUPLICATE;
    }
    Lease lease = leases.get(task);
    boolean current = lease != null && lease.worker().equals(worker) && lease.attempt() == outcome.attempt();
    if (outcome instanceof TaskOutcome.Succeeded) {
      // A valid result is a result, even from an attempt whose lease was taken back. If the task
      // also waits in pending (taken back), dispatch skips it once it is no longer open.
      leases.remove(task);
      return Verdict.RESULT;
    }
    if (current) {
      TaskOutcome.Failed failed = (TaskOutcome.Failed) outcome;
      leases.remove(task);
      if (failed.retryable()) {
        retryOrFail(task, failed.cause());
      } else {
        tasks.attemptLost(task, attemptsOf(task), failed.cause(), true);
      }
    }
    // A failure of an attempt that was already taken back changes nothing: a newer attempt runs.
    return Verdict.HANDLED;
  }

  /** A worker is gone for sure: take its tasks back now. */
  public void workerGone(ActorRef<WorkerMessage> worker) {
    workers.remove(worker);
    takeBackFrom(worker, "its worker is gone");
  }

  /** A worker cannot run this job's task type; remembered for {@link #nobodyCanRun}. */
  public void declined(ActorRef<WorkerMessage> worker, String reason) {
    if (declineReason == null) {
      declineReason = reason;
      firstDeclineNanos = System.nanoTime();
      log.info("job {}: {} declined: {}", jobId, worker.path(), reason);
    }
  }

  /**
   * Some worker declined, and no worker able to run the job has been heard from within two silence
   * timeouts since.
   */
  public boolean nobodyCanRun(long now) {
    return declineReason != null
        && now - firstDeclineNanos > 2 * options.workerSilenceTimeout().toNanos()
        && workers.values().stream().allMatch(w -> w.suspected);
  }

  /**
   * True once, for longer than {@link JobOptions#noCapableNodeTimeout()} without a break, no worker
   * has been active here (none asked for work, or all went silent) and no cluster member had the
   * job's required role: nobody will ever ask for its tasks unless such a node joins. The wait
   * restarts whenever a worker is active or {@code roleInCluster} is true. Logs a warning when the
   * wait starts, once per wait.
   *
   * @param now {@link System#nanoTime()}
   * @param roleInCluster some member in state Up or WeaklyUp has the job's required role (pass true
   *     where roles do not apply, on an actor system that is not a cluster node)
   */
  public boolean noCapableNode(long now, boolean roleInCluster) {
    if (roleInCluster || activeWorkers() > 0) {
      if (waitingForCapableNode) {
        waitingForCapableNode = false;
        log.info("job {}: {} with role '{}' is available; no longer waiting", jobId,
            roleInCluster ? "a node" : "a worker", options.requiredRole());
      }
      return false;
    }
    if (!waitingForCapableNode) {
      waitingForCapableNode = true;
      noCapableNodeSinceNanos = now;
      log.warn("job {}: no node in the cluster has role '{}'; its tasks fail in {} unless one joins",
          jobId, options.requiredRole(), describe(options.noCapableNodeTimeout()));
      return false;
    }
    return now - noCapableNodeSinceNanos > options.noCapableNodeTimeout().toNanos();
  }

  /** "30 s", or "1500 ms" where whole seconds would round. */
  static String describe(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }

  /** Why nobody can run the job (see {@link #nobodyCanRun}). */
  public String declineReason() {
    return declineReason;
  }

  /** Forgets every lease and pending task: the job gives them up. */
  public void clear() {
    pending.clear();
    leases.clear();
  }

  /**
   * Takes tasks back from workers silent for longer than the silence timeout, and from leases that
   * ran out.
   */
  public void check(long now) {
    long silence = options.workerSilenceTimeout().toNanos();
    for (Map.Entry<ActorRef<WorkerMessage>, WorkerState> e : workers.entrySet()) {
      WorkerState state = e.getValue();
      if (!state.suspected && now - state.lastHeardNanos > silence) {
        state.suspected = true;
        takeBackFrom(e.getKey(), "its worker has been silent for " + options.workerSilenceTimeout().toMillis() + " ms");
      }
    }
    List<Integer> expired = new ArrayList<>();
    Iterator<Map.Entry<Integer, Lease>> it = leases.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Integer, Lease> e = it.next();
      if (now - e.getValue().expiresNanos() > 0) {
        it.remove();
        expired.add(e.getKey());
      }
    }
    for (Integer task : expired) {
      retryOrFail(task, "no answer within the lease of " + options.leaseDuration().toMillis() + " ms");
    }
  }

  /** Hands pending tasks to workers with credits, in batches of at most the job's batch size. */
  public void dispatch() {
    Iterator<Map.Entry<ActorRef<WorkerMessage>, WorkerState>> it = workers.entrySet().iterator();
    while (!pending.isEmpty() && it.hasNext()) {
      Map.Entry<ActorRef<WorkerMessage>, WorkerState> entry = it.next();
      ActorRef<WorkerMessage> worker = entry.getKey();
      WorkerState state = entry.getValue();
      while (state.available() > 0 && !pending.isEmpty()) {
        int size = (int) Math.min(state.available(), options.batchSize());
        List<WorkerMessage.TaskAssignment> batch = new ArrayList<>(size);
        long expires = System.nanoTime() + options.leaseDuration().toNanos();
        long bytes = 0;
        // Artery refuses messages above its frame size (256 KiB by default): keep batches well below.
        while (batch.size() < size && !pending.isEmpty() && bytes < MAX_BATCH_BYTES) {
          int task = pending.poll();
          byte[] input = tasks.openInput(task);
          if (input == null) {
            continue; // ended by a late result while it waited to be handed out again
          }
          bytes += input.length;
          int attempt = attempts.merge(task, 1, Integer::sum);
          leases.put(task, new Lease(worker, attempt, expires));
          batch.add(new WorkerMessage.TaskAssignment(task, attempt, input));
        }
        if (batch.isEmpty()) {
          break;
        }
        state.sent += batch.size();
        worker.tell(new WorkerMessage.WorkBatch(jobId, batch));
      }
    }
  }

  /** Tasks handed out and not yet answered. */
  public int running() {
    return leases.size();
  }

  /** Attempts retried so far. */
  public int retried() {
    return retried;
  }

  /** Results dropped because their task had ended already. */
  public int duplicatesDropped() {
    return duplicatesDropped;
  }

  /** Workers heard from recently. */
  public long activeWorkers() {
    return workers.values().stream().filter(w -> !w.suspected).count();
  }

  /** Every worker known to hold or to have asked for this job's tasks: tell them when it closes. */
  public Set<ActorRef<WorkerMessage>> knownWorkers() {
    Set<ActorRef<WorkerMessage>> known = new LinkedHashSet<>(workers.keySet());
    leases.values().forEach(lease -> known.add(lease.worker()));
    return known;
  }

  private int attemptsOf(int task) {
    return attempts.getOrDefault(task, 0);
  }

  private void retryOrFail(int task, String cause) {
    int used = attemptsOf(task);
    if (used >= options.maxAttempts()) {
      tasks.attemptLost(task, used, cause, true);
    } else {
      retried++;
      pending.addFirst(task);
      tasks.attemptLost(task, used, cause, false);
    }
  }

  /** Takes back every task leased to {@code worker}, to be handed to others. */
  private void takeBackFrom(ActorRef<WorkerMessage> worker, String why) {
    List<Integer> taken = new ArrayList<>();
    leases.entrySet().removeIf(e -> {
      if (e.getValue().worker().equals(worker)) {
        taken.add(e.getKey());
        return true;
      }
      return false;
    });
    if (!taken.isEmpty()) {
      log.info("job {}: taking back {} tasks from {}: {}", jobId, taken.size(), worker.path(), why);
      taken.sort(null);
      for (int i = taken.size() - 1; i >= 0; i--) {
        retryOrFail(taken.get(i), why);
      }
    }
  }
}
