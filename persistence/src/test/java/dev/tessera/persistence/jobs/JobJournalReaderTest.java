package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's commits read back from the database, on the real H2 journal: a job of 3 tasks run
 * by two coordinator incarnations (the first commits task 0 and counts a retryable failure of task
 * 1, the second, after a restart, commits tasks 1 and 2 and ends the job).
 */
class JobJournalReaderTest {

  @TempDir Path dataDir;

  private static final String JOB = "read-back";

  private static ActorRef<CoordinatorMessage> fromWorkers(ActorRef<?> coordinator) {
    return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private String url() {
    return "jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0";
  }

  private static void awaitDone(ActorTestKit kit, ActorRef<DurableJobCoordinator.Command> job, int done) {
    TestProbe<JobProgress> progress = kit.createTestProbe();
    progress.awaitAssert(Duration.ofSeconds(10), () -> {
      job.tell(new DurableJobCoordinator.GetProgress(progress.getRef()));
      assertThat(progress.receiveMessage().done()).isEqualTo(done);
      return null;
    });
  }

  @Test
  void readsEachCommitWithItsTimeAndWriterTheAttemptsAndTheEnd() throws Exception {
    ActorTestKit kit = ActorTestKit.create("reader", ConfigFactory.load(ConfigFactory.parseString(
        "tessera.persistence.data-dir = \"" + dataDir.toAbsolutePath() + "\"\n")));
    try (JobJournalReader journal = openAfterSchema(kit)) {
      long before = System.currentTimeMillis();
      TestProbe<JobRegistry.Command> registry = kit.createTestProbe();
      ActorRef<DurableJobCoordinator.Command> first = kit.spawn(DurableJobCoordinator.create(JOB, registry.getRef(), 1000));
      TestProbe<StatusReply<Done>> ack = kit.createTestProbe();
      first.tell(new DurableJobCoordinator.Submit("echo", JobOptions.defaults().withBatchSize(3), "test", ack.getRef()));
      assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
      List<byte[]> inputs = IntStream.range(0, 3).mapToObj(i -> bytes("in-" + i)).toList();
      first.tell(new DurableJobCoordinator.AddInputs(0, inputs, true, ack.getRef()));
      assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
      TestProbe<WorkerMessage> worker = kit.createTestProbe();
      fromWorkers(first).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 3));
      worker.expectMessageClass(WorkerMessage.WorkBatch.class);
      fromWorkers(first).tell(new CoordinatorMessage.Outcomes(worker.getRef(), List.of(
          new TaskOutcome.Succeeded(0, 1, bytes("out-0")), new TaskOutcome.Failed(1, 1, "flaky", true)), 3));
      awaitDone(kit, first, 1);
      assertThat(journal.ended()).isFalse();
      kit.stop(first);

      ActorRef<DurableJobCoordinator.Command> second = kit.spawn(DurableJobCoordinator.create(JOB, registry.getRef(), 1000));
      TestProbe<WorkerMessage> another = kit.createTestProbe();
      fromWorkers(second).tell(new CoordinatorMessage.RequestWork(another.getRef(), 3));
      List<WorkerMessage.TaskAssignment> rest = another.expectMessageClass(WorkerMessage.WorkBatch.class).tasks();
      assertThat(rest).extracting(WorkerMessage.TaskAssignment::taskId).containsExactly(1, 2);
      fromWorkers(second).tell(new CoordinatorMessage.Outcomes(another.getRef(), rest.stream()
          .<TaskOutcome>map(t -> new TaskOutcome.Succeeded(t.taskId(), t.attempt(), bytes("out-" + t.taskId()))).toList(), 3));
      TestProbe<JobStatus> end = kit.createTestProbe();
      second.tell(new DurableJobCoordinator.AwaitEnd(end.getRef()));
      assertThat(end.receiveMessage(Duration.ofSeconds(10)).state()).isEqualTo(JobStatus.FINISHED);
      long after = System.currentTimeMillis();

      assertThat(journal.ended()).isTrue();
      JobJournalReader.Reading reading = journal.read(kit.system());
      assertThat(reading.ended()).isTrue();
      assertThat(reading.commits()).extracting(JobJournalReader.Commit::task).containsExactly(0, 1, 2);
      assertThat(reading.commits()).allSatisfy(c -> assertThat(c.atMillis()).isBetween(before, after));
      assertThat(reading.writers()).hasSize(2);
      JobJournalReader.WriterSpan firstWriter = reading.writers().get(0);
      JobJournalReader.WriterSpan secondWriter = reading.writers().get(1);
      assertThat(reading.commits().get(0).writer()).isEqualTo(firstWriter.writer());
      assertThat(reading.commits().subList(1, 3)).allSatisfy(c -> assertThat(c.writer()).isEqualTo(secondWriter.writer()));
      assertThat(firstWriter.toMillis()).isLessThanOrEqualTo(secondWriter.fromMillis());
      assertThat(reading.attempts()).isEqualTo(Map.of(1, 1));
      // accepted, inputs, (attempts + completed) in one write or two, completed + ended
      assertThat(journal.eventCount()).isBetween(5L, 7L);
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aJobWithNoEventsReadsAsEmpty() throws Exception {
    ActorTestKit kit = ActorTestKit.create("reader", ConfigFactory.load(ConfigFactory.parseString(
        "tessera.persistence.data-dir = \"" + dataDir.toAbsolutePath() + "\"\n")));
    try (JobJournalReader journal = openAfterSchema(kit)) {
      assertThat(journal.ended()).isFalse();
      assertThat(journal.eventCount()).isZero();
      assertThat(journal.read(kit.system())).isEqualTo(new JobJournalReader.Reading(List.of(), List.of(), Map.of(), false));
    } finally {
      kit.shutdownTestKit();
    }
  }

  private JobJournalReader openAfterSchema(ActorTestKit kit) throws Exception {
    JournalPlugins.createSchema(kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    return JobJournalReader.open(url(), "sa", "", JOB);
  }
}
