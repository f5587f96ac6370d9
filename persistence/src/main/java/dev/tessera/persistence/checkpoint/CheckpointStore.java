package dev.tessera.persistence.checkpoint;

import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.runtime.serialization.CborSerializable;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.persistence.AbstractPersistentActor;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.DeleteSnapshotsSuccess;
import org.apache.pekko.persistence.RecoveryCompleted;
import org.apache.pekko.persistence.SaveSnapshotFailure;
import org.apache.pekko.persistence.SaveSnapshotSuccess;
import org.apache.pekko.persistence.SnapshotOffer;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;

/**
 * Stores one simulation's checkpoints in the journal.
 *
 * <p>A checkpoint is written as chunk events, then committed by a snapshot that holds only its
 * manifest (step, the sequence numbers of its chunks, size, SHA-256). The snapshot is the commit:
 * a crash between the chunks and the snapshot leaves the previous checkpoint as the latest, and
 * the orphaned chunks are deleted with the older checkpoints at the next commit. Recovery loads
 * the latest manifest and replays only the events after it (at most one unfinished checkpoint,
 * whose bytes it does not keep), so it takes the same time after a day of checkpoints as after
 * one. Chunks are read back with persistence query by {@link Checkpoints#latest()}.
 *
 * <p>A classic persistent actor, not an {@code EventSourcedBehavior}: deleting the events of
 * superseded checkpoints on demand ({@code deleteMessages}) has no typed equivalent.
 *
 * <p>Threading: an actor; saves are handled one at a time, in arrival order.
 */
final class CheckpointStore extends AbstractPersistentActor {

  /** Sent only on this node, by {@link Checkpoints}. */
  sealed interface Command extends NoSerializationVerificationNeeded {}

  record Save(long step, byte[] state, CompletableFuture<Done> done) implements Command {}

  record GetManifest(CompletableFuture<Optional<Manifest>> reply) implements Command {}

  /** One piece of a checkpoint's state, as stored in the journal. */
  record Chunk(long step, int index, byte[] data) implements CborSerializable {}

  /** What a committed checkpoint is made of, as stored in its snapshot. */
  record Manifest(long step, long fromSequenceNr, long toSequenceNr, int chunks, long size, String sha256)
      implements CborSerializable {}

  static final String PERSISTENCE_ID_PREFIX = "tessera-checkpoint|";
  /** At most this many bytes of chunks go to the journal in one write. */
  private static final int WRITE_BYTES = 4 * 1024 * 1024;

  private final String simulationId;
  private final int chunkSize;
  private final ArrayDeque<Save> waiting = new ArrayDeque<>();
  private Manifest latest;
  /** The save in progress, and the manifest its snapshot will commit. */
  private Save saving;
  private Manifest committing;

  CheckpointStore(String simulationId, int chunkSize) {
    this.simulationId = Objects.requireNonNull(simulationId, "simulationId");
    if (chunkSize < 1) {
      throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
    }
    this.chunkSize = chunkSize;
  }

  static String persistenceIdOf(String simulationId) {
    return PERSISTENCE_ID_PREFIX + simulationId;
  }

  @Override
  public String persistenceId() {
    return persistenceIdOf(simulationId);
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
    return receiveBuilder()
        .match(SnapshotOffer.class, offer -> latest = (Manifest) offer.snapshot())
        .match(Chunk.class, chunk -> {
          // A checkpoint that was never committed: its bytes are not needed.
        })
        .match(RecoveryCompleted.class, done -> {})
        .build();
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(Save.class, save -> {
          waiting.add(save);
          startNext();
        })
        .match(GetManifest.class, get -> get.reply().complete(Optional.ofNullable(latest)))
        .match(SaveSnapshotSuccess.class, this::onCommitted)
        .match(SaveSnapshotFailure.class, failure -> failSave(new CheckpointException(
            "could not commit the checkpoint of simulation " + simulationId + " at step " + saving.step(), failure.cause())))
        .match(DeleteMessagesSuccess.class, ok -> finishSave())
        .match(DeleteSnapshotsSuccess.class, ok -> {})
        .match(DeleteMessagesFailure.class, failure -> {
          context().system().log().warning(
              "simulation {}: old checkpoint chunks up to {} could not be deleted (they are retried at the next commit): {}",
              simulationId, failure.toSequenceNr(), failure.cause());
          finishSave();
        })
        .match(DeleteSnapshotsFailure.class, failure -> context().system().log().warning(
            "simulation {}: old checkpoint manifests could not be deleted: {}", simulationId, failure.cause()))
        .build();
  }

  private void startNext() {
    if (saving != null || waiting.isEmpty()) {
      return;
    }
    saving = waiting.poll();
    if (latest != null && saving.step() <= latest.step()) {
      failSave(new CheckpointException("checkpoint step " + saving.step() + " of simulation " + simulationId
          + " is not after the latest saved step " + latest.step()));
      return;
    }
    byte[] state = saving.state();
    List<Chunk> chunks = new ArrayList<>();
    for (int offset = 0, index = 0; offset < state.length || index == 0; offset += chunkSize, index++) {
      int end = Math.min(state.length, offset + chunkSize);
      chunks.add(new Chunk(saving.step(), index, Arrays.copyOfRange(state, offset, end)));
    }
    long from = lastSequenceNr() + 1;
    String sha256 = sha256(state);
    int perWrite = Math.max(1, WRITE_BYTES / chunkSize);
    persistFrom(chunks, 0, perWrite, () -> {
      committing = new Manifest(saving.step(), from, lastSequenceNr(), chunks.size(), state.length, sha256);
      saveSnapshot(committing);
    });
  }

  /**
   * Writes {@code chunks} from {@code start} on, {@code perWrite} at a time, each write after the
   * previous one is stored, then runs {@code then}. One write of a whole 100 MB state would run
   * past the journal's call timeout; the snapshot commits the checkpoint, so the writes need not be
   * one transaction.
   */
  private void persistFrom(List<Chunk> chunks, int start, int perWrite, Runnable then) {
    int end = Math.min(chunks.size(), start + perWrite);
    List<Chunk> group = chunks.subList(start, end);
    persistAll(group, chunk -> {
      if (chunk == group.get(group.size() - 1)) {
        if (end < chunks.size()) {
          persistFrom(chunks, end, perWrite, then);
        } else {
          then.run();
        }
      }
    });
  }

  private void onCommitted(SaveSnapshotSuccess success) {
    latest = committing;
    committing = null;
    deleteSnapshots(SnapshotSelectionCriteria.create(success.metadata().sequenceNr() - 1, Long.MAX_VALUE));
    // Older checkpoints (and chunks of any that were never committed) are no longer needed. The
    // save completes once they are gone, so the disk never holds more than two checkpoints.
    if (latest.fromSequenceNr() > 1) {
      deleteMessages(latest.fromSequenceNr() - 1);
    } else {
      finishSave();
    }
  }

  /** The save in progress is committed (and what it replaced deleted, or the deletion failed). */
  private void finishSave() {
    if (saving == null) {
      return;
    }
    saving.done().complete(Done.getInstance());
    saving = null;
    startNext();
  }

  private void failSave(CheckpointException error) {
    context().system().log().error(error, "simulation {}: {}", simulationId, error.getMessage());
    saving.done().completeExceptionally(error);
    saving = null;
    committing = null;
    startNext();
  }

  @Override
  public void onPersistFailure(Throwable cause, Object event, long seqNr) {
    // The actor stops after this (the journal may be down); the caller gets the reason now, and
    // Checkpoints' timeout answers whatever was queued behind it.
    if (saving != null) {
      saving.done().completeExceptionally(new CheckpointException(
          "could not write the checkpoint of simulation " + simulationId + " at step " + saving.step(), cause));
    }
    super.onPersistFailure(cause, event, seqNr);
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
