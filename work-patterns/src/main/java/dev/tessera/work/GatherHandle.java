package dev.tessera.work;

import dev.tessera.runtime.job.JobProgress;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * A scatter/gather job: results are combined as they arrive, and {@link #result()} holds the
 * combined value.
 *
 * <pre>{@code
 * GatherHandle<Long> sum = WorkPulling.scatterGather(system, SQUARE, inputs, JobOptions.defaults(), 0L, Long::sum);
 * long total = sum.result().toCompletableFuture().get().value();
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class GatherHandle<R> {

  private final String id;
  private final JobControl control;
  private final CompletionStage<Gathered<R>> result;

  GatherHandle(String id, JobControl control, CompletionStage<Gathered<R>> result) {
    this.id = Objects.requireNonNull(id, "id");
    this.control = Objects.requireNonNull(control, "control");
    this.result = Objects.requireNonNull(result, "result");
  }

  public String id() {
    return id;
  }

  /**
   * Completes with the combined value when every task has a result or a failure, or the job was
   * cancelled; completes exceptionally if the combiner threw (the job is then cancelled).
   */
  public CompletionStage<Gathered<R>> result() {
    return result;
  }

  public CompletionStage<JobProgress> progress() {
    return control.progress();
  }

  public CompletionStage<Done> cancel() {
    return control.cancel();
  }
}
