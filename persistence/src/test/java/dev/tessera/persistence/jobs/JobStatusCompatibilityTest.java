package dev.tessera.persistence.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.CBORFactory;
import dev.tessera.runtime.job.JobProgress;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * {@link JobStatus} gained {@code coordinatingSinceMillis}; the registry's journal keeps statuses
 * written before ({@code JobEndedRecorded}). Such an event, its bytes without the field, is still
 * read, with 0 for it.
 */
class JobStatusCompatibilityTest {

  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutDown() {
    testKit.shutdownTestKit();
  }

  @Test
  void aRecordedStatusWithoutCoordinatingSinceReadsAsZero() throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    JobRegistry.JobEndedRecorded today = new JobRegistry.JobEndedRecorded(new JobStatus("j", "echo", JobStatus.FINISHED,
        new JobProgress(3, 3, 0, 0, 0, 0), 1_000, 2_000, "submitter", "node", null, 1_500));
    byte[] bytes = serialization.serialize(today).get();
    var serializer = serialization.findSerializerFor(today);
    String manifest = Serializers.manifestFor(serializer, today);

    ObjectMapper cbor = new ObjectMapper(new CBORFactory());
    ObjectNode tree = (ObjectNode) cbor.readTree(bytes);
    ((ObjectNode) tree.get("status")).remove("coordinatingSinceMillis");
    byte[] before = cbor.writeValueAsBytes(tree);

    JobRegistry.JobEndedRecorded read =
        (JobRegistry.JobEndedRecorded) serialization.deserialize(before, serializer.identifier(), manifest).get();
    assertThat(read.status().coordinatingSinceMillis()).isZero();
    assertThat(read.status().jobId()).isEqualTo("j");
    assertThat(read.status().state()).isEqualTo(JobStatus.FINISHED);
    assertThat(read.status().endedAtMillis()).isEqualTo(2_000);
  }
}
