package dev.tessera.work.protocol;

import dev.tessera.runtime.data.DataRef;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.Objects;

/**
 * How one attempt at a task ended, as a worker reports it to the job coordinator. Travels in lists,
 * so it carries a short type name (never a class name) for Jackson.
 *
 * <pre>{@code
 * coordinator.tell(new CoordinatorMessage.Outcomes(self, List.of(
 *     new TaskOutcome.Succeeded(4, 1, codec.encode(16L)),
 *     new TaskOutcome.Failed(5, 1, "java.lang.ArithmeticException: ...", true)), requestedUpTo));
 * }</pre>
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = TaskOutcome.Succeeded.class, name = "ok"),
  @JsonSubTypes.Type(value = TaskOutcome.Stored.class, name = "stored"),
  @JsonSubTypes.Type(value = TaskOutcome.Failed.class, name = "failed"),
  @JsonSubTypes.Type(value = TaskOutcome.Crashed.class, name = "crashed")
})
public sealed interface TaskOutcome extends CborSerializable {

  int taskId();

  int attempt();

  /** The handler returned a result (serialized by the worker). */
  record Succeeded(int taskId, int attempt, byte[] output) implements TaskOutcome {
    public Succeeded {
      Objects.requireNonNull(output, "output");
    }
  }

  /**
   * The handler returned a result too large to send inline ({@code
   * tessera.work-pulling.worker.inline-result-bytes}): the worker stored it, serialized, in its
   * node's object store, and the coordinator fetches it from there before it accepts it. If the
   * worker's node is lost first, the task runs again.
   */
  record Stored(int taskId, int attempt, DataRef<byte[]> result) implements TaskOutcome {
    public Stored {
      Objects.requireNonNull(result, "result");
    }
  }

  /**
   * The attempt failed.
   *
   * @param cause what went wrong, with the stack trace as text when the handler threw
   * @param retryable false when another try cannot help (an unknown task type, an input the
   *     worker cannot read): the task is recorded as failed at once
   */
  record Failed(int taskId, int attempt, String cause, boolean retryable) implements TaskOutcome {
    public Failed {
      Objects.requireNonNull(cause, "cause");
    }
  }

  /**
   * The task ran in an isolated child JVM (a task type marked {@code isolated()}), and that JVM died
   * while it ran: it, or another task in the child, exited, halted, crashed natively or ran out of
   * memory. The node lives on; the coordinator counts it as a worker death for this task (a
   * suspect, run alone next; poison at {@code maxWorkerDeaths}).
   *
   * @param where the node and the child, with its exit code: "pekko://tessera@host:port (child JVM, exit code 1)"
   * @param cause the exit code explained, and the last lines of the child's standard error
   */
  record Crashed(int taskId, int attempt, String where, String cause) implements TaskOutcome {
    public Crashed {
      Objects.requireNonNull(where, "where");
      Objects.requireNonNull(cause, "cause");
    }
  }
}
