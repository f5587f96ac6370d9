package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.worker.TaskWorker;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Jobs that move data through the object store, on two nodes in one JVM (a real cluster over
 * loopback; objects cross between the nodes' stores over TCP): a submitting node without a worker,
 * and a worker node.
 */
class DataJobTest {

  /** A task's input: a panel in the object store, and which slice of it to sum. */
  record Slice(DataRef<byte[]> panel, int index, int count) {}

  /** A task's input: a panel to sum once {@link #gate} opens. */
  record Gated(DataRef<byte[]> panel) {}

  /** Holds the gated tasks until the test opens it. */
  private static volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);
  private static final TaskType<Gated, Long> GATED_SUM = TaskType.of("gated-sum", Gated.class, Long.class);

  private static final TaskType<Integer, byte[]> BIG_RESULT = TaskType.of("big-result", Integer.class, byte[].class);
  private static final TaskType<Slice, Long> SUM_SLICE = TaskType.of("sum-slice", Slice.class, Long.class);
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final TaskType<Integer, DataRef<byte[]>> MAKE_OBJECT =
      TaskType.of("make-object", Integer.class, (Class<DataRef<byte[]>>) (Class) DataRef.class);

  private static ComputeNode submitter;
  private static ComputeNode worker;

  static byte[] bytesOf(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static TaskRegistry registry(ActorSystem<?> system) {
    return TaskRegistry.builder()
        .register(BIG_RESULT, size -> bytesOf(size, size))
        .register(SUM_SLICE, slice -> {
          byte[] panel = Data.get(system, slice.panel()).toCompletableFuture().get(60, TimeUnit.SECONDS);
          long sum = 0;
          int from = slice.index() * panel.length / slice.count();
          int to = (slice.index() + 1) * panel.length / slice.count();
          for (int i = from; i < to; i++) {
            sum += panel[i];
          }
          return sum;
        })
        .register(MAKE_OBJECT, size -> Data.put(system, bytesOf(size, 1000 + size)))
        .register(GATED_SUM, input -> {
          if (!gate.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the gate stayed shut");
          }
          long sum = 0;
          for (byte b : Data.get(system, input.panel()).toCompletableFuture().get(60, TimeUnit.SECONDS)) {
            sum += b;
          }
          return sum;
        })
        .build();
  }

  @BeforeAll
  static void startCluster() throws Exception {
    submitter = TestNodes.start(List.of("client"), List.of());
    submitter.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
    worker = TestNodes.start(List.of("worker"), List.of("127.0.0.1:" + submitter.address().getPort().get()));
    worker.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
    TestNodes.awaitUp(submitter, 2);
    worker.system().systemActorOf(TaskWorker.create(registry(worker.system()), 2, 64 << 10), "task-worker",
        Props.empty());
  }

  @AfterAll
  static void stopCluster() {
    if (worker != null) {
      worker.close();
    }
    if (submitter != null) {
      submitter.close();
    }
  }

  private static void awaitNoObjects(ActorSystem<?> system) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (DataStore.get(system).objects() > 0) {
      assertThat(System.nanoTime()).as("objects freed within 10 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void aFiftyMegabyteResultArrivesIntactAndLeavesNothingBehind() throws Exception {
    int size = 50_000_000;
    JobResult<byte[]> result = WorkPulling.submit(submitter.system(), BIG_RESULT, List.of(size, 1000),
        JobOptions.defaults()).result().toCompletableFuture().get(120, TimeUnit.SECONDS);

    assertThat(result.succeeded()).as(result.failures().toString()).isTrue();
    assertThat(result.results().get(0)).isEqualTo(bytesOf(size, size));
    assertThat(result.results().get(1)).isEqualTo(bytesOf(1000, 1000));
    // The worker's stored copy is freed once the coordinator has it.
    awaitNoObjects(worker.system());
  }

  @Test
  void tasksReadAPanelByReferenceFetchedOncePerNodeAndFreedWithTheJob() throws Exception {
    byte[] panel = bytesOf(4 << 20, 7);
    DataRef<byte[]> ref = Data.put(submitter.system(), panel);
    long transfersBefore = DataStore.get(worker.system()).transfersStarted();
    int count = 30;
    List<Slice> slices = IntStream.range(0, count).mapToObj(i -> new Slice(ref, i, count)).toList();

    JobResult<Long> result = WorkPulling.submit(submitter.system(), SUM_SLICE, slices, JobOptions.defaults())
        .result().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertThat(result.succeeded()).as(result.failures().toString()).isTrue();
    long expected = 0;
    for (byte b : panel) {
      expected += b;
    }
    assertThat(result.results().stream().mapToLong(Long::longValue).sum()).isEqualTo(expected);
    assertThat(DataStore.get(worker.system()).transfersStarted() - transfersBefore).as("one transfer per node")
        .isEqualTo(1);
    awaitNoObjects(worker.system()); // its cached copy went with the job
    assertThat(DataStore.get(submitter.system()).holds(ref.id())).isTrue(); // the submitter's own stays
    Data.release(submitter.system(), ref).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theObjectsOfATasksInputAreFetchedAsTheTaskArrivesBeforeItRuns() throws Exception {
    List<byte[]> panels = IntStream.range(0, 3).mapToObj(i -> bytesOf(1 << 20, 20 + i)).toList();
    List<DataRef<byte[]>> refs = panels.stream().map(panel -> Data.put(submitter.system(), panel)).toList();
    gate = new java.util.concurrent.CountDownLatch(1);
    try {
      // The worker runs two tasks at once and queues the third; none reads its panel before the
      // gate opens, so only the worker's prefetch can have brought them.
      var job = WorkPulling.submit(submitter.system(), GATED_SUM, refs.stream().map(Gated::new).toList(),
          JobOptions.defaults());
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      for (DataRef<byte[]> ref : refs) {
        while (!DataStore.get(worker.system()).holds(ref.id())) {
          assertThat(System.nanoTime()).as("%s fetched while its task waited", ref.id()).isLessThan(deadline);
          Thread.sleep(10);
        }
      }
      assertThat(job.result().toCompletableFuture().isDone()).as("the tasks still wait").isFalse();
      gate.countDown();

      JobResult<Long> result = job.result().toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertThat(result.succeeded()).as(result.failures().toString()).isTrue();
      for (int i = 0; i < panels.size(); i++) {
        long expected = 0;
        for (byte b : panels.get(i)) {
          expected += b;
        }
        assertThat(result.results().get(i)).isEqualTo(expected);
      }
      awaitNoObjects(worker.system()); // the prefetched copies went with the job
    } finally {
      gate.countDown();
      for (DataRef<byte[]> ref : refs) {
        Data.release(submitter.system(), ref).toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void anObjectATaskReturnsOutlivesTheJobUntilReleased() throws Exception {
    JobResult<DataRef<byte[]>> result = WorkPulling.submit(submitter.system(), MAKE_OBJECT, List.of(3 << 20),
        JobOptions.defaults()).result().toCompletableFuture().get(60, TimeUnit.SECONDS);
    assertThat(result.succeeded()).as(result.failures().toString()).isTrue();
    DataRef<byte[]> made = result.results().get(0);
    assertThat(made.owner()).isEqualTo(DataStore.get(worker.system()).self());
    assertThat(made.lineage().taskId()).isZero();

    assertThat(Data.get(submitter.system(), made).toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isEqualTo(bytesOf(3 << 20, 1000 + (3 << 20)));
    Data.release(submitter.system(), made).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(DataStore.get(worker.system()).holds(made.id())).isFalse();
  }
}
