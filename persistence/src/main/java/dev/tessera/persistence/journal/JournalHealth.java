package dev.tessera.persistence.journal;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * Whether this node's journal could write the last time it tried, and if not, why: a query for
 * what a job's coordinator says while the journal's storage is down ("journal write failed: No
 * space left on device (H2 at ...)"). {@link ObservedJdbcJournal} reports every write's outcome.
 *
 * <pre>{@code
 * JournalHealth.get(system).failure().ifPresent(f -> log.warn("{}", f.describe()));
 * }</pre>
 *
 * <p>Thread safety: thread-safe (one atomic reference); the journal's threads write it, actors read it.
 */
public final class JournalHealth implements Extension {

  /**
   * Writes have failed since {@code since} (and none succeeded since then).
   *
   * @param firstCause the root cause of the first failed write (the one that names the disk, say)
   * @param latestCause the root cause of the latest failed write (later ones may only say "the
   *     database has been closed")
   * @param journal which journal, for messages ("H2 at jdbc:h2:tcp://...")
   */
  public record Failure(String firstCause, String latestCause, Instant since, String journal) {
    public Failure {
      Objects.requireNonNull(firstCause, "firstCause");
      Objects.requireNonNull(latestCause, "latestCause");
      Objects.requireNonNull(since, "since");
      Objects.requireNonNull(journal, "journal");
    }

    /** "journal write failed: No space left on device (H2 at jdbc:h2:tcp://127.0.0.1:9123/journal)" */
    public String describe() {
      String latest = latestCause.equals(firstCause) ? "" : "; latest: " + latestCause;
      return "journal write failed: " + firstCause + latest + " (" + journal + ", failing since " + since + ")";
    }
  }

  private static final ExtensionId<JournalHealth> ID = new ExtensionId<>() {
    @Override
    public JournalHealth createExtension(ActorSystem<?> system) {
      return new JournalHealth(JournalFailures.journalName(system.settings().config()));
    }
  };

  private final String journal;
  private final AtomicReference<Failure> failure = new AtomicReference<>();

  private JournalHealth(String journal) {
    this.journal = journal;
  }

  public static JournalHealth get(ActorSystem<?> system) {
    return system.registerExtension(ID);
  }

  /** Present while the last write failed. */
  public Optional<Failure> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** "H2 at jdbc:h2:tcp://..." */
  public String journal() {
    return journal;
  }

  /** A write failed; keeps the first cause of this outage and the latest one. */
  void writeFailed(Throwable cause) {
    String root = JournalFailures.rootCause(cause);
    failure.updateAndGet(old -> old == null
        ? new Failure(root, root, Instant.now(), journal)
        : new Failure(old.firstCause(), root, old.since(), journal));
  }

  /** A write succeeded: the outage, if any, is over. */
  void writeSucceeded() {
    Failure current = failure.get();
    if (current != null) {
      failure.compareAndSet(current, null); // a newer failure, written meanwhile, stays
    }
  }
}
