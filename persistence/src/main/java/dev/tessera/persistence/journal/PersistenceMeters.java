package dev.tessera.persistence.journal;

import dev.tessera.runtime.metrics.NodeMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The persistence module's meters on a node:
 *
 * <ul>
 *   <li>{@code tessera_coordinator_starts_total{kind}}: durable job coordinators started here,
 *       {@code new} (a job submitted) or {@code recovered} (a running job's coordinator restored
 *       from the journal: after a node died, a move, or a whole-cluster restart);
 *   <li>{@code tessera_coordinator_recovery_seconds}: how long each recovery read the journal;
 *   <li>{@code tessera_journal_write_seconds{outcome}}: each write of events to the journal;
 *   <li>{@code tessera_checkpoints_saved_total} and {@code tessera_checkpoint_bytes_total}.
 * </ul>
 *
 * <p>Thread safety: safe from any thread.
 */
public final class PersistenceMeters {

  private static final Duration[] LATENCY = {
      Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
      Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofSeconds(5)};
  private static final Duration[] RECOVERY = {
      Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
      Duration.ofMinutes(2)};

  private final Counter startedNew;
  private final Counter startedRecovered;
  private final Timer recovery;
  private final Timer writeOk;
  private final Timer writeFailed;
  private final Counter checkpoints;
  private final DistributionSummary checkpointBytes;

  private PersistenceMeters(MeterRegistry registry) {
    String starts = "Durable job coordinators started on this node: new (submitted) or recovered from the journal";
    startedNew = Counter.builder("tessera.coordinator.starts").description(starts).tag("kind", "new").register(registry);
    startedRecovered = Counter.builder("tessera.coordinator.starts").description(starts).tag("kind", "recovered")
        .register(registry);
    recovery = Timer.builder("tessera.coordinator.recovery").description("How long a durable job's coordinator read the "
        + "journal before it went on").serviceLevelObjectives(RECOVERY).register(registry);
    String writes = "Writes of events to the journal, by outcome";
    writeOk = Timer.builder("tessera.journal.write").description(writes).tag("outcome", "ok")
        .serviceLevelObjectives(LATENCY).register(registry);
    writeFailed = Timer.builder("tessera.journal.write").description(writes).tag("outcome", "failed")
        .serviceLevelObjectives(LATENCY).register(registry);
    checkpoints = Counter.builder("tessera.checkpoints.saved").description("Checkpoints saved durably from this node")
        .register(registry);
    checkpointBytes = DistributionSummary.builder("tessera.checkpoint").baseUnit("bytes")
        .description("Size of each checkpoint saved from this node").register(registry);
  }

  /** This node's; made on first use. */
  public static PersistenceMeters get(ActorSystem<?> system) {
    return Holder.ID.apply(system).meters;
  }

  /** A coordinator of a newly submitted job started. */
  public void coordinatorStarted() {
    startedNew.increment();
  }

  /** A running job's coordinator recovered from the journal in {@code nanos}. */
  public void coordinatorRecovered(long nanos) {
    startedRecovered.increment();
    recovery.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** One journal write took {@code nanos}. */
  public void journalWrite(long nanos, boolean ok) {
    (ok ? writeOk : writeFailed).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A checkpoint of {@code bytes} was saved. */
  public void checkpointSaved(long bytes) {
    checkpoints.increment();
    checkpointBytes.record(bytes);
  }

  private static final class Holder implements org.apache.pekko.actor.typed.Extension {
    static final org.apache.pekko.actor.typed.ExtensionId<Holder> ID = new org.apache.pekko.actor.typed.ExtensionId<>() {
      @Override
      public Holder createExtension(ActorSystem<?> system) {
        return new Holder(new PersistenceMeters(NodeMetrics.get(system).registry()));
      }
    };

    final PersistenceMeters meters;

    Holder(PersistenceMeters meters) {
      this.meters = meters;
    }
  }
}
