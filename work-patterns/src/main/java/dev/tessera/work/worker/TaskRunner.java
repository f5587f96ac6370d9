package dev.tessera.work.worker;

import dev.tessera.runtime.data.DataStore;
import java.util.function.Supplier;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import dev.tessera.work.worker.isolation.IsolatedTaskRunner;
import dev.tessera.work.worker.isolation.IsolationSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executing half of a {@link TaskWorker}: runs tasks on {@code capacity} threads of a JDK
 * executor (through {@link TaskThreads}), in this JVM or, for isolated task types, in the node's
 * child JVM, and tells the worker what they did. The worker keeps the protocol (credits, jobs,
 * coordinators); this class keeps the threads, the slots each task runs in, and the child JVM.
 *
 * <p>Thread safety: the worker's actor calls every method; task threads run the tasks and call
 * {@code outcomesReady} once per burst of finished tasks.
 *
 * @param <J> the worker's record of a job
 */
final class TaskRunner<J extends TaskRunner.Job> {

  /** What the runner needs to know of the job a task belongs to. */
  interface Job {
    /** The job's id: objects its tasks put belong to it. */
    String jobId();

    /** The handler of the job's task type. */
    TaskRegistry.Registration<?, ?> registration();

    Duration taskTimeout();

    /** True once the job is closed: its queued tasks are skipped, its outcomes dropped. */
    boolean closed();
  }

  /** A task waiting for, or running on, a thread. */
  record Queued<J>(J job, WorkerMessage.TaskAssignment task) {}

  /** Receives a task's outcome, with how long it ran. */
  @FunctionalInterface
  interface Finished<J> {
    void accept(J job, TaskOutcome outcome, long runNanos);
  }

  /** A running task whose handler called {@code System.exit}, with where it called it. */
  record Exiting<J>(Queued<J> task, String stackTrace) {}

  private final ChildJvm isolated;
  private final TaskThreads<Queued<J>, TaskOutcome> threads;

  /**
   * @param pool runs the handlers; shut down by {@link #close}
   * @param inlineResultBytes results larger than this, serialized, go to the node's object store
   * @param data the node's object store, asked for when a result must be stored
   * @param outcomesReady called on a task thread when outcomes wait to be collected ({@link #collect})
   */
  TaskRunner(int capacity, ExecutorService pool, int inlineResultBytes, IsolationSettings isolation,
      Supplier<DataStore> data, String node, Runnable outcomesReady) {
    this.isolated = new ChildJvm(isolation);
    TaskExecution execution = new TaskExecution(inlineResultBytes, isolated, data, node);
    this.threads = new TaskThreads<>(capacity, pool, queued -> queued.job().closed(),
        queued -> execution.run(queued.job().jobId(), queued.job().registration(), queued.task(),
            queued.job().taskTimeout()),
        outcomesReady);
  }

  /** A pool of {@code capacity} daemon threads named {@code tessera-task-N}. */
  static ExecutorService threadPool(int capacity) {
    AtomicInteger threads = new AtomicInteger();
    return Executors.newFixedThreadPool(Math.max(1, capacity), runnable -> {
      Thread thread = new Thread(runnable, "tessera-task-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Queues a job's tasks, in order. */
  void submit(J job, List<WorkerMessage.TaskAssignment> tasks) {
    threads.submit(tasks.stream().map(task -> new Queued<>(job, task)).toList());
  }

  /** Hands every finished task's outcome to {@code finished}, in the order they finished. */
  void collect(Finished<J> finished) {
    // Cleared before collecting: an outcome added from now on signals again.
    threads.clearSignal();
    TaskThreads.Ran<Queued<J>, TaskOutcome> next;
    while ((next = threads.pollFinished()) != null) {
      finished.accept(next.task().job(), next.result(), next.runNanos());
    }
  }

  /**
   * Tasks that ran past their job's timeout: each is interrupted and given up (its thread stays busy
   * if its handler ignores the interrupt, and its late outcome is dropped).
   */
  List<Queued<J>> abandonOverdue(long now) {
    List<Queued<J>> overdue = new ArrayList<>(0);
    for (TaskSlot<Queued<J>> slot : threads.slots()) {
      Queued<J> task = slot.abandonIfOverdue(now, queued -> queued.job().taskTimeout());
      if (task != null) {
        overdue.add(task);
      }
    }
    return overdue;
  }

  /** Running tasks whose handler called {@code System.exit}: each is given up. */
  List<Exiting<J>> abandonExiting() {
    List<Exiting<J>> exiting = new ArrayList<>(0);
    for (TaskSlot<Queued<J>> slot : threads.slots()) {
      slot.abandonIfExiting().ifPresent(e -> exiting.add(new Exiting<>(e.task(), e.stackTrace())));
    }
    return exiting;
  }

  /** Takes every queued task of an open job out of the queue (a task a thread took meanwhile runs). */
  List<Queued<J>> takeQueued() {
    return threads.removeQueued(queued -> !queued.job().closed());
  }

  /** The tasks of {@code job} running now. */
  List<Integer> running(J job) {
    List<Integer> running = new ArrayList<>(0);
    for (TaskSlot<Queued<J>> slot : threads.slots()) {
      slot.running().filter(q -> q.job() == job).ifPresent(q -> running.add(q.task().taskId()));
    }
    return running;
  }

  /** Task threads running a task now (any thread may ask). */
  int busy() {
    int busy = 0;
    for (TaskSlot<Queued<J>> slot : threads.slots()) {
      if (slot.running().isPresent()) {
        busy++;
      }
    }
    return busy;
  }

  /** No task of an open job runs, and every outcome has been collected. */
  boolean idle() {
    for (TaskSlot<Queued<J>> slot : threads.slots()) {
      Optional<Queued<J>> running = slot.running();
      if (running.filter(q -> !q.job().closed()).isPresent()) {
        return false;
      }
    }
    return !threads.hasUncollected();
  }

  /** Stops the threads (interrupting running tasks) and the child JVM. */
  void close() {
    threads.shutdown();
    isolated.close();
  }

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
}
