package dev.tessera.persistence.jobs;

import dev.tessera.persistence.journal.StoredResult;
import dev.tessera.runtime.job.JobOptions;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a job's recovery path once, on made-up events, when a node starts running durable jobs:
 * every kind of {@link JobEvent} and a {@link JobLedger.Snapshot} through the node's own
 * serializers and back, applied to a ledger. Nothing is written anywhere.
 *
 * <p>Why: a job's coordinator that fails over recovers on a node that has usually never read a job
 * event, and the first reading of each type (Jackson building its deserializers) and the first
 * thousands of events (interpreted, not yet compiled) are slow. Measured on this 2-core machine,
 * a chaos-suite job of 15,000 tasks recovered by a fresh JVM from an H2 journal: its first 1,300
 * events in 1.35-1.6 s, 0.67-0.72 s after this warm-up; its 595 kB snapshot in 310 ms after
 * {@code JournalWarmUp} alone, 91-112 ms after both, 20-30 ms on a JVM that had read it before.
 * That time is part of every coordinator failover (chaos suite, coordinator-kill), so a node pays
 * the first-time part when it starts instead (about 0.7 s of one core), on a thread of the
 * blocking-IO dispatcher.
 */
final class RecoveryWarmUp {

  private static final Logger log = LoggerFactory.getLogger(RecoveryWarmUp.class);

  /** Tasks in the made-up job: enough iterations for the JIT to compile the hot loops. */
  static final int TASKS = 2_000;
  /** Tasks per made-up commit, like a group commit of slow tasks. */
  static final int TASKS_PER_COMMIT = 8;
  /** The whole history is read this often. */
  static final int ROUNDS = 1;

  private RecoveryWarmUp() {}

  /**
   * Serializes a made-up job's history and snapshot with {@code system}'s serializers and reads it
   * back {@link #ROUNDS} times.
   *
   * @return the ledger read back from the last round's snapshot, taken halfway through the history
   */
  static JobLedger run(ActorSystem<?> system) {
    long started = System.nanoTime();
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(system));
    List<JobEvent> history = history();
    JobLedger readBack = null;
    for (int round = 0; round < ROUNDS; round++) {
      JobLedger ledger = new JobLedger();
      for (int i = 0; i < history.size(); i++) {
        ledger.apply((JobEvent) roundTrip(serialization, history.get(i)));
        if (i == history.size() / 2) {
          // Halfway, like a running job's snapshot: inputs of unfinished tasks and results.
          readBack = JobLedger.of((JobLedger.Snapshot) roundTrip(serialization, ledger.snapshot()));
        }
      }
    }
    log.debug("job recovery path warmed up in {} ms ({} events, {} rounds)", (System.nanoTime() - started) / 1_000_000,
        history.size(), ROUNDS);
    return readBack;
  }

  private static Object roundTrip(Serialization serialization, Object value) {
    byte[] bytes = serialization.serialize(value).get();
    var serializer = serialization.findSerializerFor(value);
    return serialization.deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, value)).get();
  }

  /**
   * A submission abandoned half-way and made again, then inputs, attempts, a failure, results in
   * small commits, the end, the purge: every kind of event.
   */
  static List<JobEvent> history() {
    List<JobEvent> events = new ArrayList<>();
    events.add(new JobEvent.JobAccepted("warm-up", "warm-up", JobOptions.defaults(), 0, "warm-up"));
    events.add(new JobEvent.TasksAdded(0, List.of(new byte[8]), false));
    events.add(new JobEvent.SubmissionAbandoned("warm-up", 0));
    events.add(new JobEvent.JobAccepted("warm-up", "warm-up", JobOptions.defaults(), 0, "warm-up"));
    List<byte[]> inputs = new ArrayList<>();
    for (int task = 0; task < TASKS; task++) {
      inputs.add(ByteBuffer.allocate(8).putLong(task).array());
    }
    events.add(new JobEvent.TasksAdded(0, inputs, true));
    events.add(new JobEvent.AttemptsUsed(List.of(new JobEvent.Attempts(0, 1), new JobEvent.Attempts(1, 2))));
    events.add(new JobEvent.TasksFailed(List.of(new JobEvent.Failed(0, 3, "warm-up"))));
    List<JobEvent.Completed> commit = new ArrayList<>();
    for (int task = 1; task < TASKS; task++) {
      // Task 1's result is one kept in the table of large results: the event and snapshot hold its size and hash.
      commit.add(task == 1 ? new JobEvent.Completed(task, new StoredResult(1 << 20, "0".repeat(64)))
          : new JobEvent.Completed(task, ByteBuffer.allocate(32).putInt(task).array()));
      if (commit.size() == TASKS_PER_COMMIT || task == TASKS - 1) {
        events.add(new JobEvent.TasksCompleted(commit));
        commit = new ArrayList<>();
      }
    }
    events.add(new JobEvent.JobEnded(false, 0));
    events.add(new JobEvent.JobPurged(0));
    return events;
  }
}
