package dev.tessera.persistence.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The table of large job results on the real H2 journal (an embedded file, its schema made as a
 * node makes it): results cut into rows and read back bit for bit, a task's rows replaced when it
 * is stored again, damage and absence reported instead of wrong bytes, a job's rows deleted with
 * it, and a failed store committing nothing and reported to {@link JournalHealth}.
 */
class ResultBlobsTest {

  private static final int MIB = 1 << 20;

  @TempDir Path dataDir;
  private ActorTestKit kit;
  private ResultBlobs blobs;

  @BeforeEach
  void start() throws Exception {
    kit = ActorTestKit.create("blobs", ConfigFactory.load(ConfigFactory.parseString(
        "tessera.persistence.data-dir = \"" + dataDir.toAbsolutePath() + "\"\n")));
    JournalPlugins.createSchema(kit.system()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    blobs = ResultBlobs.get(kit.system());
  }

  @AfterEach
  void stop() {
    kit.shutdownTestKit();
  }

  private Connection connect() throws Exception {
    return DriverManager.getConnection("jdbc:h2:file:" + dataDir.toAbsolutePath() + "/journal;WRITE_DELAY=0", "sa", "");
  }

  private static byte[] random(int size, long seed) {
    byte[] bytes = new byte[size];
    new SplittableRandom(seed).nextBytes(bytes);
    return bytes;
  }

  /** The lengths of a task's rows, in chunk order. */
  private List<Integer> rowLengths(String job, int task) throws Exception {
    List<Integer> lengths = new ArrayList<>();
    try (Connection c = connect(); PreparedStatement q = c.prepareStatement(
        "SELECT chunk, OCTET_LENGTH(bytes) FROM tessera_job_results WHERE job_id = ? AND task_id = ? ORDER BY chunk")) {
      q.setString(1, job);
      q.setInt(2, task);
      try (ResultSet rows = q.executeQuery()) {
        while (rows.next()) {
          assertThat(rows.getInt(1)).isEqualTo(lengths.size());
          lengths.add(rows.getInt(2));
        }
      }
    }
    return lengths;
  }

  private Map<Integer, StoredResult> store(String job, Map<Integer, byte[]> results) throws Exception {
    return blobs.store(job, results).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private byte[] read(String job, int task, StoredResult stored) throws Exception {
    return blobs.read(job, task, stored).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private void execute(String sql) throws Exception {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Test
  void aResultIsCutIntoRowsOfTheChunkSizeAndReadBackBitForBit() throws Exception {
    assertThat(blobs.enabled()).isTrue();
    assertThat(blobs.inlineBytes()).isEqualTo(64 * 1024);
    byte[] large = random(2 * MIB + MIB / 2 + 3, 1);
    byte[] small = random(70_000, 2);

    Map<Integer, StoredResult> stored = store("job-a", Map.of(4, large, 9, small));

    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(large));
    assertThat(stored.get(4)).isEqualTo(new StoredResult(large.length, sha));
    assertThat(rowLengths("job-a", 4)).containsExactly(MIB, MIB, MIB / 2 + 3);
    assertThat(rowLengths("job-a", 9)).containsExactly(70_000);
    assertThat(read("job-a", 4, stored.get(4))).isEqualTo(large);
    assertThat(read("job-a", 9, stored.get(9))).isEqualTo(small);
  }

  @Test
  void storingATaskAgainReplacesItsRows() throws Exception {
    store("job-b", Map.of(0, random(3 * MIB, 3)));
    byte[] again = random(100_000, 4);

    StoredResult stored = store("job-b", Map.of(0, again)).get(0);

    assertThat(rowLengths("job-b", 0)).containsExactly(100_000);
    assertThat(read("job-b", 0, stored)).isEqualTo(again);
  }

  @Test
  void aDamagedOrMissingResultIsReportedNeverReturned() throws Exception {
    byte[] result = random(2 * MIB + 10, 5);
    StoredResult stored = store("job-c", Map.of(1, result)).get(1);

    execute("UPDATE tessera_job_results SET bytes = X'0102030405060708090a' WHERE job_id = 'job-c' AND chunk = 2");
    assertThatThrownBy(() -> read("job-c", 1, stored)).isInstanceOf(ExecutionException.class)
        .cause().isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("the result of task 1 of job job-c in table tessera_job_results (H2 at jdbc:h2:file:")
        .hasMessageContaining("is damaged: its SHA-256 is")
        .hasMessageContaining("not the " + stored.sha256() + " recorded");

    execute("UPDATE tessera_job_results SET bytes = X'00' WHERE job_id = 'job-c' AND chunk = 2");
    assertThatThrownBy(() -> read("job-c", 1, stored)).cause()
        .hasMessageContaining("is damaged: " + (result.length - 9) + " bytes, not the " + result.length + " recorded");

    execute("DELETE FROM tessera_job_results WHERE job_id = 'job-c' AND task_id = 1 AND chunk = 1");
    assertThatThrownBy(() -> read("job-c", 1, stored)).cause()
        .hasMessageContaining("is damaged: chunk 1 is missing (the next row is chunk 2)");

    execute("DELETE FROM tessera_job_results WHERE job_id = 'job-c'");
    assertThatThrownBy(() -> read("job-c", 1, stored)).cause()
        .hasMessageContaining("the result of task 1 of job job-c (" + result.length + " bytes) is missing from table"
            + " tessera_job_results")
        .hasMessageContaining("the job was purged");
  }

  @Test
  void deletingAJobDeletesItsRowsOnly() throws Exception {
    store("job-d", Map.of(0, random(MIB + 1, 6), 1, random(80_000, 7)));
    byte[] other = random(90_000, 8);
    StoredResult kept = store("job-e", Map.of(0, other)).get(0);

    assertThat(blobs.delete("job-d").toCompletableFuture().get(30, TimeUnit.SECONDS)).isEqualTo(3);

    assertThat(rowLengths("job-d", 0)).isEmpty();
    assertThat(rowLengths("job-d", 1)).isEmpty();
    assertThat(read("job-e", 0, kept)).isEqualTo(other);
  }

  @Test
  void aFailedStoreCommitsNothingAndIsReportedUntilAStoreWorks() throws Exception {
    StoredResult before = store("job-f", Map.of(0, random(MIB, 9))).get(0);
    // A trigger that fails the third row: the store has written two when it fails.
    execute("CREATE TRIGGER third_row_fails BEFORE INSERT ON tessera_job_results FOR EACH ROW CALL '"
        + FailOnThirdRow.class.getName() + "'");

    assertThatThrownBy(() -> store("job-f", Map.of(0, random(MIB / 2, 10), 1, random(2 * MIB, 11))))
        .isInstanceOf(ExecutionException.class).hasMessageContaining("the disk is full (test)");

    assertThat(JournalHealth.get(kit.system()).failure()).hasValueSatisfying(f ->
        assertThat(f.describe()).contains("the disk is full (test)"));
    assertThat(rowLengths("job-f", 0)).as("the task's earlier rows, untouched").containsExactly(MIB);
    assertThat(rowLengths("job-f", 1)).isEmpty();
    assertThat(read("job-f", 0, before)).hasSize(MIB);

    execute("DROP TRIGGER third_row_fails");
    byte[] now = random(2 * MIB, 12);
    StoredResult after = store("job-f", Map.of(1, now)).get(1);
    assertThat(JournalHealth.get(kit.system()).failure()).isEmpty();
    assertThat(read("job-f", 1, after)).isEqualTo(now);
  }

  /** An H2 trigger that fails every third row inserted while it exists. */
  public static final class FailOnThirdRow implements org.h2.api.Trigger {
    private int rows;

    @Override
    public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws java.sql.SQLException {
      if (++rows % 3 == 0) {
        throw new java.sql.SQLException("the disk is full (test)");
      }
    }
  }
}
