package dev.tessera.work;

import dev.tessera.runtime.job.JobProgress;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A submitted job: its result when it ends, its progress while it runs, and a way to cancel it.
 *
 * <pre>{@code
 * JobHandle<Long> handle = WorkPulling.submit(system, SQUARE, List.of(1, 2, 3), JobOptions.defaults());
 * handle.progress().thenAccept(p -> log.info("{} of {} done", p.done(), p.total()));
 * JobResult<Long> result = handle.result().toCompletableFuture().get();
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class JobHandle<O> {

  private final String id;
  private final JobControl control;
  private final CompletionStage<JobResult<O>> result;

  JobHandle(String id, JobControl control, CompletionStage<JobResult<O>> result) {
    this.id = Objects.requireNonNull(id, "id");
    this.control = Objects.requireNonNull(control, "control");
    this.result = Objects.requireNonNull(result, "result");
  }

  public String id() {
    return id;
  }

  /** Completes when every task has a result or a failure, or the job was cancelled. */
  public CompletionStage<JobResult<O>> result() {
    return result;
  }

  /** A snapshot of progress; once the job has ended, the final progress. */
  public CompletionStage<JobProgress> progress() {
    return control.progress();
  }

  /** Stops handing out tasks; {@link #result()} then completes with what was done. */
  public CompletionStage<Done> cancel() {
    return control.cancel();
  }
}
