package dev.tessera.work.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.metrics.NodeMetrics;
import dev.tessera.runtime.metrics.Promtool;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.WorkerMessage;
import dev.tessera.work.worker.TaskWorker;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A job's meters count what its coordinator did: each accepted result once, every lease, each
 * retry, and the tasks taken back from a worker that stopped, by reason; the worker's duration
 * histogram counts the tasks it ran. The exported text passes {@code promtool check metrics}.
 */
class JobMetersTest {

  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.load());
  private static final TaskType<Integer, Long> SQUARE = TaskType.of("square", Integer.class, Long.class);
  private static final PayloadCodec codec = new PayloadCodec();

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void countsResultsLeasesRetriesAndTasksTakenBackFromAStoppedWorker() throws Exception {
    Set<Integer> failedOnce = ConcurrentHashMap.newKeySet();
    AtomicInteger started = new AtomicInteger();
    TaskRegistry registry = TaskRegistry.builder().register(SQUARE, x -> {
      started.incrementAndGet();
      if (x % 50 == 7 && failedOnce.add(x)) {
        throw new IllegalStateException("first attempt of " + x + " fails");
      }
      Thread.sleep(2);
      return (long) x * x;
    }).build();
    ActorRef<TaskWorker.Command> doomed = testKit.spawn(TaskWorker.create(registry, 2, 64 * 1024));
    ActorRef<TaskWorker.Command> survivor = testKit.spawn(TaskWorker.create(registry, 2, 64 * 1024));
    List<byte[]> inputs = IntStream.range(0, 400).mapToObj(codec::encode).toList();
    String jobId = "metered-" + UUID.randomUUID();
    TestProbe<JobReport> report = testKit.createTestProbe();
    JobOptions options = JobOptions.defaults().withBatchSize(8);
    ActorRef<JobCoordinator.Command> coordinator =
        testKit.spawn(JobCoordinator.create(jobId, "square", inputs, options, report.getRef()));
    for (ActorRef<TaskWorker.Command> w : List.of(doomed, survivor)) {
      ProtocolInbox.of(WorkerMessage.class, w)
          .tell(new WorkerMessage.WorkOn(jobId, "square", ProtocolInbox.of(CoordinatorMessage.class, coordinator), options));
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (started.get() < 50) {
      assertThat(System.nanoTime()).as("50 tasks started within 10 s").isLessThan(deadline);
      Thread.sleep(1);
    }
    // Scraped while the job runs: its gauges exist.
    String during = scrape();
    assertThat(during).contains("tessera_tasks_pending{job_id=\"" + jobId + "\",task_type=\"square\"}");
    testKit.stop(doomed, Duration.ofSeconds(5));
    JobReport finished = report.expectMessageClass(JobReport.class, Duration.ofSeconds(30));
    assertThat(finished.failures()).isEmpty();

    String text = scrape();
    String job = "job_id=\"" + jobId + "\",task_type=\"square\"";
    assertThat(value(text, "tessera_tasks_succeeded_total", job)).isEqualTo(400);
    assertThat(value(text, "tessera_tasks_failed_total", job)).isZero();
    assertThat(value(text, "tessera_tasks_retried_total", job)).isEqualTo(failedOnce.size()).isEqualTo(8);
    String jobAnd = "job_id=\"" + jobId + "\",";
    double takenBack = value(text, "tessera_tasks_taken_back_total", jobAnd + "reason=\"worker_killed\",task_type=\"square\"");
    assertThat(takenBack).as("tasks taken back from the stopped worker").isPositive();
    assertThat(value(text, "tessera_tasks_taken_back_total", jobAnd + "reason=\"lease_expired\",task_type=\"square\"")).isZero();
    assertThat(value(text, "tessera_tasks_dispatched_total", job)).isGreaterThanOrEqualTo(400 + 8);
    assertThat(value(text, "tessera_task_duration_seconds_count", "outcome=\"failed\",task_type=\"square\""))
        .isGreaterThanOrEqualTo(8);
    assertThat(value(text, "tessera_task_duration_seconds_count", "outcome=\"succeeded\",task_type=\"square\""))
        .isGreaterThanOrEqualTo(400);
    assertThat(text).contains("tessera_worker_slots_busy").contains("jvm_memory_used_bytes");

    promtoolAccepts(text);
  }

  private static String scrape() {
    return NodeMetrics.get(testKit.system()).scrape().orElseThrow();
  }

  /** The value of {@code name{labels}} in the exposition text (labels as printed, in order). */
  static double value(String text, String name, String labels) {
    Matcher m = Pattern.compile("^" + Pattern.quote(name + "{" + labels + "}") + " (\\S+)$", Pattern.MULTILINE).matcher(text);
    assertThat(m.find()).as("%s{%s} in%n%s", name, labels, text.lines().filter(l -> l.startsWith(name)).toList()).isTrue();
    return Double.parseDouble(m.group(1));
  }

  private static void promtoolAccepts(String text) throws Exception {
    Assumptions.assumeTrue(Promtool.available(), "promtool (Debian's prometheus package) is not installed");
    assertThat(Promtool.check(text)).as("promtool check metrics").isEmpty();
  }

}
