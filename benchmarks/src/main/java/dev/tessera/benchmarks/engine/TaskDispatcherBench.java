package dev.tessera.benchmarks.engine;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.engine.TaskDispatcher;
import dev.tessera.work.engine.TaskLoss;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.slf4j.helpers.NOPLogger;

/**
 * What the job coordinator's {@link TaskDispatcher} costs per task on its hot path, with no
 * failures: each invocation runs a whole job of {@link #TASKS} tasks through a fresh dispatcher, as
 * a coordinator does with one worker that keeps asking for a batch's worth of credits. Per round:
 * the worker grants credits ({@code heard}), {@code dispatch()} leases a batch and tells it to the
 * worker as a {@link WorkerMessage.WorkBatch}, then each task's {@link TaskOutcome.Succeeded} is
 * accepted and the task ended, as the coordinator does once it has the result.
 *
 * <p>The worker is an {@code ActorSystem}'s {@code ignoreRef()}: a real {@link ActorRef} whose
 * {@code tell} drops the batch, so what is measured is the dispatcher's bookkeeping and the batch
 * it builds, not a mailbox. The job's facts ({@link TaskDispatcher.JobTasks}) are an array of
 * "ended" flags, the least a coordinator can keep. Adding the tasks and making the dispatcher are
 * in the measured time too (once per job, a small share per task).
 *
 * <p>By default no task prefers a node (the path every job takes today); {@code -p
 * preferredNode=worker} makes every task prefer the worker's node, to measure the locality path.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TaskDispatcherBench {

  /** Tasks per job, per invocation: the score is nanoseconds per task. */
  public static final int TASKS = 10_000;

  /** Tasks per {@link WorkerMessage.WorkBatch}, and credits the worker grants per round. */
  @Param({"1", "100"})
  public int batchSize;

  /** {@code none}: no task prefers a node; {@code worker}: every task prefers the worker's node. */
  @Param({"none"})
  public String preferredNode;

  private ActorSystem<Void> system;
  private ActorRef<WorkerMessage> worker;
  private JobOptions options;
  private String taskNode;
  private final byte[] input = new byte[8];
  private final TaskOutcome.Succeeded[] outcomes = new TaskOutcome.Succeeded[TASKS];

  @Setup
  public void startActorSystem() {
    system = ActorSystem.create(Behaviors.empty(), "dispatcher-bench");
    worker = system.ignoreRef();
    options = JobOptions.defaults().withBatchSize(batchSize);
    taskNode = switch (preferredNode) {
      case "none" -> null;
      case "worker" -> worker.path().address().toString(); // as the dispatcher places a local worker
      default -> throw new IllegalArgumentException("preferredNode is none or worker, got " + preferredNode);
    };
    // A fresh dispatcher leases each task once, as attempt 1: the worker's outcomes are made once.
    byte[] output = new byte[8];
    for (int task = 0; task < TASKS; task++) {
      outcomes[task] = new TaskOutcome.Succeeded(task, 1, output);
    }
  }

  @TearDown
  public void terminateActorSystem() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  @Benchmark
  @OperationsPerInvocation(TASKS)
  public int oneJobOfTasks() {
    boolean[] ended = new boolean[TASKS];
    TaskDispatcher dispatcher = new TaskDispatcher("bench-job", options, NOPLogger.NOP_LOGGER,
        new TaskDispatcher.JobTasks() {
          @Override
          public byte[] openInput(int task) {
            return ended[task] ? null : input;
          }

          @Override
          public void attemptLost(int task, TaskLoss loss) {
            throw new IllegalStateException("task " + task + " lost an attempt in a job without failures: " + loss);
          }

          @Override
          public String preferredNode(int task) {
            return taskNode;
          }
        }, watched -> {});
    for (int task = 0; task < TASKS; task++) {
      dispatcher.add(task);
    }
    long credits = 0;
    int results = 0;
    int next = 0; // the dispatcher hands out tasks in the order they were added
    while (next < TASKS) {
      credits += batchSize;
      dispatcher.heard(worker, credits);
      dispatcher.dispatch();
      int leased = dispatcher.running();
      for (int i = 0; i < leased; i++, next++) {
        if (dispatcher.accept(worker, outcomes[next]) == TaskDispatcher.Verdict.RESULT) {
          results++;
        }
        ended[next] = true;
        dispatcher.ended(next);
      }
      if (leased == 0) {
        throw new IllegalStateException("dispatch leased nothing with " + batchSize + " credits; task " + next);
      }
    }
    if (results != TASKS || dispatcher.running() != 0) {
      throw new IllegalStateException(results + " results of " + TASKS + ", " + dispatcher.running() + " still leased");
    }
    return results;
  }
}
