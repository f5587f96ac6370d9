package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.job.JobOptions;
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
 * A job that needs a role no node has ends with a failure naming the role, after its
 * no-capable-node timeout, instead of waiting forever; with a node that has the role, it runs.
 */
class MissingRoleJobTest {

  private static final TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
  private static final JobOptions NEEDS_GPU =
      JobOptions.defaults().withRequiredRole("gpu").withNoCapableNodeTimeout(Duration.ofSeconds(2));

  private static ComputeNode workerNode;

  private static TaskRegistry registry(AtomicInteger ran) {
    return TaskRegistry.builder().register(SQUARE, x -> {
      ran.incrementAndGet();
      return (long) x * x;
    }).build();
  }

  @BeforeAll
  static void startCluster() throws Exception {
    workerNode = TestNodes.start(List.of("worker"), List.of());
    workerNode.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
    workerNode.system().systemActorOf(TaskWorker.create(registry(new AtomicInteger()), 2, 1 << 20), "task-worker", Props.empty());
  }

  @AfterAll
  static void stopCluster() {
    if (workerNode != null) {
      workerNode.close();
    }
  }

  private static List<Integer> upTo(int n) {
    return IntStream.range(0, n).boxed().toList();
  }

  @Test
  void aJobNeedingARoleNoNodeHasFailsEveryTaskNamingTheRoleAfterTheTimeout() throws Exception {
    long submitted = System.nanoTime();

    JobResult<Long> result = WorkPulling.submit(workerNode.system(), SQUARE, upTo(5), NEEDS_GPU)
        .result().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(Duration.ofNanos(System.nanoTime() - submitted)).as("waited out the timeout").isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(result.succeeded()).isFalse();
    assertThat(result.results()).containsOnlyNulls();
    assertThat(result.failures()).hasSize(5).allSatisfy((task, failure) -> assertThat(failure.lastCause())
        .isEqualTo("no node in the cluster has role 'gpu' (needed by task type 'square'); waited 2 s"));
  }

  @Test
  void aJobNeedingARoleRunsOnTheNodeThatHasIt() throws Exception {
    ComputeNode gpuNode = TestNodes.start(List.of("gpu"), List.of("127.0.0.1:" + workerNode.address().getPort().get()));
    try {
      gpuNode.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (workerNode.members().stream().filter(m -> m.status() == MemberStatus.up()).count() < 2) {
        assertThat(System.nanoTime()).as("both nodes Up within 30 s").isLessThan(deadline);
        Thread.sleep(50);
      }
      AtomicInteger ranOnGpuNode = new AtomicInteger();
      gpuNode.system().systemActorOf(TaskWorker.create(registry(ranOnGpuNode), 2, 1 << 20), "task-worker", Props.empty());

      JobResult<Long> result = WorkPulling.submit(workerNode.system(), SQUARE, upTo(5), NEEDS_GPU)
          .result().toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(result.succeeded()).as(result.failures().toString()).isTrue();
      assertThat(result.results()).containsExactly(0L, 1L, 4L, 9L, 16L);
      assertThat(ranOnGpuNode.get()).isEqualTo(5);
    } finally {
      gpuNode.close();
    }
  }
}
