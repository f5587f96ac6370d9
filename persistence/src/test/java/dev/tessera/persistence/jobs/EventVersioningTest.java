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
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A journal written by an older event shape ({@code journals/job-events-v1.sql}: JobAccepted at
 * version 1, before it had a submitter) is read by today's classes, and the job it holds resumes
 * where it was and finishes; events written now carry their version. Completions and snapshots
 * written before large results were kept beside the journal (without {@code stored}) read too.
 */
class EventVersioningTest {

  /** The coordinator, addressed as workers address it. */
  private static ActorRef<CoordinatorMessage> fromWorkers(ActorRef<?> coordinator) {
    return ProtocolInbox.of(CoordinatorMessage.class, coordinator);
  }

  private static final String JOB = "square-v1-journal";
  private static final PayloadCodec CODEC = new PayloadCodec();

  @TempDir Path dataDir;

  /** The event payload, serializer id and manifest of a row of {@code journals/job-events-v1.sql}, by its manifest. */
  private record Row(byte[] payload, int serializer, String manifest) {}

  private Row v1Row(String manifest) throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/journals/job-events-v1.sql")) {
      Matcher row = Pattern.compile("X'([0-9a-f]+)', (\\d+), '(" + Pattern.quote(manifest) + ")'\\);")
          .matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      assertThat(row.find()).as("a row of %s", manifest).isTrue();
      return new Row(HexFormat.of().parseHex(row.group(1)), Integer.parseInt(row.group(2)), row.group(3));
    }
  }

  @Test
  void aCompletionWrittenBeforeLargeResultsWereKeptBesideTheJournalReadsWithItsOutput() throws Exception {
    ActorTestKit kit = ActorTestKit.create("old-completions");
    try {
      Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
      Row row = v1Row("dev.tessera.persistence.jobs.JobEvent$TasksCompleted");

      JobEvent.TasksCompleted completed = (JobEvent.TasksCompleted)
          serialization.deserialize(row.payload(), row.serializer(), row.manifest()).get();

      assertThat(completed.tasks()).extracting(JobEvent.Completed::taskId).containsExactly(0, 1, 2);
      assertThat(completed.tasks()).allSatisfy(c -> assertThat(c.stored()).isNull());
      assertThat(completed.tasks()).extracting(c -> CODEC.decode(c.output(), Long.class)).containsExactly(0L, 1L, 4L);
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void aSnapshotTakenBeforeLargeResultsWereKeptBesideTheJournalReads() throws Exception {
    ActorTestKit kit = ActorTestKit.create("old-snapshots");
    try {
      Serialization serialization = SerializationExtension.get(Adapter.toClassic(kit.system()));
      JobLedger ledger = new JobLedger();
      ledger.apply(new JobEvent.JobAccepted(JOB, "square", JobOptions.defaults(), 1, "node-1"));
      ledger.apply(new JobEvent.TasksAdded(0, List.of(CODEC.encode(2), CODEC.encode(3)), true));
      ledger.apply(new JobEvent.TasksCompleted(List.of(new JobEvent.Completed(0, CODEC.encode(4L)))));
      JobLedger.Snapshot snapshot = ledger.snapshot();
      Serializer serializer = serialization.findSerializerFor(snapshot);
      String manifest = Serializers.manifestFor(serializer, snapshot);
      // The snapshot as it was written before it had `stored`: the same, without that property.
      ObjectMapper cbor = JacksonObjectMapperProvider.get(kit.system()).getOrCreate("jackson-cbor", Optional.empty());
      ObjectNode old = (ObjectNode) cbor.readTree(serialization.serialize(snapshot).get());
      assertThat(old.remove("stored")).isNotNull();

      JobLedger readBack = JobLedger.of((JobLedger.Snapshot)
          serialization.deserialize(cbor.writeValueAsBytes(old), serializer.identifier(), manifest).get());

      assertThat(readBack.stored).isEmpty();
      assertThat(readBack.done).isEqualTo(1);
      assertThat(CODEC.decode(readBack.resultsPage(0, 1024).outcomes().get(0).output(), Long.class)).isEqualTo(4L);
      assertThat(readBack.unfinished).containsOnlyKeys(1);
    } finally {
      kit.shutdownTestKit();
    }
  }

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
