package dev.tessera.work;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.work.engine.JobCoordinator;
import dev.tessera.work.engine.JobReport;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The actor behind a {@link TaskSession}: one open {@link JobCoordinator} that lives as long as the
 * session, so a single task costs no job start-up (no worker announcement, no credit exchange:
 * workers keep their credits between tasks), and each task's future is completed as its result or
 * failure arrives.
 *
 * <p>Threading: an actor; futures are completed from its message handling.
 */
final class TaskSessionCoordinator extends AbstractBehavior<TaskSessionCoordinator.Command> {

  /** Sent only on this node (by the session and by adapters), so never serialized. */
  sealed interface Command extends NoSerializationVerificationNeeded {}

  record Submit(byte[] input, CompletableFuture<byte[]> output) implements Command {
    Submit {
      Objects.requireNonNull(input, "input");
      Objects.requireNonNull(output, "output");
    }
  }

  /** No more tasks: the session ends once the submitted ones have ended. */
  record Close(CompletableFuture<Void> closed) implements Command {}

  private record Ended(JobCoordinator.TaskEnded ended) implements Command {}

  private record Report(JobReport report) implements Command {}

  private enum CoordinatorStopped implements Command {
    INSTANCE
  }

  private final String sessionId;
  private final ActorRef<JobCoordinator.Command> coordinator;
  private final Map<Integer, CompletableFuture<byte[]>> waiting = new HashMap<>();
  private int nextTaskId;
  private CompletableFuture<Void> closed;

  static Behavior<Command> create(String sessionId, String taskType, JobOptions options) {
    Objects.requireNonNull(sessionId, "sessionId");
    Objects.requireNonNull(taskType, "taskType");
    Objects.requireNonNull(options, "options");
    return Behaviors.setup(context -> new TaskSessionCoordinator(context, sessionId, taskType, options));
  }

  private TaskSessionCoordinator(ActorContext<Command> context, String sessionId, String taskType, JobOptions options) {
    super(context);
    context.setLoggerName(TaskSessionCoordinator.class);
    this.sessionId = sessionId;
    this.coordinator = context.spawn(
        JobCoordinator.createOpen(
            sessionId, taskType, options,
            context.messageAdapter(JobReport.class, Report::new),
            context.messageAdapter(JobCoordinator.TaskEnded.class, Ended::new)),
        "coordinator");
    context.watchWith(coordinator, CoordinatorStopped.INSTANCE);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Submit.class, this::onSubmit)
        .onMessage(Ended.class, this::onEnded)
        .onMessage(Close.class, this::onClose)
        .onMessage(Report.class, report -> stop(null))
        .onMessageEquals(CoordinatorStopped.INSTANCE, () -> stop(
            new IllegalStateException("the coordinator of session " + sessionId + " stopped unexpectedly (see the log)")))
        .build();
  }

  private Behavior<Command> onSubmit(Submit submit) {
    if (closed != null) {
      submit.output().completeExceptionally(new IllegalStateException("session " + sessionId + " is closed"));
      return this;
    }
    waiting.put(nextTaskId++, submit.output());
    coordinator.tell(new JobCoordinator.AddTasks(List.of(submit.input())));
    return this;
  }

  private Behavior<Command> onEnded(Ended message) {
    CompletableFuture<byte[]> output = waiting.remove(message.ended().taskId());
    if (output == null) {
      return this;
    }
    if (message.ended() instanceof JobCoordinator.ResultReady ready) {
      output.complete(ready.output());
    } else if (message.ended() instanceof JobCoordinator.TaskFailed failed) {
      output.completeExceptionally(new TaskFailedException(failed.failure().attempts(), failed.failure().lastCause()));
    }
    return this;
  }

  private Behavior<Command> onClose(Close close) {
    // TaskSession sends one Close, after every Submit.
    closed = close.closed();
    coordinator.tell(new JobCoordinator.NoMoreTasks());
    return this;
  }

  /** Fails whatever still waits (only possible if the coordinator crashed) and ends the session. */
  private Behavior<Command> stop(RuntimeException cause) {
    RuntimeException why = cause != null ? cause : new IllegalStateException("session " + sessionId + " ended");
    waiting.values().forEach(output -> output.completeExceptionally(why));
    waiting.clear();
    if (closed != null) {
      closed.complete(null);
    }
    return Behaviors.stopped();
  }
}
