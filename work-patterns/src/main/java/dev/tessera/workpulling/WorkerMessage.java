package dev.tessera.workpulling;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a job coordinator sends to workers. Shared by the coordinator and the worker, so it has a
 * file of its own.
 *
 * <pre>{@code
 * worker.tell(new WorkerMessage.WorkOn(jobId, "square", coordinator, JobOptions.defaults()));
 * worker.tell(new WorkerMessage.JobClosed(jobId));
 * }</pre>
 */
public sealed interface WorkerMessage extends CborSerializable
    permits WorkerMessage.WorkOn, WorkerMessage.WorkBatch, WorkerMessage.JobClosed, TaskWorker.Drain,
        TaskWorker.InternalMessage {

  /**
   * Start asking {@code coordinator} for tasks of this job, if this worker has a handler for
   * {@code taskType}; otherwise decline, so the job does not wait for it.
   */
  record WorkOn(String jobId, String taskType, ActorRef<JobCoordinator.Command> coordinator, JobOptions options)
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
