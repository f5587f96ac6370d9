package dev.tessera.work.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A {@link TaskWorker}'s task threads: tasks wait in a queue that at most {@code capacity} threads
 * take from directly, one after another while there are any, so a stream of short tasks costs no
 * thread hand-off per task. What each run returns goes back through a second queue, and {@code
 * signal} runs once per burst of them (the worker tells itself to collect them).
 *
 * <p>Thread safety: {@link #submit}, {@link #removeQueued} and {@link #pollFinished} may be called
 * from any thread; the worker's actor calls them, task threads run the tasks.
 *
 * @param <Q> a queued task
 * @param <R> what running one returns
 */
final class TaskThreads<Q, R> {

  /** A task that ran, what it returned, and for how long it ran. */
  record Ran<Q, R>(Q task, R result, long runNanos) {}

  private final int capacity;
  private final ExecutorService pool;
  private final Predicate<Q> skip;
  private final Function<Q, R> run;
  private final Runnable signal;
  private final ConcurrentLinkedQueue<Q> queue = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<Ran<Q, R>> finished = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean signalled = new AtomicBoolean();
  /** Task threads taking from the queue now; never more than {@code capacity}. */
  private final AtomicInteger activeRunners = new AtomicInteger();
  private final ConcurrentLinkedQueue<TaskSlot<Q>> freeSlots = new ConcurrentLinkedQueue<>();
  private final List<TaskSlot<Q>> slots = new ArrayList<>();

  /**
   * @param skip true for a queued task not to run after all (its job was closed)
   * @param run runs a task on the calling task thread; never throws
   * @param signal called on a task thread when results wait and none was signalled since {@link #clearSignal}
   */
  TaskThreads(int capacity, ExecutorService pool, Predicate<Q> skip, Function<Q, R> run, Runnable signal) {
    this.capacity = capacity;
    this.pool = Objects.requireNonNull(pool, "pool");
    this.skip = Objects.requireNonNull(skip, "skip");
    this.run = Objects.requireNonNull(run, "run");
    this.signal = Objects.requireNonNull(signal, "signal");
    for (int i = 0; i < capacity; i++) {
      TaskSlot<Q> slot = new TaskSlot<>();
      slots.add(slot);
      freeSlots.add(slot);
    }
  }

  /** Queues tasks and starts threads for them, up to the capacity. */
  void submit(List<Q> tasks) {
    queue.addAll(tasks);
    startRunners();
  }

  /** Takes the queued (not started) tasks that match out of the queue, in queue order. */
  List<Q> removeQueued(Predicate<Q> which) {
    List<Q> removed = new ArrayList<>();
    for (Q task : List.copyOf(queue)) {
      if (which.test(task) && queue.remove(task)) {
        removed.add(task); // a thread that took it first runs it: it has started
      }
    }
    return removed;
  }

  /** What the task threads run now, one slot per thread. */
  List<TaskSlot<Q>> slots() {
    return slots;
  }

  /** Called before collecting results: a result added from now on signals again. */
  void clearSignal() {
    signalled.set(false);
  }

  /** The next result not yet collected, or null. */
  Ran<Q, R> pollFinished() {
    return finished.poll();
  }

  boolean hasUncollected() {
    return !finished.isEmpty();
  }

  void shutdown() {
    pool.shutdownNow();
  }

  private void startRunners() {
    while (!queue.isEmpty() && tryAcquireRunner()) {
      try {
        pool.execute(this::runQueued);
      } catch (RejectedExecutionException e) {
        activeRunners.decrementAndGet(); // the pool is shut down: the worker is stopping
        return;
      }
    }
  }

  private boolean tryAcquireRunner() {
    int active;
    do {
      active = activeRunners.get();
      if (active >= capacity) {
        return false;
      }
    } while (!activeRunners.compareAndSet(active, active + 1));
    return true;
  }

  /**
   * A task thread: runs queued tasks one after another until none is left. It holds a slot only
   * while it counts as a runner (the slot goes back first), so a runner always finds a free slot.
   */
  private void runQueued() {
    boolean again = true;
    while (again) {
      TaskSlot<Q> slot = freeSlots.poll();
      try {
        runAll(slot);
      } finally {
        freeSlots.add(slot);
        activeRunners.decrementAndGet();
      }
      // A task queued after the last poll, whose adder saw this thread as still running, is ours.
      again = !queue.isEmpty() && tryAcquireRunner();
    }
  }

  private void runAll(TaskSlot<Q> slot) {
    Q next;
    while ((next = queue.poll()) != null) {
      if (skip.test(next)) {
        continue;
      }
      slot.begin(next);
      long started = System.nanoTime();
      R result = run.apply(next);
      long ran = System.nanoTime() - started;
      if (slot.end()) {
        finished.add(new Ran<>(next, result, ran));
        if (signalled.compareAndSet(false, true)) {
          signal.run();
        }
      }
    }
  }
}
