package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.work.protocol.CoordinatorMessage;
import dev.tessera.work.protocol.ProtocolInbox;
import dev.tessera.work.protocol.TaskOutcome;
import dev.tessera.work.protocol.WorkerMessage;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal written by an older event shape ({@code journals/job-events-v1.sql}: JobAccepted at
 * version 1, before it had a submitter) is read by today's classes, and the job it holds resumes
 * where it was and finishes; events written now carry their version.
 */
class EventVersioningTest {

  /** The coordinator, addressed as workers address it. */
  private static ActorRef<CoordinatorMessage> fromWorkers(ActorRef<?> coordinator) {
    return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
  }

  private static final String JOB = "square-v1-journal";
  private static final PayloadCodec CODEC = new PayloadCodec();

  @TempDir Path dataDir;

  private Connection connect() throws Exception {
    return DriverManager.getConnection("jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0", "sa", "");
  }

  @Test
  void aJobInAVersionOneJournalResumesAndFinishes() throws Exception {
    ActorTestKit kit = ActorTestKit.create("versions", ConfigFactory.load(ConfigFactory.parseString(
        "tessera.persistence.data-dir = \"" + dataDir.toAbsolutePath() + "\"\n")));
    try {
      JournalPlugins.createSchema(kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
      try (InputStream in = getClass().getResourceAsStream("/journals/job-events-v1.sql");
          Connection c = connect(); Statement s = c.createStatement()) {
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          if (line.startsWith("INSERT")) {
            s.execute(line);
          }
        }
      }

      TestProbe<JobRegistry.Command> registry = kit.createTestProbe();
      ActorRef<DurableJobCoordinator.Command> job = kit.spawn(DurableJobCoordinator.create(JOB, registry.getRef(), 1000));
      TestProbe<JobStatus> status = kit.createTestProbe();
      job.tell(new DurableJobCoordinator.GetStatus(status.getRef()));
      JobStatus recovered = status.receiveMessage(Duration.ofSeconds(10));
      assertThat(recovered.state()).isEqualTo(JobStatus.RUNNING);
      assertThat(recovered.taskType()).isEqualTo("square");
      assertThat(recovered.submitter()).isEqualTo(JobAcceptedMigration.UNKNOWN_SUBMITTER);
      assertThat(recovered.progress().total()).isEqualTo(6);
      assertThat(recovered.progress().done()).isEqualTo(3);
      assertThat(recovered.progress().failed()).isEqualTo(1);

      TestProbe<WorkerMessage> worker = kit.createTestProbe();
      fromWorkers(job).tell(new CoordinatorMessage.RequestWork(worker.getRef(), 10));
      List<WorkerMessage.TaskAssignment> rest = worker.expectMessageClass(WorkerMessage.WorkBatch.class).tasks();
      assertThat(rest).extracting(WorkerMessage.TaskAssignment::taskId).containsExactlyInAnyOrder(3, 5);
      assertThat(rest).filteredOn(t -> t.taskId() == 3).singleElement()
          .satisfies(t -> assertThat(t.attempt()).as("task 3 keeps its failed attempt").isEqualTo(2));
      fromWorkers(job).tell(new CoordinatorMessage.Outcomes(worker.getRef(), rest.stream().<TaskOutcome>map(t ->
          new TaskOutcome.Succeeded(t.taskId(), t.attempt(),
              CODEC.encode((long) CODEC.decode(t.input(), Integer.class) * CODEC.decode(t.input(), Integer.class))))
          .toList(), 10));
      job.tell(new DurableJobCoordinator.AwaitEnd(status.getRef()));
      assertThat(status.receiveMessage(Duration.ofSeconds(10)).state()).isEqualTo(JobStatus.FINISHED);

      TestProbe<StatusReply<ResultsPage>> page = kit.createTestProbe();
      job.tell(new DurableJobCoordinator.GetResults(0, page.getRef()));
      List<ResultsPage.TaskResult> outcomes = page.receiveMessage().getValue().outcomes();
      long[] squares = {0, 1, 4, 9, -1, 25};
      for (int i = 0; i < 6; i++) {
        if (i == 4) {
          assertThat(outcomes.get(i).failure().lastCause()).isEqualTo("bad input");
        } else {
          assertThat(CODEC.decode(outcomes.get(i).output(), Long.class)).isEqualTo(squares[i]);
        }
      }

      // A job accepted now is written at version 2, and says who submitted it.
      ActorRef<DurableJobCoordinator.Command> fresh = kit.spawn(DurableJobCoordinator.create("fresh", registry.getRef(), 1000));
      TestProbe<StatusReply<Done>> ack = kit.createTestProbe();
      fresh.tell(new DurableJobCoordinator.Submit("square", JobOptions.defaults(), "node-7", ack.getRef()));
      assertThat(ack.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();
      fresh.tell(new DurableJobCoordinator.GetStatus(status.getRef()));
      assertThat(status.receiveMessage().submitter()).isEqualTo("node-7");
      try (Connection c = connect(); Statement s = c.createStatement();
          ResultSet rows = s.executeQuery("select \"event_ser_manifest\" from \"event_journal\""
              + " where \"persistence_id\" = 'tessera-job|fresh' and \"sequence_number\" = 1")) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getString(1)).isEqualTo("dev.tessera.persistence.jobs.JobEvent$JobAccepted#2");
      }
    } finally {
      kit.shutdownTestKit();
    }
  }
}
