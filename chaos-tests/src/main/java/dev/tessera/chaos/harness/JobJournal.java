package dev.tessera.chaos.harness;

import dev.tessera.persistence.jobs.DurableJobCoordinator;
import dev.tessera.persistence.jobs.JobEvent;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * Reads one durable job's events straight from the journal's tables (pekko-persistence-jdbc's
 * {@code event_journal}): which task was committed when, and by which writer (one per coordinator
 * incarnation). What the harness judges "committed once" and "one coordinator at a time" by.
 */
final class JobJournal implements AutoCloseable {

  /** Task {@code task}'s result was written at {@code atMillis} by coordinator incarnation {@code writer}. */
  record Commit(int task, long atMillis, String writer) {}

  /** The first and last write of one coordinator incarnation. */
  record WriterSpan(String writer, long fromMillis, long toMillis) {}

  /** What the journal holds for the job. */
  record Reading(List<Commit> commits, List<WriterSpan> writers, Map<Integer, Integer> attempts, boolean ended) {}

  private static final String EVENTS = "SELECT \"sequence_number\", \"writer\", \"write_timestamp\", \"event_ser_id\","
      + " \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\" WHERE \"persistence_id\" = ?"
      + " ORDER BY \"sequence_number\"";
  private static final String ENDED = "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?"
      + " AND \"event_ser_manifest\" LIKE '%JobEnded'";

  private final Connection connection;
  private final String persistenceId;

  private JobJournal(Connection connection, String persistenceId) {
    this.connection = connection;
    this.persistenceId = persistenceId;
  }

  static JobJournal open(String url, String user, String password, String jobId) throws SQLException {
    return new JobJournal(DriverManager.getConnection(url, user, password), DurableJobCoordinator.persistenceId(jobId).id());
  }

  /** The job's end is in the journal (cheap: reads no payload). */
  boolean ended() throws SQLException {
    try (PreparedStatement query = connection.prepareStatement(ENDED)) {
      query.setString(1, persistenceId);
      try (ResultSet rows = query.executeQuery()) {
        return rows.next() && rows.getLong(1) > 0;
      }
    }
  }

  /** Every event of the job, decoded with {@code system}'s serializers (the nodes' own). */
  Reading read(ActorSystem<?> system) throws SQLException {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    List<Commit> commits = new ArrayList<>();
    Map<String, WriterSpan> writers = new LinkedHashMap<>();
    Map<Integer, Integer> attempts = new LinkedHashMap<>();
    boolean ended = false;
    try (PreparedStatement query = connection.prepareStatement(EVENTS)) {
      query.setString(1, persistenceId);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          String writer = rows.getString(2);
          long at = rows.getLong(3);
          Object event = serialization.deserialize(rows.getBytes(6), rows.getInt(4), rows.getString(5)).get();
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
