package dev.tessera.persistence.journal;

import com.typesafe.config.Config;
import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.HexFormat;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Results of durable jobs too large for a journal event (above {@code
 * tessera.persistence.jobs.inline-result-bytes}), kept beside the journal: in the table {@value
 * #TABLE} of the journal's own database (H2 or PostgreSQL), cut into rows of {@code
 * result-chunk-size}, keyed by job id, task id and chunk number. The job's event then records only
 * the result's size and SHA-256 ({@link StoredResult}), and reading it back checks both.
 *
 * <p>Why a table and not files beside the journal: the table is wherever the journal is. With
 * PostgreSQL on another machine, a whole-cluster restart (or a job moving to another node) finds
 * every result with the events that name it; files would stay on the disk of the node that wrote
 * them. Rows of a bounded size, because neither database should need a 10 MB value as one
 * parameter, and so that reading fetches a few rows at a time.
 *
 * <p>The order that keeps a job whole: a result is written and committed here before the event
 * that records its task as completed is written to the journal. A crash in between leaves rows
 * that no event names; the task runs again and its new result replaces them (a write of a task
 * first deletes that task's rows, in the same transaction). A job's rows are deleted when it is
 * purged. Used only where the journal is our JDBC journal ({@link #enabled()}); elsewhere (Pekko's
 * in-memory test journal) results stay in their events, as every result did before.
 *
 * <pre>{@code
 * ResultBlobs blobs = ResultBlobs.get(system);
 * Map<Integer, StoredResult> stored = blobs.store(jobId, Map.of(7, bytes)).toCompletableFuture().get();
 * byte[] back = blobs.read(jobId, 7, stored.get(7)).toCompletableFuture().get();
 * }</pre>
 *
 * <p>Thread safety: thread-safe. Every method returns at once; its SQL runs on the actor system's
 * blocking-IO dispatcher, through a connection of its own (opened per call: a call moves at least
 * {@code inline-result-bytes}, so the connection's cost is small beside it, and a connection
 * opened after the database came back works, where a pooled one may stay broken).
 */
public final class ResultBlobs implements Extension {

  private static final Logger log = LoggerFactory.getLogger(ResultBlobs.class);

  /** The table, in the journal's database. */
  public static final String TABLE = "tessera_job_results";

  /**
   * The table's DDL, the same for H2 and PostgreSQL (H2 reads {@code BYTEA} as its {@code
   * VARBINARY}); run where missing when the journal's schema is made ({@link JournalPlugins#createSchema}).
   */
  public static final String DDL = "CREATE TABLE IF NOT EXISTS " + TABLE + " (\n"
      + "  job_id VARCHAR(255) NOT NULL,\n"
      + "  task_id INTEGER NOT NULL,\n"
      + "  chunk INTEGER NOT NULL,\n"
      + "  bytes BYTEA NOT NULL,\n"
      + "  PRIMARY KEY (job_id, task_id, chunk)\n"
      + ")";

  private static final String DELETE_TASK = "DELETE FROM " + TABLE + " WHERE job_id = ? AND task_id = ?";
  private static final String INSERT = "INSERT INTO " + TABLE + " (job_id, task_id, chunk, bytes) VALUES (?, ?, ?, ?)";
  private static final String SELECT_TASK = "SELECT chunk, bytes FROM " + TABLE
      + " WHERE job_id = ? AND task_id = ? ORDER BY chunk";
  private static final String DELETE_JOB = "DELETE FROM " + TABLE + " WHERE job_id = ?";
  /** The largest array a JVM allocates. */
  private static final long MAX_ARRAY = Integer.MAX_VALUE - 8;
  /** Rows fetched per round trip when reading: about this many bytes. */
  private static final long FETCH_BYTES = 4L << 20;

  private static final ExtensionId<ResultBlobs> ID = new ExtensionId<>() {
    @Override
    public ResultBlobs createExtension(ActorSystem<?> system) {
      return new ResultBlobs(system.settings().config(), system.dispatchers().lookup(DispatcherSelector.blocking()),
          JournalHealth.get(system));
    }
  };

  private final boolean enabled;
  private final long inlineBytes;
  private final int chunkBytes;
  private final String url;
  private final String user;
  private final String password;
  private final String driver;
  private final String journal;
  private final Executor blocking;
  private final JournalHealth health;
  /** Stores have failed since the last one that worked: the failure was logged, the next ones are not. */
  private final AtomicBoolean failing = new AtomicBoolean();

  public static ResultBlobs get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  ResultBlobs(Config config, Executor blocking, JournalHealth health) {
    this.blocking = Objects.requireNonNull(blocking, "blocking");
    this.health = Objects.requireNonNull(health, "health");
    String plugin = JournalPlugins.journal(config);
    boolean jdbc = config.hasPath(plugin + ".use-shared-db") && config.hasPath("tessera.persistence.jdbc.url");
    this.enabled = jdbc;
    Config jobs = config.getConfig("tessera.persistence.jobs");
    this.inlineBytes = jdbc ? jobs.getBytes("inline-result-bytes") : Long.MAX_VALUE;
    this.chunkBytes = Math.toIntExact(jobs.getBytes("result-chunk-size"));
    this.url = jdbc ? config.getString("tessera.persistence.jdbc.url") : null;
    this.user = jdbc ? config.getString("tessera.persistence.jdbc.user") : null;
    this.password = jdbc ? config.getString("tessera.persistence.jdbc.password") : null;
    this.driver = jdbc ? config.getString("tessera.persistence.jdbc.driver") : null;
    this.journal = JournalFailures.journalName(config);
  }

  /**
   * Whether large results are kept here: true where the journal is our JDBC journal. Otherwise
   * (another journal plugin) every result stays in its event.
   */
  public boolean enabled() {
    return enabled;
  }

  /** Results larger than this are kept here; {@link Long#MAX_VALUE} when not {@link #enabled()}. */
  public long inlineBytes() {
    return inlineBytes;
  }

  /** "table tessera_job_results (H2 at jdbc:h2:tcp://...)", for messages. */
  public String describe() {
    return "table " + TABLE + " (" + journal + ")";
  }

  /** Creates the table where it is missing. */
  public CompletionStage<Done> createTable() {
    return async(() -> {
      try (Connection c = connect(); Statement s = c.createStatement()) {
        s.execute(DDL);
      }
      return Done.getInstance();
    });
  }

  /**
   * Writes the results of a job's tasks and commits them, all or none, replacing whatever rows
   * those tasks had. A failure is logged once (the first since the last store that worked), with
   * its cause, and reported to {@link JournalHealth}, so the job's status says it.
   *
   * @return each task's {@link StoredResult}, once committed
   */
  public CompletionStage<Map<Integer, StoredResult>> store(String jobId, Map<Integer, byte[]> results) {
    Objects.requireNonNull(jobId, "jobId");
    Map<Integer, byte[]> copy = new LinkedHashMap<>(results);
    return async(() -> storeNow(jobId, copy)).whenComplete((stored, error) -> {
      if (error == null) {
        health.writeSucceeded();
        if (failing.getAndSet(false)) {
          log.info("storing job results in {} works again", describe());
        }
        return;
      }
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      health.writeFailed(cause);
      if (!failing.getAndSet(true)) {
        long bytes = copy.values().stream().mapToLong(b -> b.length).sum();
        log.error("storing the results of tasks {} of job {} ({} bytes) in {} failed: {}; those tasks stay uncommitted"
            + " and run again; further failures are not logged until a store works", copy.keySet(), jobId, bytes,
            describe(), JournalFailures.rootCause(cause), cause);
      } else {
        log.debug("storing the results of tasks {} of job {} failed again: {}", copy.keySet(), jobId,
            JournalFailures.rootCause(cause));
      }
    });
  }

  /**
   * A task's result, read back and checked against what its event recorded.
   *
   * @return fails with {@link IllegalStateException} when the rows are missing (the job was purged)
   *     or differ from what was recorded (damage)
   */
  public CompletionStage<byte[]> read(String jobId, int taskId, StoredResult stored) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(stored, "stored");
    return async(() -> readNow(jobId, taskId, stored));
  }

  /** Deletes every result of a job; answers how many rows were deleted. */
  public CompletionStage<Integer> delete(String jobId) {
    Objects.requireNonNull(jobId, "jobId");
    return async(() -> {
      try (Connection c = connect(); PreparedStatement delete = c.prepareStatement(DELETE_JOB)) {
        delete.setString(1, jobId);
        return delete.executeUpdate();
      }
    });
  }

  Map<Integer, StoredResult> storeNow(String jobId, Map<Integer, byte[]> results) throws SQLException {
    Map<Integer, StoredResult> stored = new LinkedHashMap<>();
    try (Connection c = connect()) {
      c.setAutoCommit(false);
      try (PreparedStatement delete = c.prepareStatement(DELETE_TASK);
          PreparedStatement insert = c.prepareStatement(INSERT)) {
        for (Map.Entry<Integer, byte[]> result : results.entrySet()) {
          int task = result.getKey();
          byte[] bytes = result.getValue();
          delete.setString(1, jobId);
          delete.setInt(2, task);
          delete.executeUpdate();
          MessageDigest sha = sha256();
          int offset = 0;
          int chunk = 0;
          do {
            int length = Math.min(chunkBytes, bytes.length - offset);
            insert.setString(1, jobId);
            insert.setInt(2, task);
            insert.setInt(3, chunk);
            // A stream over the chunk: no copy of it, and no driver needs the whole result at once.
            insert.setBinaryStream(4, new ByteArrayInputStream(bytes, offset, length), length);
            insert.executeUpdate();
            sha.update(bytes, offset, length);
            offset += length;
            chunk++;
          } while (offset < bytes.length);
          stored.put(task, new StoredResult(bytes.length, HexFormat.of().formatHex(sha.digest())));
        }
        c.commit();
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        throw e;
      }
    }
    return stored;
  }

  byte[] readNow(String jobId, int taskId, StoredResult stored) throws SQLException {
    String what = "the result of task " + taskId + " of job " + jobId;
    if (stored.bytes() > MAX_ARRAY) {
      throw new IllegalStateException(what + " has " + stored.bytes() + " bytes, more than an array holds");
    }
    byte[] bytes = new byte[(int) stored.bytes()];
    int filled = 0;
    int chunks = 0;
    try (Connection c = connect()) {
      // PostgreSQL fetches rows through a cursor (fetch size) only inside a transaction.
      c.setAutoCommit(false);
      try (PreparedStatement select = c.prepareStatement(SELECT_TASK)) {
        select.setFetchSize((int) Math.max(1, FETCH_BYTES / chunkBytes));
        select.setString(1, jobId);
        select.setInt(2, taskId);
        try (ResultSet rows = select.executeQuery()) {
          while (rows.next()) {
            int chunk = rows.getInt(1);
            if (chunk != chunks) {
              throw new IllegalStateException(what + " in " + describe() + " is damaged: chunk " + chunks
                  + " is missing (the next row is chunk " + chunk + ")");
            }
            byte[] row = rows.getBytes(2);
            if (row.length > bytes.length - filled) {
              throw new IllegalStateException(what + " in " + describe() + " is damaged: it is longer than the "
                  + stored.bytes() + " bytes recorded");
            }
            System.arraycopy(row, 0, bytes, filled, row.length);
            filled += row.length;
            chunks++;
          }
        }
      } finally {
        c.rollback(); // read only: nothing to commit
      }
    }
    if (chunks == 0) {
      throw new IllegalStateException(what + " (" + stored.bytes() + " bytes) is missing from " + describe()
          + ": the job was purged, or its rows were deleted");
    }
    if (filled != bytes.length) {
      throw new IllegalStateException(what + " in " + describe() + " is damaged: " + filled + " bytes, not the "
          + stored.bytes() + " recorded");
    }
    String sha = HexFormat.of().formatHex(sha256().digest(bytes));
    if (!sha.equals(stored.sha256())) {
      throw new IllegalStateException(what + " in " + describe() + " is damaged: its SHA-256 is " + sha
          + ", not the " + stored.sha256() + " recorded");
    }
    return bytes;
  }

  private Connection connect() throws SQLException {
    if (!enabled) {
      throw new IllegalStateException("this node keeps no job results beside its journal: its journal ("
          + journal + ") is not tessera's JDBC journal");
    }
    try {
      Class.forName(driver); // DriverManager finds drivers through ServiceLoader, which a shaded jar may break
    } catch (ClassNotFoundException e) {
      throw new SQLException("the journal's JDBC driver " + driver + " is not on the classpath", e);
    }
    return DriverManager.getConnection(url, user, password);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  private interface Sql<T> {
    T run() throws SQLException;
  }

  private <T> CompletionStage<T> async(Sql<T> sql) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return sql.run();
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }
}
