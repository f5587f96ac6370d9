package dev.tessera.work.protocol;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a task worker sends to a job's coordinator: the other half of the work-pulling protocol
 * ({@link WorkerMessage} is the first). Any coordinator that takes these, in memory or durable, can
 * run jobs on the same workers; it receives them through {@link ProtocolInbox}.
 *
 * <p>Credits are cumulative, like a TCP window: a worker always says how many tasks of the job it has
 * asked for in total ({@code requestedUpTo}), and the coordinator counts how many it has sent. The
 * difference is what may still be sent, so repeating or reordering these messages changes nothing.
 *
 * <pre>{@code
 * coordinator.tell(new CoordinatorMessage.RequestWork(self, 8));
 * coordinator.tell(new CoordinatorMessage.Outcomes(self, List.of(new TaskOutcome.Succeeded(4, 1, bytes)), 9));
 * }</pre>
 */
public sealed interface CoordinatorMessage extends CborSerializable
    permits CoordinatorMessage.RequestWork, CoordinatorMessage.Outcomes, CoordinatorMessage.Heartbeat,
        CoordinatorMessage.WorkerLeaving, CoordinatorMessage.Decline {

  /** The worker that sent this message, which the coordinator answers and watches. */
  ActorRef<WorkerMessage> worker();

  /** A worker has asked for {@code requestedUpTo} tasks of this job in total, so far. */
  record RequestWork(ActorRef<WorkerMessage> worker, long requestedUpTo) implements CoordinatorMessage {}

  /**
   * Outcomes of finished attempts, with the worker's total request (its next request rides along)
   * and the tasks of this job it runs now.
   */
  record Outcomes(ActorRef<WorkerMessage> worker, List<TaskOutcome> outcomes, long requestedUpTo, List<Integer> running)
      implements CoordinatorMessage {
    public Outcomes {
      outcomes = List.copyOf(outcomes);
      running = running == null ? List.of() : List.copyOf(running);
    }

    /** Outcomes from a worker that runs nothing of this job now. */
    public Outcomes(ActorRef<WorkerMessage> worker, List<TaskOutcome> outcomes, long requestedUpTo) {
      this(worker, outcomes, requestedUpTo, List.of());
    }
  }

  /**
   * A worker that holds tasks or unused credits of this job is alive, and runs these of its tasks
   * now (so that if it dies, the coordinator knows which tasks it died running). Workers send one at
   * least three times per {@link JobOptions#workerSilenceTimeout()}.
   */
  record Heartbeat(ActorRef<WorkerMessage> worker, long requestedUpTo, List<Integer> running)
      implements CoordinatorMessage {
    public Heartbeat {
      running = running == null ? List.of() : List.copyOf(running);
    }

    /** A heartbeat from a worker that runs nothing of this job now. */
    public Heartbeat(ActorRef<WorkerMessage> worker, long requestedUpTo) {
      this(worker, requestedUpTo, List.of());
    }
  }

  /**
   * The worker's node is leaving (SIGTERM, {@code cluster leave}): it asks for nothing more, hands
   * back the tasks it had not started ({@code returned}: they go back to the queue at once, charged
   * nothing), and finishes those it runs. Sent again, with the tasks it could not finish, if its
   * drain timeout runs out.
   */
  record WorkerLeaving(ActorRef<WorkerMessage> worker, List<Integer> returned, String why)
      implements CoordinatorMessage {
    public WorkerLeaving {
      Objects.requireNonNull(worker, "worker");
      returned = List.copyOf(returned);
      Objects.requireNonNull(why, "why");
    }
  }

  /**
   * A worker cannot run this job's task type. If no worker that can has asked for work within two
   * silence timeouts of the first decline, every unfinished task fails with this reason: a job
   * nobody can run ends with a clear error instead of waiting forever.
   */
  record Decline(ActorRef<WorkerMessage> worker, String reason) implements CoordinatorMessage {}
}
