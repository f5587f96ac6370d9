package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.worker.TaskWorker;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pipelines on a one-node cluster (every message serialized): order of stages, backpressure, failures. */
class PipelineTest {

  private static final TaskType<Integer, Integer> PLUS_ONE = TaskType.of("plus-one", Integer.class, Integer.class);
  private static final TaskType<Integer, Long> SLOW_SQUARE = TaskType.of("slow-square", Integer.class, Long.class);
  private static final TaskType<Integer, Long> NOWHERE = TaskType.of("registered-nowhere", Integer.class, Long.class);

  private static ComputeNode node;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNodes.start(List.of("worker"), List.of());
    node.whenUp().toCompletableFuture().get(30, TimeUnit.SECONDS);
    TaskRegistry registry = TaskRegistry.builder()
        .register(PLUS_ONE, x -> {
          if (x == 13) {
            throw new IllegalArgumentException("thirteen is refused");
          }
          return x + 1;
        })
        .register(SLOW_SQUARE, x -> {
          Thread.sleep(2);
          return (long) x * x;
        })
        .build();
    node.system().systemActorOf(TaskWorker.create(registry, 2, 1 << 20), "task-worker", Props.empty());
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.close();
    }
  }

  /** Counts 0, 1, 2, ... up to {@code count}, and how far it ever ran ahead of the sink. */
  private static final class CountingSource implements Iterator<Integer> {
    final int count;
    final AtomicLong delivered;
    int next;
    long maxAhead;

    CountingSource(int count, AtomicLong delivered) {
      this.count = count;
      this.delivered = delivered;
    }

    @Override
    public boolean hasNext() {
      return next < count;
    }

    @Override
    public Integer next() {
      maxAhead = Math.max(maxAhead, next + 1 - delivered.get());
      return next++;
    }
  }

  @Test
  void aSlowStageHoldsBackTheStagesBeforeItAndTheSource() throws Exception {
    int items = 600;
    int capacity = 8;
    AtomicLong delivered = new AtomicLong();
    Map<Long, Long> outputs = new ConcurrentHashMap<>();
    CountingSource source = new CountingSource(items, delivered);
    Pipeline<Integer, Long> pipeline = Pipeline.of(PLUS_ONE, JobOptions.defaults().withBatchSize(4))
        .then(SLOW_SQUARE, JobOptions.defaults().withBatchSize(4))
        .withStageCapacity(capacity);

    PipelineHandle handle = pipeline.run(node.system(), source, (value, item) -> {
      assertThat(outputs.put(item, value)).as("item %d delivered once", item).isNull();
      delivered.incrementAndGet();
    });
    PipelineResult result = handle.result().toCompletableFuture().get(60, TimeUnit.SECONDS);

    // Item 13 fails in the first stage; every other item comes out once, as (x + 1)².
    assertThat(result.pulled()).isEqualTo(items);
    assertThat(result.delivered()).isEqualTo(items - 1);
    assertThat(result.failures()).containsOnlyKeys(13L);
    assertThat(outputs).hasSize(items - 1);
    outputs.forEach((item, value) -> assertThat(value).isEqualTo((item + 1) * (item + 1)));
    // Bounded: no stage ever held more than its capacity, the source never ran further ahead of
    // the sink than the two stages can hold, and the fast first stage did fill up (it was held back).
    PipelineProgress progress = result.progress();
    assertThat(progress.stages()).allSatisfy(stage -> assertThat(stage.maxHeld()).isLessThanOrEqualTo(capacity));
    assertThat(progress.stages().get(0).maxHeld()).isEqualTo(capacity);
    assertThat(progress.maxInPipeline()).isLessThanOrEqualTo(2L * capacity);
    assertThat(source.maxAhead).isLessThanOrEqualTo(2L * capacity + 1);
    assertThat(progress.stages()).extracting(PipelineProgress.StageProgress::held).containsOnly(0);
  }

  @Test
  void anItemThatFailsIsReportedWithItsStageAndCause() throws Exception {
    PipelineHandle handle = Pipeline.of(PLUS_ONE, JobOptions.defaults().withMaxAttempts(2))
        .then(SLOW_SQUARE, JobOptions.defaults())
        .run(node.system(), List.of(12, 13, 14).iterator(), (value, item) -> {});

    PipelineResult result = handle.result().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(result.succeeded()).isFalse();
    assertThat(result.delivered()).isEqualTo(2);
    PipelineResult.ItemFailure failure = result.failures().get(1L);
    assertThat(failure.stage()).isZero();
    assertThat(failure.taskType()).isEqualTo("plus-one");
    assertThat(failure.attempts()).isEqualTo(2);
    assertThat(failure.cause()).startsWith("java.lang.IllegalArgumentException: thirteen is refused");
  }

  @Test
  void aStageNoNodeCanRunFailsItsItemsWithAClearCauseAndTheResultStillCompletes() throws Exception {
    JobOptions quick = JobOptions.defaults().withWorkerSilenceTimeout(Duration.ofMillis(300));
    PipelineHandle handle = Pipeline.of(PLUS_ONE, quick)
        .then(NOWHERE, quick)
        .run(node.system(), List.of(1, 2, 3).iterator(), (value, item) -> {});

    PipelineResult result = handle.result().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(result.delivered()).isZero();
    assertThat(result.failures()).containsOnlyKeys(0L, 1L, 2L);
    assertThat(result.failures().values()).allSatisfy(f -> {
      assertThat(f.stage()).isEqualTo(1);
      assertThat(f.cause()).contains("unknown task type 'registered-nowhere'");
    });
  }

  @Test
  void anEmptySourceAndInputsThatCannotBeSerializedEndThePipelineAtOnce() throws Exception {
    PipelineResult empty = Pipeline.of(PLUS_ONE, JobOptions.defaults())
        .run(node.system(), List.<Integer>of().iterator(), (value, item) -> {})
        .result().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(empty.succeeded()).isTrue();
    assertThat(empty.pulled()).isZero();

    // An Object whose class Jackson cannot serialize: the item fails before any stage.
    TaskType<Object, Integer> anything = TaskType.of("plus-one", Object.class, Integer.class);
    PipelineResult unserializable = Pipeline.of(anything, JobOptions.defaults())
        .run(node.system(), List.<Object>of(new Object()).iterator(), (value, item) -> {})
        .result().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(unserializable.failures()).containsOnlyKeys(0L);
    assertThat(unserializable.failures().get(0L).stage()).isEqualTo(-1);
    assertThat(unserializable.failures().get(0L).cause()).contains("cannot serialize a java.lang.Object");
  }

  @Test
  void aSinkThatThrowsCancelsThePipelineAndFailsTheResult() {
    PipelineHandle handle = Pipeline.of(PLUS_ONE, JobOptions.defaults())
        .run(node.system(), List.of(1, 2, 3, 4).iterator(), (value, item) -> {
          throw new IllegalStateException("disk full");
        });

    assertThatThrownBy(() -> handle.result().toCompletableFuture().get(30, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("disk full");
  }

  @Test
  void cancelStopsPullingAndSaysWhatWasDone() throws Exception {
    Iterator<Integer> endless = new Iterator<>() {
      int next;

      @Override
      public boolean hasNext() {
        return true;
      }

      @Override
      public Integer next() {
        return next++ % 1000 + 20; // never 13
      }
    };
    AtomicLong delivered = new AtomicLong();
    PipelineHandle handle = Pipeline.of(SLOW_SQUARE, JobOptions.defaults()).withStageCapacity(16)
        .run(node.system(), endless, (value, item) -> delivered.incrementAndGet());
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (delivered.get() < 50) {
      assertThat(System.nanoTime()).as("50 items delivered within 30 s").isLessThan(deadline);
      Thread.sleep(10);
    }

    handle.cancel().toCompletableFuture().get(10, TimeUnit.SECONDS);
    PipelineResult result = handle.result().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(result.cancelled()).isTrue();
    assertThat(result.delivered()).isGreaterThanOrEqualTo(50);
    assertThat(result.pulled() - result.delivered()).isLessThanOrEqualTo(16);
  }
}
