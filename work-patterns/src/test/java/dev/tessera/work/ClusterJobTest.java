package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.worker.TaskWorker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two nodes in one JVM (a real cluster over loopback, every message serialized): jobs submitted on
 * one node run on the task workers of both, filtered by role.
 */
class ClusterJobTest {

  private static final TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
  /** Takes a millisecond: long enough that one node cannot finish a job before the other joins in. */
  private static final TaskType<Integer, Long> SLOW_SQUARE = TaskType.of("slow-square", Integer.class, Long.class);
  private static final TaskType<Object, Long> ODD = TaskType.of("odd", Object.class, Long.class);

  private static ComputeNode coordinatorNode;
  private static ComputeNode gpuNode;
  private static final AtomicInteger ranOnCoordinatorNode = new AtomicInteger();
  private static final AtomicInteger ranOnGpuNode = new AtomicInteger();

  private static TaskRegistry registry(AtomicInteger counter) {
    return TaskRegistry.builder()
        .register(SQUARE, x -> {
          counter.incrementAndGet();
          return (long) x * x;
        })
        .register(SLOW_SQUARE, x -> {
          counter.incrementAndGet();
          Thread.sleep(1);
          return (long) x * x;
        })
        .build();
  }

  @BeforeAll
  static void startCluster() throws Exception {
    coordinatorNode = TestNodes.start(List.of("worker", "coordinator"), List.of());
    coordinatorNode.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
    gpuNode = TestNodes.start(List.of("worker", "gpu"), List.of("127.0.0.1:" + coordinatorNode.address().getPort().get()));
    gpuNode.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (coordinatorNode.members().stream().filter(m -> m.status() == MemberStatus.up()).count() < 2) {
      assertThat(System.nanoTime()).as("both nodes Up within 30 s").isLessThan(deadline);
      Thread.sleep(50);
    }
    coordinatorNode.system().systemActorOf(TaskWorker.create(registry(ranOnCoordinatorNode), 2, 1 << 20), "task-worker", Props.empty());
    gpuNode.system().systemActorOf(TaskWorker.create(registry(ranOnGpuNode), 2, 1 << 20), "task-worker", Props.empty());
  }

  @AfterAll
  static void stopCluster() {
    if (gpuNode != null) {
      gpuNode.close();
    }
    if (coordinatorNode != null) {
      coordinatorNode.close();
    }
  }

  private static List<Integer> upTo(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  @Test
  void aJobRunsOnTheWorkersOfEveryNodeAndReturnsTypedResultsInOrder() throws Exception {
    int before = ranOnGpuNode.get();

    JobHandle<Long> handle = WorkPulling.submit(coordinatorNode.system(), SLOW_SQUARE, upTo(2000), JobOptions.defaults().withBatchSize(10));
    JobResult<Long> result = handle.result().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertThat(result.succeeded()).as(result.failures().toString()).isTrue();
    assertThat(result.results()).isEqualTo(upTo(2000).stream().map(x -> (long) x * x).toList());
    assertThat(ranOnGpuNode.get() - before).as("tasks run on the other node").isPositive();
    assertThat(handle.progress().toCompletableFuture().get(5, TimeUnit.SECONDS))
        .isEqualTo(new JobProgress(2000, 2000, 0, 0, 0, 0));
  }

  @Test
  void aJobThatRequiresARoleRunsOnlyWhereThatRoleIs() throws Exception {
    int beforeHere = ranOnCoordinatorNode.get();
    int beforeGpu = ranOnGpuNode.get();

    JobResult<Long> result = WorkPulling.submit(coordinatorNode.system(), SQUARE, upTo(100), JobOptions.defaults().withRequiredRole("gpu"))
        .result().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertThat(result.succeeded()).isTrue();
    assertThat(ranOnGpuNode.get() - beforeGpu).isEqualTo(100);
    assertThat(ranOnCoordinatorNode.get() - beforeHere).isZero();
  }

  @Test
  void progressIsLiveAndCancelEndsTheJobWithWhatWasDone() throws Exception {
    TaskType<Integer, Long> slow = TaskType.of("slow-square", Integer.class, Long.class);
    AtomicInteger ran = new AtomicInteger();
    coordinatorNode.system().systemActorOf(
        TaskWorker.create(TaskRegistry.builder().register(slow, x -> {
          ran.incrementAndGet();
          Thread.sleep(20);
          return (long) x * x;
        }).build(), 1, 1 << 20),
        "slow-worker", Props.empty());

    JobHandle<Long> handle = WorkPulling.submit(coordinatorNode.system(), slow, upTo(10_000), JobOptions.defaults());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    JobProgress progress = handle.progress().toCompletableFuture().get(5, TimeUnit.SECONDS);
    while (progress.done() < 5) {
      assertThat(System.nanoTime()).as("5 tasks done within 30 s").isLessThan(deadline);
      Thread.sleep(20);
      progress = handle.progress().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
    assertThat(progress.total()).isEqualTo(10_000);
    assertThat(progress.done()).isLessThan(10_000);

    handle.cancel().toCompletableFuture().get(5, TimeUnit.SECONDS);
    JobResult<Long> result = handle.result().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(result.cancelled()).isTrue();
    assertThat(result.succeeded()).isFalse();
    long withResult = result.results().stream().filter(r -> r != null).count();
    assertThat(withResult).isEqualTo(result.progress().done()).isGreaterThanOrEqualTo(5);
    for (int i = 0; i < result.results().size(); i++) {
      if (result.results().get(i) != null) {
        assertThat(result.results().get(i)).isEqualTo((long) i * i);
      }
    }
  }

  @Test
  void scatterGatherCombinesResultsAsTheyArrive() throws Exception {
    int n = 1000;

    Gathered<Long> sum = WorkPulling.scatterGather(coordinatorNode.system(), SQUARE, upTo(n), JobOptions.defaults(), 0L, Long::sum)
        .result().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertThat(sum.succeeded()).isTrue();
    assertThat(sum.combined()).isEqualTo(n);
    assertThat(sum.value()).isEqualTo((long) n * (n - 1) * (2L * n - 1) / 6);
  }

  @Test
  void aCombinerThatThrowsCancelsTheJobAndFailsTheHandleWithItsException() throws Exception {
    GatherHandle<Long> handle = WorkPulling.scatterGather(coordinatorNode.system(), SQUARE, upTo(5000), JobOptions.defaults(), 0L,
        (total, square) -> {
          if (total > 1_000_000L) {
            throw new ArithmeticException("total too large");
          }
          return total + square;
        });

    assertThatThrownBy(() -> handle.result().toCompletableFuture().get(60, TimeUnit.SECONDS))
        .hasCauseInstanceOf(ArithmeticException.class)
        .hasMessageContaining("total too large");
    JobProgress progress = handle.progress().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(progress.done()).as("cancelled long before the end").isLessThan(5000);
  }

  @Test
  void anInputThatCannotBeSerializedIsRejectedAtSubmitNamingIt() {
    assertThatThrownBy(() -> WorkPulling.submit(coordinatorNode.system(), ODD, List.of("fine", new Object()), JobOptions.defaults()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("input 1 of job of 'odd': cannot serialize a java.lang.Object");
  }

  @Test
  void aJobOfATaskTypeNoWorkerHasEndsWithAClearFailureInsteadOfHanging() throws Exception {
    TaskType<Integer, Long> cube = TaskType.of("cube", Integer.class, Long.class);

    JobResult<Long> result = WorkPulling.submit(coordinatorNode.system(), cube, upTo(3), JobOptions.defaults())
        .result().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(result.succeeded()).isFalse();
    assertThat(result.failures()).hasSize(3).allSatisfy((task, failure) ->
        assertThat(failure.lastCause()).startsWith("no worker with role 'worker' can run task type 'cube': unknown task type 'cube'"));
  }
}
