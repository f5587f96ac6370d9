package dev.tessera.work.protocol;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * What a job coordinator sends to task workers: one half of the work-pulling protocol (the other is
 * {@link CoordinatorMessage}). Both coordinators, the in-memory and the durable one, speak it to the
 * same workers; neither side is named here.
 *
 * <pre>{@code
 * worker.tell(new WorkerMessage.WorkOn(jobId, "square", coordinator, JobOptions.defaults()));
 * worker.tell(new WorkerMessage.JobClosed(jobId));
 * }</pre>
 */
public sealed interface WorkerMessage extends CborSerializable
    permits WorkerMessage.WorkOn, WorkerMessage.WorkBatch, WorkerMessage.JobClosed {

  /** Every task worker registers under this key, so jobs anywhere in the cluster can find it. */
  ServiceKey<WorkerMessage> SERVICE_KEY = ServiceKey.create(WorkerMessage.class, "tessera-task-workers");

  /**
   * A worker's outcomes for one job travel in messages of at most about this many bytes of results
   * (Artery refuses frames above 256 KiB by default); a coordinator's batches likewise.
   */
  int MAX_BATCH_BYTES = 128 * 1024;

  /**
   * Start asking {@code coordinator} for tasks of this job, if this worker has a handler for
   * {@code taskType}; otherwise decline, so the job does not wait for it.
   */
  record WorkOn(String jobId, String taskType, ActorRef<CoordinatorMessage> coordinator, JobOptions options)
      implements WorkerMessage {
    public WorkOn {
      Objects.requireNonNull(jobId, "jobId");
      Objects.requireNonNull(taskType, "taskType");
      Objects.requireNonNull(coordinator, "coordinator");
      Objects.requireNonNull(options, "options");
    }
  }

  /**
   * Tasks for the worker to run; each one uses up one of the credits the worker granted. Outcomes
   * go to the coordinator named in the job's {@link WorkOn}: a batch carries no actor reference,
   * which would cost a path to serialize and resolve on every message.
   */
  record WorkBatch(String jobId, List<TaskAssignment> tasks) implements WorkerMessage {
    public WorkBatch {
      Objects.requireNonNull(jobId, "jobId");
      tasks = List.copyOf(tasks);
    }
  }

  /** The job is over (finished or cancelled): drop its queued tasks and stop sending to it. */
  record JobClosed(String jobId) implements WorkerMessage {}

  /**
   * One task to run.
   *
   * @param taskId the task's index in the job, 0-based
   * @param attempt 1 for the first try, 2 for the first retry, ...
   * @param input the task input, serialized by the submitter
   */
  record TaskAssignment(int taskId, int attempt, byte[] input) implements CborSerializable {
    public TaskAssignment {
      Objects.requireNonNull(input, "input");
    }
  }
}
