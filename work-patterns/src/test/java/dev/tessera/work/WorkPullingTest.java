package dev.tessera.work;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.work.engine.JobCoordinator;
import dev.tessera.work.engine.JobReport;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.WorkerMessage;
import dev.tessera.work.worker.TaskWorker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Coordinator and real workers in one actor system: handlers run, fail, hang and are retried. */
class WorkPullingTest {

  private static final ActorTestKit testKit = ActorTestKit.create(
      ConfigFactory.parseString("pekko.actor.serialize-messages = on").withFallback(ConfigFactory.load()));

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  private static final TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
  private static final TaskType<Integer, String> HUGE = TaskType.of("huge", Integer.class, String.class);
  private static final PayloadCodec codec = new PayloadCodec();

  /** How often each input was run, across all workers. */
  private final Map<Integer, AtomicInteger> executions = new ConcurrentHashMap<>();

  private int countRun(int input) {
    return executions.computeIfAbsent(input, k -> new AtomicInteger()).incrementAndGet();
  }

  /** Workers of the running test: stopped after it, so that no later job is announced to them. */
  private final List<ActorRef<TaskWorker.Command>> workers = new ArrayList<>();

  @AfterEach
  void stopWorkers() {
    workers.forEach(testKit::stop);
  }

  private ActorRef<WorkerMessage> worker(TaskRegistry registry) {
    ActorRef<TaskWorker.Command> worker = testKit.spawn(TaskWorker.create(registry, 2, 64 * 1024));
    workers.add(worker);
    return ProtocolInbox.of(WorkerMessage.class, worker);
  }

  private JobReport run(String type, int tasks, JobOptions options, List<ActorRef<WorkerMessage>> workers) {
    List<byte[]> inputs = IntStream.range(0, tasks).mapToObj(codec::encode).toList();
    String jobId = "job-" + UUID.randomUUID();
    TestProbe<JobReport> report = testKit.createTestProbe();
    ActorRef<JobCoordinator.Command> coordinator = testKit.spawn(JobCoordinator.create(jobId, type, inputs, options, report.getRef()));
    workers.forEach(w -> w.tell(new WorkerMessage.WorkOn(jobId, type, ProtocolInbox.of(CoordinatorMessage.class, coordinator), options)));
    return report.expectMessageClass(JobReport.class, Duration.ofSeconds(30));
  }

  private static void assertSquares(JobReport report, int tasks) {
    assertThat(report.failures()).isEmpty();
    for (int i = 0; i < tasks; i++) {
      assertThat(codec.decode(report.results().get(i), Long.class)).isEqualTo((long) i * i);
    }
  }

  @Test
  void everyTaskRunsOnceAndEveryResultIsPresent() {
    TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> {
      countRun(x);
      return (long) x * x;
    }).build();

    JobReport report = run("square", 1000, JobOptions.defaults().withBatchSize(16), List.of(worker(registry), worker(registry)));

    assertSquares(report, 1000);
    assertThat(executions).hasSize(1000).allSatisfy((input, count) -> assertThat(count.get()).isEqualTo(1));
    assertThat(report.progress().retried()).isZero();
  }

  @Test
  void aHandlerThatThrowsIsRetriedAndTheJobStillFinishes() {
    TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> {
      if (countRun(x) == 1 && x % 10 == 0) {
        throw new IllegalStateException("flaky on first try: " + x);
      }
      return (long) x * x;
    }).build();

    JobReport report = run("square", 100, JobOptions.defaults(), List.of(worker(registry)));

    assertSquares(report, 100);
    assertThat(report.progress().retried()).isEqualTo(10);
  }

  @Test
  void aHandlerThatKeepsThrowingIsReportedWithItsStackTrace() {
    TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> {
      if (x == 7) {
        throw new ArithmeticException("seven is cursed");
      }
      return (long) x * x;
    }).build();

    JobReport report = run("square", 10, JobOptions.defaults().withMaxAttempts(3), List.of(worker(registry)));

    assertThat(report.failures()).containsOnlyKeys(7);
    assertThat(report.failures().get(7).attempts()).isEqualTo(3);
    assertThat(report.failures().get(7).lastCause())
        .startsWith("java.lang.ArithmeticException: seven is cursed")
        .contains("\tat ");
    assertThat(report.progress().done()).isEqualTo(9);
  }

  @Test
  void aHandlerThatHangsIsAbandonedAtTheTimeoutAndRetried() {
    TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> {
      if (x == 3 && countRun(x) == 1) {
        Thread.sleep(30_000); // interrupted when the attempt times out
      }
      return (long) x * x;
    }).build();

    JobReport report = run("square", 5, JobOptions.defaults().withTaskTimeout(Duration.ofMillis(300)), List.of(worker(registry)));

    assertSquares(report, 5);
    assertThat(report.progress().retried()).isEqualTo(1);
  }

  @Test
  void aJobNoWorkerCanRunEndsWithAClearCauseInsteadOfWaiting() {
    TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> (long) x * x).build();

    JobReport report = run("cube", 3, JobOptions.defaults().withWorkerSilenceTimeout(Duration.ofMillis(300)), List.of(worker(registry)));

    assertThat(report.failures()).hasSize(3).allSatisfy((task, failure) -> {
      assertThat(failure.attempts()).isZero();
      assertThat(failure.lastCause())
          .startsWith("no worker with role 'worker' can run task type 'cube': unknown task type 'cube'");
    });
  }

  @Test
  void aWorkerWithoutTheHandlerStaysOutOfAJobOthersCanRun() {
    TaskRegistry squares = TaskRegistry.builder().register(SQUARE, x -> {
      countRun(x);
      return (long) x * x;
    }).build();
    TaskRegistry other = TaskRegistry.builder().register(HUGE, x -> "unrelated").build();

    JobReport report = run("square", 200, JobOptions.defaults().withBatchSize(4), List.of(worker(other), worker(squares)));

    assertSquares(report, 200);
    assertThat(report.progress().retried()).isZero();
  }

  @Test
  void aResultTooLargeForOneMessageArrivesThroughTheObjectStore() {
    TaskRegistry registry = TaskRegistry.builder().register(HUGE, x -> "x".repeat(x == 1 ? 100_000 : 10)).build();

    JobReport report = run("huge", 2, JobOptions.defaults(), List.of(worker(registry)));

    assertThat(report.failures()).isEmpty();
    assertThat(codec.decode(report.results().get(0), String.class)).isEqualTo("x".repeat(10));
    assertThat(codec.decode(report.results().get(1), String.class)).isEqualTo("x".repeat(100_000));
  }

  @Test
  void aSlowWorkerPullsProportionallyFewerTasks() {
    AtomicInteger byFast = new AtomicInteger();
    AtomicInteger bySlow = new AtomicInteger();
    // Same capacity, twenty times the time per task: a Pi beside a rack server.
    ActorRef<WorkerMessage> fast = worker(TaskRegistry.builder().register(SQUARE, x -> {
      byFast.incrementAndGet();
      Thread.sleep(1);
      return (long) x * x;
    }).build());
    ActorRef<WorkerMessage> slow = worker(TaskRegistry.builder().register(SQUARE, x -> {
      bySlow.incrementAndGet();
      Thread.sleep(20);
      return (long) x * x;
    }).build());

    JobReport report = run("square", 1000, JobOptions.defaults().withBatchSize(4), List.of(slow, fast));

    assertSquares(report, 1000);
    assertThat(byFast.get() + bySlow.get()).isEqualTo(1000);
    // Pulling, not pushing: the slow worker gets what it can finish, far less than half.
    assertThat(bySlow.get()).as("tasks run by the slow worker (fast: %d)", byFast.get()).isLessThan(1000 / 4);
    assertThat(bySlow.get()).as("the slow worker still contributes").isPositive();
  }

  @Test
  void whenAWorkerStopsMidJobItsTasksAreFinishedByTheOther() {
    AtomicInteger started = new AtomicInteger();
    TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> {
      countRun(x);
      started.incrementAndGet();
      Thread.sleep(2);
      return (long) x * x;
    }).build();
    ActorRef<WorkerMessage> doomed = worker(registry);
    ActorRef<WorkerMessage> survivor = worker(registry);
    List<byte[]> inputs = IntStream.range(0, 400).mapToObj(codec::encode).toList();
    String jobId = "job-" + UUID.randomUUID();
    TestProbe<JobReport> report = testKit.createTestProbe();
    JobOptions options = JobOptions.defaults().withBatchSize(8);
    ActorRef<JobCoordinator.Command> coordinator = testKit.spawn(JobCoordinator.create(jobId, "square", inputs, options, report.getRef()));
    doomed.tell(new WorkerMessage.WorkOn(jobId, "square", ProtocolInbox.of(CoordinatorMessage.class, coordinator), options));
    survivor.tell(new WorkerMessage.WorkOn(jobId, "square", ProtocolInbox.of(CoordinatorMessage.class, coordinator), options));

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (started.get() < 50) {
      assertThat(System.nanoTime()).as("50 tasks started within 10 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
    testKit.stop(doomed, Duration.ofSeconds(5));

    JobReport finished = report.expectMessageClass(JobReport.class, Duration.ofSeconds(30));
    assertSquares(finished, 400);
  }
}
