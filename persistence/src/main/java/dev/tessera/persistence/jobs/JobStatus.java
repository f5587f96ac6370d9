package dev.tessera.persistence.jobs;

import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.Objects;

/**
 * Where a durable job stands, as its coordinator reports it.
 *
 * <pre>{@code
 * JobStatus status = DurableJobs.status(system, jobId).toCompletableFuture().get();
 * System.out.println(status.state() + " " + status.progress().done() + "/" + status.progress().total());
 * }</pre>
 *
 * @param state {@code submitting} (accepted, its inputs still arriving: nothing runs yet), {@code
 *     running}, {@code finished}, {@code cancelled}, {@code purged}, {@code abandoned} (its submission
 *     stopped half-way; nothing of it ran), {@code unknown} (nothing was submitted under this id), or
 *     {@code unreadable} (its journal cannot be read back; the job is stopped and its coordinator's
 *     log names the place)
 * @param submitter the address of the node that submitted the job (null if nothing was)
 * @param coordinatorNode the address of the node whose coordinator answered
 * @param problem why the job is not progressing, while it is not ("journal write failed: No space
 *     left on device (H2 at ...)": it is paused, and resumes by itself once the journal can be
 *     written), or why it was abandoned; null when there is none
 * @param coordinatingSinceMillis when the coordinator that answered began handing out the job's
 *     tasks (epoch millis); 0 when it hands out none (the job is being submitted or has ended), and
 *     in statuses recorded before this field existed (the registry's events keep statuses)
 */
public record JobStatus(
    String jobId,
    String taskType,
    String state,
    JobProgress progress,
    long submittedAtMillis,
    long endedAtMillis,
    String submitter,
    String coordinatorNode,
    String problem,
    long coordinatingSinceMillis)
    implements CborSerializable {

  public static final String SUBMITTING = "submitting";
  public static final String RUNNING = "running";
  public static final String FINISHED = "finished";
  public static final String CANCELLED = "cancelled";
  public static final String PURGED = "purged";
  public static final String UNKNOWN = "unknown";
  public static final String UNREADABLE = "unreadable";
  public static final String ABANDONED = "abandoned";

  public JobStatus {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(progress, "progress");
  }

  /** A status of a job whose tasks no coordinator hands out (submitting, ended, unknown). */
  public JobStatus(String jobId, String taskType, String state, JobProgress progress, long submittedAtMillis,
      long endedAtMillis, String submitter, String coordinatorNode, String problem) {
    this(jobId, taskType, state, progress, submittedAtMillis, endedAtMillis, submitter, coordinatorNode, problem, 0);
  }

  /** A status without a problem. */
  public JobStatus(String jobId, String taskType, String state, JobProgress progress, long submittedAtMillis,
      long endedAtMillis, String submitter, String coordinatorNode) {
    this(jobId, taskType, state, progress, submittedAtMillis, endedAtMillis, submitter, coordinatorNode, null);
  }

  /** Finished, cancelled, purged, unreadable or abandoned: it will not change any more (until resubmitted). */
  public boolean ended() {
    return state.equals(FINISHED) || state.equals(CANCELLED) || state.equals(PURGED) || state.equals(UNREADABLE)
        || state.equals(ABANDONED);
  }
}
