package dev.tessera.persistence.journal;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariPoolMXBean;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.runtime.BoxedUnit;
import scala.util.Try;
import slick.jdbc.JdbcDataSource;
import slick.jdbc.hikaricp.HikariCPJdbcDataSource;

/**
 * pekko-persistence-jdbc's journal, reporting the outcome of every write to {@link JournalHealth}
 * (so a paused job can say why), and dropping the pool's connections after a failed write.
 *
 * <p>Why drop them: when H2 cannot write its file (a full disk) it closes the database; a
 * connection opened before keeps answering "The database has been closed" for good, while a new one
 * reopens the database (which then works as soon as the disk has room again). HikariCP does not
 * recognise H2's error codes as fatal, and only checks a connection that has been idle for 500 ms,
 * so without this a busy node would keep its dead connections until the journal server restarted.
 * Soft eviction closes idle connections now and busy ones when they are returned; PostgreSQL loses
 * nothing but a reconnect.
 *
 * <p>Threading: an actor (the journal); the outcome is recorded on the write's completion, before
 * the journal answers the writer, so a writer that hears of a failure finds it in {@link
 * JournalHealth}.
 */
public class ObservedJdbcJournal extends JdbcAsyncWriteJournal {

  private static final Logger log = LoggerFactory.getLogger(ObservedJdbcJournal.class);

  private final JournalHealth health;
  private final PersistenceMeters meters;

  public ObservedJdbcJournal(Config config) {
    super(config);
    this.health = JournalHealth.get(Adapter.toTyped(context().system()));
    this.meters = PersistenceMeters.get(Adapter.toTyped(context().system()));
  }

  @Override
  public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
    long started = System.nanoTime();
    return super.asyncWriteMessages(messages).transform(result -> {
      meters.journalWrite(System.nanoTime() - started, result.isSuccess());
      if (result.isFailure()) {
        failed(result.failed().get());
      } else {
        health.writeSucceeded(); // (a rejected event is a serialization problem, not the storage's)
      }
      return result;
    }, context().dispatcher());
  }

  private void failed(Throwable cause) {
    boolean first = health.failure().isEmpty();
    health.writeFailed(cause);
    if (first) {
      log.warn("{}; the pool's connections are replaced", health.failure().map(JournalHealth.Failure::describe).orElse(""));
    }
    JdbcDataSource source = slickDb().database().source();
    if (source instanceof HikariCPJdbcDataSource hikari) {
      HikariPoolMXBean pool = hikari.ds().getHikariPoolMXBean();
      if (pool != null) {
        pool.softEvictConnections();
      }
    }
  }
}
