package dev.tessera.work.engine;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * The waiting tasks of a job that prefer a node, because most of their input data lives there: one
 * queue per node, and, for each task a worker elsewhere has passed over, when its wait for its node
 * runs out. {@link TaskDispatcher} hands a worker the tasks queued for its own node first; a worker
 * on another node takes a task only once it is <em>free</em>: its node has no live worker of the
 * job, or its wait has run out.
 *
 * <p>A task's wait starts when a worker elsewhere has credit for it and nothing else to run (no free
 * task, no task without a preference), not when the task is added: a task deep in a long queue does
 * not use up its wait before any worker could have taken it. A worker starts the waits of at most as
 * many tasks as it has credits, so while the preferred node is busy, a worker elsewhere takes about
 * one credit's worth of its tasks per wait, and the node keeps the rest.
 *
 * <p>Tasks are kept by number; one that has ended or is leased while still queued (a late result, a
 * task queued twice) is dropped when met, as {@code open} tells.
 *
 * <p>Threading: not thread-safe; owned by the dispatcher of one job.
 */
final class TaskLocality {

  private final long waitNanos;
  /** The node each task prefers, from when it is added until it ends. */
  private final Map<Integer, String> preferred = new HashMap<>();
  /** Tasks waiting to be handed out, by the node they prefer, in order; emptied queues go after each dispatch. */
  private final Map<String, ArrayDeque<Integer>> queues = new LinkedHashMap<>();
  /** When the wait of a passed-over task runs out ({@link System#nanoTime()}); reset when it is queued again. */
  private final Map<Integer, Long> waitEnds = new HashMap<>();

  /** @param wait how long a passed-over task waits for its node; zero turns preferences off */
  TaskLocality(Duration wait) {
    this.waitNanos = wait.toNanos();
  }

  /** Whether preferences count at all: false with a wait of zero, when every task is queued without one. */
  boolean enabled() {
    return waitNanos > 0;
  }

  /** Whether any task waits in a node's queue: when none does, dispatching ignores locality. */
  boolean hasQueued() {
    return !queues.isEmpty();
  }

  /** A new task that prefers {@code node}: remembered until it ends, and queued at the back of that node's queue. */
  void add(int task, String node) {
    preferred.put(task, node);
    queues.computeIfAbsent(node, n -> new ArrayDeque<>()).addLast(task);
  }

  /**
   * Puts a task handed out before back at the front of its node's queue, its wait not started.
   *
   * @return false when the task prefers no node: the caller queues it elsewhere
   */
  boolean putBack(int task) {
    if (preferred.isEmpty()) {
      return false;
    }
    String node = preferred.get(task);
    if (node == null) {
      return false;
    }
    waitEnds.remove(task);
    queues.computeIfAbsent(node, n -> new ArrayDeque<>()).addFirst(task);
    return true;
  }

  /**
   * Moves to {@code into}, in queue order, up to {@code max} of the tasks waiting for {@code node}.
   *
   * @return how many it moved
   */
  int takeLocal(String node, int max, IntPredicate open, Collection<Integer> into) {
    ArrayDeque<Integer> queue = queues.get(node);
    int taken = 0;
    while (queue != null && taken < max && !queue.isEmpty()) {
      int task = queue.poll();
      if (open.test(task)) {
        into.add(task);
        taken++;
      }
    }
    return taken;
  }

  /**
   * Moves to {@code into}, in queue order, up to {@code max} free tasks preferring nodes other than
   * {@code node}: every task of a node not in {@code liveNodes}, and those whose wait ran out by
   * {@code now} among the first {@code max} of each other node's queue.
   *
   * @return how many it moved
   */
  /** The nodes that tasks wait for now. */
  java.util.Set<String> nodes() {
    return queues.keySet();
  }

  int takeFree(String node, Set<String> liveNodes, long now, int max, IntPredicate open, Collection<Integer> into) {
    int taken = 0;
    for (Map.Entry<String, ArrayDeque<Integer>> entry : queues.entrySet()) {
      if (taken >= max) {
        break;
      }
      if (entry.getKey().equals(node)) {
        continue;
      }
      boolean nodeLive = liveNodes.contains(entry.getKey());
      int looked = 0;
      Iterator<Integer> it = entry.getValue().iterator();
      while (taken < max && it.hasNext() && (!nodeLive || looked < max)) {
        int task = it.next();
        if (!open.test(task)) {
          it.remove();
          continue;
        }
        looked++;
        Long ends = nodeLive ? waitEnds.get(task) : null;
        if (!nodeLive || (ends != null && now - ends >= 0)) {
          it.remove();
          waitEnds.remove(task);
          into.add(task);
          taken++;
        }
      }
    }
    return taken;
  }

  /**
   * A worker on {@code node} still has {@code max} credits and nothing else to run: the first
   * {@code max} tasks waiting for the other live nodes wait for them from {@code now} on, unless
   * their wait has started already (they count all the same).
   */
  void startWaits(String node, Set<String> liveNodes, long now, int max, IntPredicate open) {
    int counted = 0;
    for (Map.Entry<String, ArrayDeque<Integer>> entry : queues.entrySet()) {
      if (counted >= max) {
        return;
      }
      if (entry.getKey().equals(node) || !liveNodes.contains(entry.getKey())) {
        continue;
      }
      Iterator<Integer> it = entry.getValue().iterator();
      while (counted < max && it.hasNext()) {
        int task = it.next();
        if (!open.test(task)) {
          it.remove();
          continue;
        }
        waitEnds.putIfAbsent(task, now + waitNanos);
        counted++;
      }
    }
  }

  /** Drops the queues that dispatching emptied, so that {@link #hasQueued} stays exact. */
  void dropEmptyQueues() {
    queues.values().removeIf(ArrayDeque::isEmpty);
  }

  /** The task has ended: forget its preference. A copy still queued is dropped when met. */
  void forget(int task) {
    if (!preferred.isEmpty()) {
      preferred.remove(task);
      waitEnds.remove(task);
    }
  }

  /** Forgets every task: the job gives them up. */
  void clear() {
    preferred.clear();
    queues.clear();
    waitEnds.clear();
  }
}
