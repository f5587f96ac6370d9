package dev.tessera.persistence.jobs;

import dev.tessera.persistence.journal.JournalHealth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.pattern.StatusReply;

/**
 * The replies an event-sourced actor owes to requests whose events are being written, so that a
 * failed write is answered with the journal's error instead of silence.
 *
 * <p>Why this is needed: when a write fails, Pekko restarts the actor (with backoff, see {@link
 * #backoff}), and a {@code thenReply} of the failed write never runs; the client would wait for its
 * ask timeout and learn nothing. The actor registers each reply before persisting, removes it once
 * the write succeeded, and on {@code PreRestart} answers the rest with {@link #failAll}. The Java
 * object of an {@code EventSourcedBehavior} survives such a restart (only Pekko's internal state is
 * rebuilt), and so does this list.
 *
 * <p>Threading: owned by one actor.
 */
final class PendingWrites {

  private final List<ActorRef<StatusReply<Done>>> replies = new ArrayList<>();

  /** Before persisting: {@code replyTo} is answered by the write's success, or by {@link #failAll}. */
  void add(ActorRef<StatusReply<Done>> replyTo) {
    replies.add(replyTo);
  }

  /** The write succeeded (its {@code thenReply} answers). */
  void written(ActorRef<StatusReply<Done>> replyTo) {
    replies.remove(replyTo);
  }

  /** The write failed: every request still waiting gets {@code message} as its error. */
  int failAll(String message) {
    int failed = replies.size();
    replies.forEach(replyTo -> replyTo.tell(StatusReply.error(message)));
    replies.clear();
    return failed;
  }

  /**
   * Why this node's journal failed its last write, for a client: "journal write failed: No space
   * left on device (H2 at ...)"; a generic line where the journal does not report its failures
   * (another plugin than ours).
   */
  static String journalFailure(ActorSystem<?> system) {
    return JournalHealth.get(system).failure().map(JournalHealth.Failure::describe)
        .orElse("journal write failed (" + JournalHealth.get(system).journal() + "; the node's log has the cause)");
  }

  /**
   * How durable jobs and the registry restart after a failed journal write or read: with backoff,
   * instead of stopping (Pekko's default), so they resume by themselves once the journal is back.
   */
  static BackoffSupervisorStrategy backoff(ActorSystem<?> system) {
    var config = system.settings().config().getConfig("tessera.persistence.jobs.journal-backoff");
    Duration min = config.getDuration("min");
    Duration max = config.getDuration("max");
    return SupervisorStrategy.restartWithBackoff(min, max, config.getDouble("random-factor"));
  }
}
