package dev.tessera.work;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.PayloadCodec;
import dev.tessera.runtime.job.TaskType;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * Runs single tasks with low latency: one long-lived job that tasks are added to one at a time,
 * for request/response use (a service that hands each request's heavy part to the cluster). Tasks
 * get the same retries, timeouts and moves off dead workers as in {@link WorkPulling#submit}.
 *
 * <pre>{@code
 * try (TaskSession<Integer, Long> squares = TaskSession.open(system, SQUARE, JobOptions.defaults())) {
 *   long nine = squares.run(3).toCompletableFuture().get();
 * }
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class TaskSession<I, O> implements AutoCloseable {

  private static final PayloadCodec CODEC = new PayloadCodec();

  private final String id;
  private final TaskType<I, O> type;
  private final ActorRef<TaskSessionCoordinator.Command> coordinator;
  /**
   * Guards {@code closing} and orders every Submit before the Close: a task is never sent after
   * the session's actor may have stopped (a message to it would never be answered).
   */
  private final Object lock = new Object();
  /** Set by the first close; later closes return it. */
  private CompletableFuture<Void> closed;

  private TaskSession(String id, TaskType<I, O> type, ActorRef<TaskSessionCoordinator.Command> coordinator) {
    this.id = id;
    this.type = type;
    this.coordinator = coordinator;
  }

  /** Opens a session on this node; the task workers of nodes with the options' role are told of it. */
  public static <I, O> TaskSession<I, O> open(ActorSystem<?> system, TaskType<I, O> type, JobOptions options) {
    Objects.requireNonNull(system, "system");
    Objects.requireNonNull(type, "type");
    String id = "session-" + type.name() + "-" + UUID.randomUUID();
    return new TaskSession<>(id, type, system.systemActorOf(
        TaskSessionCoordinator.create(id, type.name(), options), id, Props.empty()));
  }

  public String id() {
    return id;
  }

  /**
   * Runs one task. The stage fails with {@link TaskFailedException} when the task used up its
   * attempts, and with {@link IllegalStateException} after {@link #close()}.
   *
   * @throws IllegalArgumentException when the input cannot be serialized (nothing is sent)
   */
  public CompletionStage<O> run(I input) {
    byte[] bytes = CODEC.encode(Objects.requireNonNull(input, "input"));
    CompletableFuture<byte[]> output = new CompletableFuture<>();
    synchronized (lock) {
      if (closed != null) {
        return CompletableFuture.failedFuture(new IllegalStateException("session " + id + " is closed"));
      }
      coordinator.tell(new TaskSessionCoordinator.Submit(bytes, output));
    }
    return output.thenApply(result -> CODEC.decode(result, type.outputType()));
  }

  /** Takes no more tasks; completes once the tasks already submitted have ended. */
  public CompletionStage<Void> closeAsync() {
    synchronized (lock) {
      if (closed == null) {
        closed = new CompletableFuture<>();
        coordinator.tell(new TaskSessionCoordinator.Close(closed));
      }
      return closed;
    }
  }

  /** {@link #closeAsync()} without waiting. */
  @Override
  public void close() {
    closeAsync();
  }
}
