package dev.tessera.persistence.jobs;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import dev.tessera.persistence.journal.JournalPlugins;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
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
 * Deletes every event and snapshot of one persistence id, then what else its owner keeps of it
 * (a job's large results), then answers and stops. A classic persistent actor: deleting a whole
 * history on demand has no typed equivalent. Its owner (a job's coordinator) must have stopped
 * writing to that id.
 *
 * <p>The rest goes last: if deleting it fails, the history is gone and nothing names what is left
 * (purging again deletes it); the other way round, a failure would leave events naming results
 * that are gone.
 *
 * <p>Threading: an actor.
 */
final class JournalPurger extends AbstractPersistentActor {

  /** What else was deleted, after the events and snapshots (null: it worked). */
  private record RestDeleted(Throwable failure) implements NoSerializationVerificationNeeded {}

  private final String persistenceId;
  private final Supplier<CompletionStage<Done>> deleteRest;
  private final ActorRef<StatusReply<Done>> replyTo;
  private boolean eventsDeleted;
  private boolean snapshotsDeleted;

  /**
   * @param deleteRest deletes what else belongs to the id, once its events and snapshots are deleted
   */
  static void start(ActorSystem<?> system, String persistenceId, Supplier<CompletionStage<Done>> deleteRest,
      ActorRef<StatusReply<Done>> replyTo) {
    ((ExtendedActorSystem) Adapter.toClassic(system)).systemActorOf(
        Props.create(JournalPurger.class, () -> new JournalPurger(persistenceId, deleteRest, replyTo)),
        "tessera-purge-" + URLEncoder.encode(persistenceId, StandardCharsets.UTF_8) + "-" + System.nanoTime());
  }

  private JournalPurger(String persistenceId, Supplier<CompletionStage<Done>> deleteRest,
      ActorRef<StatusReply<Done>> replyTo) {
    this.persistenceId = persistenceId;
    this.deleteRest = deleteRest;
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
        .match(RestDeleted.class, rest -> {
          if (rest.failure() != null) {
            fail("its large results", rest.failure());
          } else {
            replyTo.tell(StatusReply.ack());
            getContext().stop(getSelf());
          }
        })
        .build();
  }

  private void finishIfDone() {
    if (eventsDeleted && snapshotsDeleted) {
      var self = getSelf();
      deleteRest.get().whenComplete((done, error) -> self.tell(new RestDeleted(error), self));
    }
  }

  private void fail(String what, Throwable cause) {
    replyTo.tell(StatusReply.error("purging " + persistenceId + ": deleting " + what + " failed: " + cause));
    getContext().stop(getSelf());
  }
}
