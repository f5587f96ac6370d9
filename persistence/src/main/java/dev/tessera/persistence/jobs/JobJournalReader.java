package dev.tessera.persistence.jobs;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Reads one durable job's history from the journal's database, outside the cluster: which task's
 * result was committed when, by which writer, how many attempts tasks used, and whether the job
 * ended. A writer is one coordinator incarnation (pekko-persistence-jdbc's {@code writer} column: a
 * fresh id per actor that writes), so overlapping writer spans are two coordinators at once. What
 * the chaos harness judges "committed once" and "one coordinator at a time" by, and what a
 * recovery time is measured from.
 *
 * <p>It reads pekko-persistence-jdbc's {@code event_journal} table under its default name (the one
 * {@code JournalPlugins.createSchema} and {@code schema/postgres-create-schema.sql} create), on H2
 * or PostgreSQL, read-only, through a connection of its own; deleted events (purged jobs) are
 * skipped. Events are decoded with the serializers of the actor system passed to {@link #read}:
 * give it one that has this module on its classpath (any node's, or a client's).
 *
 * <pre>{@code
 * try (JobJournalReader journal = JobJournalReader.open("jdbc:h2:tcp://127.0.0.1:9123/journal", "sa", "", jobId)) {
 *   while (!journal.ended()) Thread.sleep(200);
 *   JobJournalReader.Reading reading = journal.read(system);
 *   reading.commits().forEach(c -> System.out.println(c.task() + " at " + c.atMillis() + " by " + c.writer()));
 * }
 * }</pre>
 *
 * <p>Thread safety: not thread-safe (one JDBC connection); use it from one thread at a time.
 */
public final class JobJournalReader implements AutoCloseable {

  /** Task {@code task}'s result was written at {@code atMillis} (epoch millis) by coordinator incarnation {@code writer}. */
  public record Commit(int task, long atMillis, String writer) {
    public Commit {
      Objects.requireNonNull(writer, "writer");
    }
  }

  /** The first and the last write (epoch millis) of one coordinator incarnation. */
  public record WriterSpan(String writer, long fromMillis, long toMillis) {
    public WriterSpan {
      Objects.requireNonNull(writer, "writer");
    }
  }

  /**
   * What the journal holds for the job.
   *
   * @param commits every result committed, in journal order (a task twice if it was committed twice)
   * @param writers each coordinator incarnation that wrote, in the order of their first writes
   * @param attempts per task, the most attempts the journal records it used (from attempts used and
   *     failures for good; tasks that succeeded on their first try are absent)
   * @param ended whether the job's end (finished or cancelled) is in the journal
   */
  public record Reading(List<Commit> commits, List<WriterSpan> writers, Map<Integer, Integer> attempts, boolean ended) {
    public Reading {
      commits = List.copyOf(commits);
      writers = List.copyOf(writers);
      attempts = Map.copyOf(attempts);
    }
  }

  private static final String EVENTS = "SELECT \"sequence_number\", \"writer\", \"write_timestamp\", \"event_ser_id\","
      + " \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\" WHERE \"persistence_id\" = ?"
      + " AND \"deleted\" = FALSE ORDER BY \"sequence_number\"";
  private static final String COUNT = "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?"
      + " AND \"deleted\" = FALSE";
  private static final String ENDED = "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?"
      + " AND \"deleted\" = FALSE AND \"event_ser_manifest\" LIKE '%JobEnded'";

  private final Connection connection;
  private final String persistenceId;

  private JobJournalReader(Connection connection, String persistenceId) {
    this.connection = connection;
    this.persistenceId = persistenceId;
  }

  /**
   * Opens a connection to the journal's database for job {@code jobId}.
   *
   * @param url the JDBC URL the nodes' journal uses ({@code tessera.persistence.jdbc.url})
   * @throws SQLException when the database cannot be reached
   */
  public static JobJournalReader open(String url, String user, String password, String jobId) throws SQLException {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(jobId, "jobId");
    Connection connection = DriverManager.getConnection(url, user, password);
    try {
      connection.setReadOnly(true);
    } catch (SQLException | RuntimeException e) {
      connection.close();
      throw e;
    }
    return new JobJournalReader(connection, DurableJobCoordinator.persistenceId(jobId).id());
  }

  /** Whether the job's end is in the journal (cheap: reads no payload, decodes nothing). */
  public boolean ended() throws SQLException {
    return count(ENDED) > 0;
  }

  /** How many events the job has in the journal: one per write of its coordinator, or fewer (cheap). */
  public long eventCount() throws SQLException {
    return count(COUNT);
  }

  private long count(String sql) throws SQLException {
    try (PreparedStatement query = connection.prepareStatement(sql)) {
      query.setString(1, persistenceId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() ? rows.getLong(1) : 0;
      }
    }
  }

  /**
   * Every event of the job, decoded with {@code system}'s serializers.
   *
   * @throws SQLException when the database cannot be read
   * @throws IllegalStateException when an event cannot be decoded (a damaged journal)
   */
  public Reading read(ActorSystem<?> system) throws SQLException {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    List<Commit> commits = new ArrayList<>();
    Map<String, WriterSpan> writers = new LinkedHashMap<>();
    Map<Integer, Integer> attempts = new LinkedHashMap<>();
    boolean ended = false;
    try (PreparedStatement query = connection.prepareStatement(EVENTS)) {
      query.setString(1, persistenceId);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          long sequenceNumber = rows.getLong(1);
          String writer = rows.getString(2);
          long at = rows.getLong(3);
          scala.util.Try<Object> decoded = serialization.deserialize(rows.getBytes(6), rows.getInt(4), rows.getString(5));
          if (decoded.isFailure()) {
            Throwable failure = decoded.failed().get();
            throw new IllegalStateException("event " + sequenceNumber + " of " + persistenceId
                + " cannot be decoded: " + failure, failure);
          }
          Object event = decoded.get();
          writers.merge(writer, new WriterSpan(writer, at, at),
              (a, b) -> new WriterSpan(writer, Math.min(a.fromMillis(), at), Math.max(a.toMillis(), at)));
          if (event instanceof JobEvent.TasksCompleted completed) {
            completed.tasks().forEach(task -> commits.add(new Commit(task.taskId(), at, writer)));
          } else if (event instanceof JobEvent.AttemptsUsed used) {
            used.tasks().forEach(task -> attempts.merge(task.taskId(), task.attempts(), Math::max));
          } else if (event instanceof JobEvent.TasksFailed failed) {
            failed.tasks().forEach(task -> attempts.merge(task.taskId(), task.attempts(), Math::max));
          } else if (event instanceof JobEvent.JobEnded) {
            ended = true;
          }
        }
      }
    }
    return new Reading(commits, new ArrayList<>(writers.values()), attempts, ended);
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
