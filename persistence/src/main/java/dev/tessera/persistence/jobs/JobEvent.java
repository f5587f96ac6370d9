package dev.tessera.persistence.jobs;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tessera.persistence.journal.ResultBlobs;
import dev.tessera.persistence.journal.StoredResult;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.List;
import java.util.Objects;

/**
 * What the journal of a durable job holds. Events are the durable facts only (what was asked, which
 * tasks ended and how); leases, credits and workers are rebuilt after a restart.
 *
 * <p>Events are written in batches: one {@link TasksCompleted} per group commit, however many
 * worker messages it covers. Their serialized form carries a short type name (never a class name)
 * and, once an event class has changed, its version in the journal's manifest (Pekko's {@code
 * JacksonMigration}, configured in reference.conf): a changed event class still reads old journals.
 * Changed so far: {@link JobAccepted} (version 2, {@link JobAcceptedMigration}); {@link Completed}
 * gained {@code stored}, an optional property that old events lack (no version needed).
 *
 * <pre>{@code
 * new JobEvent.TasksCompleted(List.of(new JobEvent.Completed(7, output)))
 * }</pre>
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "event")
@JsonSubTypes({
  @JsonSubTypes.Type(value = JobEvent.JobAccepted.class, name = "accepted"),
  @JsonSubTypes.Type(value = JobEvent.TasksAdded.class, name = "added"),
  @JsonSubTypes.Type(value = JobEvent.TasksCompleted.class, name = "completed"),
  @JsonSubTypes.Type(value = JobEvent.AttemptsUsed.class, name = "attempts"),
  @JsonSubTypes.Type(value = JobEvent.TasksFailed.class, name = "failed"),
  @JsonSubTypes.Type(value = JobEvent.JobEnded.class, name = "ended"),
  @JsonSubTypes.Type(value = JobEvent.JobPurged.class, name = "purged"),
  @JsonSubTypes.Type(value = JobEvent.SubmissionAbandoned.class, name = "abandoned")
})
public sealed interface JobEvent extends CborSerializable {

  /**
   * The job was submitted: its task type and options; inputs follow in {@link TasksAdded}.
   *
   * <p>Version 2 (this one) added {@code submitter}; {@link JobAcceptedMigration} reads version 1.
   *
   * @param submitter the address of the node that submitted the job
   */
  record JobAccepted(String jobId, String taskType, JobOptions options, long submittedAtMillis, String submitter)
      implements JobEvent {
    public JobAccepted {
      Objects.requireNonNull(jobId, "jobId");
      Objects.requireNonNull(taskType, "taskType");
      Objects.requireNonNull(options, "options");
      Objects.requireNonNull(submitter, "submitter");
    }
  }

  /**
   * Inputs of tasks {@code firstTaskId ..}, in order; {@code last} when no more follow (the job
   * ends once every task has ended).
   */
  record TasksAdded(int firstTaskId, List<byte[]> inputs, boolean last) implements JobEvent {
    public TasksAdded {
      inputs = List.copyOf(inputs);
    }
  }

  /**
   * One task's committed result: its bytes ({@code output}), or, for a result above {@code
   * inline-result-bytes}, what identifies it in {@link ResultBlobs}' table ({@code stored}), where
   * it was committed before this event was written. Exactly one of the two is set.
   *
   * <p>{@code stored} was added after the first journals were written; their events have only
   * {@code output} and read with {@code stored} null (no migration needed: a missing property reads
   * as null, and every such event has its output).
   *
   * @param output the result, or null when it is in the table
   * @param stored the result's size and SHA-256 in the table, or null when {@code output} holds it
   */
  record Completed(int taskId, byte[] output, StoredResult stored) implements CborSerializable {
    public Completed {
      if ((output == null) == (stored == null)) {
        throw new IllegalArgumentException("task " + taskId + ": a completion has its output or a stored result,"
            + " exactly one of them (output " + (output == null ? "absent" : output.length + " bytes") + ", stored "
            + stored + ")");
      }
    }

    /** A result kept in the event. */
    public Completed(int taskId, byte[] output) {
      this(taskId, Objects.requireNonNull(output, "output"), null);
    }

    /** A result kept in the table of large results. */
    public Completed(int taskId, StoredResult stored) {
      this(taskId, null, Objects.requireNonNull(stored, "stored"));
    }
  }

  /** Results committed together; each task at most once in a job's journal. */
  record TasksCompleted(List<Completed> tasks) implements JobEvent {
    public TasksCompleted {
      tasks = List.copyOf(tasks);
    }
  }

  /** Attempts that ended without a result (failed, timed out, worker died); each task's counts so far. */
  record AttemptsUsed(List<Attempts> tasks) implements JobEvent {
    public AttemptsUsed {
      tasks = List.copyOf(tasks);
    }
  }

  /**
   * What one task's lost attempts count against, so far.
   *
   * @param attempts task failures (count against maxAttempts)
   * @param killedNodes the nodes of the workers that died while the task was on them, oldest first
   *     (count against maxWorkerDeaths); null in events written before worker deaths were counted
   */
  record Attempts(int taskId, int attempts, List<String> killedNodes) implements CborSerializable {
    public Attempts {
      killedNodes = killedNodes == null ? List.of() : List.copyOf(killedNodes);
    }

    public Attempts(int taskId, int attempts) {
      this(taskId, attempts, List.of());
    }
  }

  /** A task that failed for good: its attempts and last cause. */
  record Failed(int taskId, int attempts, String cause) implements CborSerializable {
    public Failed {
      Objects.requireNonNull(cause, "cause");
    }
  }

  /** Tasks that failed for good, together. */
  record TasksFailed(List<Failed> tasks) implements JobEvent {
    public TasksFailed {
      tasks = List.copyOf(tasks);
    }
  }

  /** The job ended: every task ended ({@code cancelled} false), or it was cancelled. */
  record JobEnded(boolean cancelled, long endedAtMillis) implements JobEvent {}

  /** The job's results were purged; only its summary is kept. */
  record JobPurged(long purgedAtMillis) implements JobEvent {}

  /**
   * The job's submission stopped before its last inputs arrived (its submitter died or gave up), and
   * nothing came for the submission timeout: it ends without running anything, its inputs dropped.
   * A new {@link JobAccepted} under the same id starts the submission over.
   */
  record SubmissionAbandoned(String reason, long abandonedAtMillis) implements JobEvent {
    public SubmissionAbandoned {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
