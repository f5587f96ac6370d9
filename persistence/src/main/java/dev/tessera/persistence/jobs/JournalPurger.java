package dev.tessera.persistence.jobs;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import dev.tessera.persistence.journal.JournalPlugins;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.RecoveryCompleted;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;

/**
 * Deletes every event and snapshot of one persistence id, then answers and stops. A classic
 * persistent actor: deleting a whole history on demand has no typed equivalent. Its owner (a job's
 * coordinator) must have stopped writing to that id.
 *
 * <p>Threading: an actor.
 */
final class JournalPurger extends AbstractPersistentActor {

  private final String persistenceId;
  private final ActorRef<StatusReply<Done>> replyTo;
  private boolean eventsDeleted;
  private boolean snapshotsDeleted;

  static void start(ActorSystem<?> system, String persistenceId, ActorRef<StatusReply<Done>> replyTo) {
    ((ExtendedActorSystem) Adapter.toClassic(system)).systemActorOf(
        Props.create(JournalPurger.class, () -> new JournalPurger(persistenceId, replyTo)),
        "tessera-purge-" + URLEncoder.encode(persistenceId, StandardCharsets.UTF_8) + "-" + System.nanoTime());
  }

  private JournalPurger(String persistenceId, ActorRef<StatusReply<Done>> replyTo) {
    this.persistenceId = persistenceId;
    this.replyTo = replyTo;
  }

  @Override
  public String persistenceId() {
    return persistenceId;
  }

  @Override
  public String journalPluginId() {
    // Read from the config, not a field: Pekko asks for it while the superclass is constructed.
    return JournalPlugins.journal(getContext().getSystem().settings().config());
  }

  @Override
  public String snapshotPluginId() {
    return JournalPlugins.snapshotStore(getContext().getSystem().settings().config());
  }

  @Override
  public Receive createReceiveRecover() {
    // Events are replayed only to learn the highest sequence number; snapshots are skipped.
    return receiveBuilder()
        .match(RecoveryCompleted.class, done -> {
          deleteSnapshots(SnapshotSelectionCriteria.create(Long.MAX_VALUE, Long.MAX_VALUE));
          deleteMessages(lastSequenceNr());
        })
        .matchAny(event -> {})
        .build();
  }

  @Override
  public org.apache.pekko.persistence.Recovery recovery() {
    return org.apache.pekko.persistence.Recovery.create(SnapshotSelectionCriteria.none());
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(DeleteMessagesSuccess.class, ok -> {
          eventsDeleted = true;
          finishIfDone();
        })
        .match(DeleteSnapshotsSuccess.class, ok -> {
          snapshotsDeleted = true;
          finishIfDone();
        })
        .match(DeleteMessagesFailure.class, failure -> fail("its events", failure.cause()))
        .match(DeleteSnapshotsFailure.class, failure -> fail("its snapshots", failure.cause()))
        .build();
  }

  private void finishIfDone() {
    if (eventsDeleted && snapshotsDeleted) {
      replyTo.tell(StatusReply.ack());
      getContext().stop(getSelf());
    }
  }

  private void fail(String what, Throwable cause) {
    replyTo.tell(StatusReply.error("purging " + persistenceId + ": deleting " + what + " failed: " + cause));
    getContext().stop(getSelf());
  }
}
