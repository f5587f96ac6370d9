package dev.tessera.persistence.checkpoint;

import dev.tessera.runtime.job.PayloadCodec;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import dev.tessera.persistence.journal.JournalPlugins;
import dev.tessera.persistence.journal.PersistenceMeters;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;

/**
 * Checkpoints for a long-running simulation: {@link #save} its state every N steps, and after a
 * crash or a restart {@link #latest} gives the last state saved, so it resumes from there and not
 * from step 0.
 *
 * <pre>{@code
 * Checkpoints checkpoints = Checkpoints.open(system, "heat-2d-run-7").toCompletableFuture().get();
 * Grid grid = checkpoints.latest(Grid.class).toCompletableFuture().get()
 *     .orElseGet(Grid::initial);                      // resumes where the last run stopped
 * for (long step = grid.step() + 1; step <= 10_000; step++) {
 *   grid = grid.advance();
 *   if (step % 100 == 0) checkpoints.save(step, grid).toCompletableFuture().get();
 * }
 * }</pre>
 *
 * <p>States are stored in the journal (the embedded H2 file by default; see {@code
 * tessera.persistence} in {@code reference.conf}) in chunks of {@code checkpoint.chunk-size}, so a
 * 100 MB state is fine, and with a SHA-256 that is checked on load: a damaged checkpoint is an
 * error naming the simulation and step, never silently wrong data. Only the latest checkpoint is
 * kept. Steps must increase.
 *
 * <p>Thread safety: every method may be called from any thread; saves are applied in call order.
 */
public final class Checkpoints implements AutoCloseable {

  private static final PayloadCodec CODEC = new PayloadCodec();

  private final ActorSystem<?> system;
  private final String simulationId;
  private final org.apache.pekko.actor.ActorRef store;
  private final Duration timeout;

  private Checkpoints(ActorSystem<?> system, String simulationId, org.apache.pekko.actor.ActorRef store, Duration timeout) {
    this.system = system;
    this.simulationId = simulationId;
    this.store = store;
    this.timeout = timeout;
  }

  /**
   * Opens the checkpoints of {@code simulationId} on this node, creating the journal's tables
   * first if they are missing and {@code tessera.persistence.create-schema} is on. Open a
   * simulation once per node at a time.
   */
  public static CompletionStage<Checkpoints> open(ActorSystem<?> system, String simulationId) {
    Objects.requireNonNull(system, "system");
    Objects.requireNonNull(simulationId, "simulationId");
    if (simulationId.isBlank()) {
      throw new IllegalArgumentException("a simulation id must not be blank");
    }
    var config = system.settings().config().getConfig("tessera.persistence");
    int chunkSize = (int) Math.min(Integer.MAX_VALUE, config.getBytes("checkpoint.chunk-size"));
    Duration timeout = config.getDuration("checkpoint.timeout");
    CompletionStage<Done> schema = JournalPlugins.createSchema(system);
    return schema.thenApply(done -> new Checkpoints(system, simulationId,
        // A system actor: a typed system's user guardian does not take classic children from outside.
        ((ExtendedActorSystem) Adapter.toClassic(system)).systemActorOf(
            Props.create(CheckpointStore.class, () -> new CheckpointStore(simulationId, chunkSize)),
            "tessera-checkpoints-" + URLEncoder.encode(simulationId, StandardCharsets.UTF_8)),
        timeout));
  }

  /** Saves {@code state} as the checkpoint of {@code step}; completes once it is durable. */
  public CompletionStage<Done> save(long step, byte[] state) {
    Objects.requireNonNull(state, "state");
    CompletableFuture<Done> done = new CompletableFuture<>();
    store.tell(new CheckpointStore.Save(step, state.clone(), done), org.apache.pekko.actor.ActorRef.noSender());
    int size = state.length;
    return withTimeout(done, "saving step " + step).thenApply(saved -> {
      PersistenceMeters.get(system).checkpointSaved(size);
      return saved;
    });
  }

  /** Saves {@code state} (any Jackson-serializable value) as the checkpoint of {@code step}. */
  public CompletionStage<Done> save(long step, Object state) {
    return save(step, CODEC.encode(Objects.requireNonNull(state, "state")));
  }

  /** The latest checkpoint saved, if any; fails with {@link CheckpointException} if it is damaged. */
  public CompletionStage<Optional<Checkpoint>> latest() {
    return manifest().thenCompose(found -> {
      if (found.isEmpty()) {
        return CompletableFuture.completedFuture(Optional.<Checkpoint>empty());
      }
      return read(found.get()).thenApply(Optional::of).exceptionallyCompose(error -> {
        // A save that committed while the chunks were read deletes them: read the newer one. Only
        // if no newer checkpoint exists is the damage real.
        return manifest().thenCompose(now -> now.isPresent() && now.get().step() != found.get().step()
            ? read(now.get()).thenApply(Optional::of)
            : CompletableFuture.failedFuture(error));
      });
    });
  }

  private CompletableFuture<Optional<CheckpointStore.Manifest>> manifest() {
    CompletableFuture<Optional<CheckpointStore.Manifest>> manifest = new CompletableFuture<>();
    store.tell(new CheckpointStore.GetManifest(manifest), org.apache.pekko.actor.ActorRef.noSender());
    return withTimeout(manifest, "finding the latest checkpoint");
  }

  /** The latest checkpoint's state read as a {@code type}, if there is one. */
  public <T> CompletionStage<Optional<T>> latest(Class<T> type) {
    return latest().thenApply(found -> found.map(checkpoint -> CODEC.decode(checkpoint.state(), type)));
  }

  /** Stops this node's store of the simulation's checkpoints (what was saved stays saved). */
  @Override
  public void close() {
    store.tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
  }

  private CompletableFuture<Checkpoint> read(CheckpointStore.Manifest manifest) {
    JdbcReadJournal journal = PersistenceQuery.get(Adapter.toClassic(system))
        .getReadJournalFor(JdbcReadJournal.class, JournalPlugins.READ_JOURNAL);
    CompletableFuture<Checkpoint> checkpoint = journal
        .currentEventsByPersistenceId(
            CheckpointStore.persistenceIdOf(simulationId), manifest.fromSequenceNr(), manifest.toSequenceNr())
        .runWith(Sink.seq(), system)
        .thenApply(envelopes -> assemble(manifest, envelopes))
        .toCompletableFuture();
    return withTimeout(checkpoint, "reading step " + manifest.step());
  }

  private Checkpoint assemble(CheckpointStore.Manifest manifest, List<EventEnvelope> envelopes) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, manifest.size()));
    int expected = 0;
    for (EventEnvelope envelope : envelopes) {
      if (!(envelope.event() instanceof CheckpointStore.Chunk chunk)
          || chunk.step() != manifest.step() || chunk.index() != expected) {
        throw damaged(manifest, "event " + envelope.sequenceNr() + " is not chunk " + expected + " of step " + manifest.step());
      }
      bytes.writeBytes(chunk.data());
      expected++;
    }
    if (expected != manifest.chunks()) {
      throw damaged(manifest, expected + " of " + manifest.chunks() + " chunks found");
    }
    byte[] state = bytes.toByteArray();
    if (!CheckpointStore.sha256(state).equals(manifest.sha256())) {
      throw damaged(manifest, "its SHA-256 does not match the one saved with it");
    }
    return new Checkpoint(manifest.step(), state);
  }

  private CheckpointException damaged(CheckpointStore.Manifest manifest, String why) {
    return new CheckpointException("the checkpoint of simulation " + simulationId + " at step " + manifest.step()
        + " is damaged: " + why);
  }

  private <T> CompletableFuture<T> withTimeout(CompletableFuture<T> future, String what) {
    return future.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionallyCompose(error -> {
      Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
      if (cause instanceof TimeoutException) {
        return CompletableFuture.failedFuture(new CheckpointException("simulation " + simulationId + ": " + what
            + " got no answer within " + timeout.toMillis() + " ms (is the journal reachable? see the log)"));
      }
      return CompletableFuture.failedFuture(cause);
    });
  }
}
