package dev.tessera.workpulling;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.Objects;

/**
 * How one attempt at a task ended, as a worker reports it to the job coordinator. Travels in lists,
 * so it carries a short type name (never a class name) for Jackson.
 *
 * <pre>{@code
 * coordinator.tell(new JobCoordinator.Outcomes(self, List.of(
 *     new TaskOutcome.Succeeded(4, 1, codec.encode(16L)),
 *     new TaskOutcome.Failed(5, 1, "java.lang.ArithmeticException: ...", true)), requestedUpTo));
 * }</pre>
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
  @JsonSubTypes.Type(value = TaskOutcome.Succeeded.class, name = "ok"),
  @JsonSubTypes.Type(value = TaskOutcome.Failed.class, name = "failed")
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
}
