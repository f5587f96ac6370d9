package dev.tessera.persistence.jobs;

import dev.tessera.persistence.journal.ResultBlobs;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.work.JobResult;
import dev.tessera.work.engine.JobReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.pattern.AskTimeoutException;

/**
 * A durable job: its progress, its end and its results, wherever its coordinator runs and however
 * often it moved. Any number of handles may watch one job, on any node.
 *
 * <pre>{@code
 * DurableJobHandle<Long> job = DurableJobs.submit(system, SQUARE, inputs, JobOptions.defaults());
 * job.submitted().toCompletableFuture().get();           // durable from here on
 * JobResult<Long> result = job.result().toCompletableFuture().get();
 * }</pre>
 *
 * <p>Thread safety: safe to use from any thread.
 */
public final class DurableJobHandle<O> {

  private final DurableJobs jobs;
  private final String jobId;
  private final TaskType<?, O> type;
  private final CompletionStage<Done> submitted;

  DurableJobHandle(DurableJobs jobs, String jobId, TaskType<?, O> type, CompletionStage<Done> submitted) {
    this.jobs = jobs;
    this.jobId = jobId;
    this.type = type;
    this.submitted = submitted;
  }

  public String id() {
    return jobId;
  }

  /** Completes once the job and all its inputs are durable; fails if submitting failed. */
  public CompletionStage<Done> submitted() {
    return submitted;
  }

  /** The job's progress now, from its coordinator. */
  public CompletionStage<JobProgress> progress() {
    return submitted.thenCompose(d -> jobs.coordinator(jobId)
        .ask(DurableJobCoordinator.GetProgress::new, jobs.askTimeout()));
  }

  /** Where the job stands now. */
  public CompletionStage<JobStatus> status() {
    return submitted.thenCompose(d -> DurableJobs.status(jobs.system(), jobId));
  }

  /** Cancels the job; results committed so far stay readable. */
  public CompletionStage<Done> cancel() {
    return submitted.thenCompose(d -> DurableJobs.cancel(jobs.system(), jobId));
  }

  /**
   * The job's results in task order (null where a task failed) and failures, once it has ended. If
   * its coordinator moves meanwhile (its node died), the handle asks the new one. Results above
   * {@code inline-result-bytes} are read from the table beside the journal, by this node, and
   * checked against the size and hash their events recorded.
   */
  public CompletionStage<JobResult<O>> result() {
    return submitted.thenCompose(d -> awaitEnd()).thenCompose(this::readResults);
  }

  private CompletionStage<JobStatus> awaitEnd() {
    return jobs.coordinator(jobId)
        .ask(DurableJobCoordinator.AwaitEnd::new, jobs.askTimeout())
        .handle((status, error) -> {
          if (error == null) {
            return CompletableFuture.completedFuture(status);
          }
          Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
          if (cause instanceof AskTimeoutException || cause instanceof TimeoutException) {
            return awaitEnd(); // still running, or its coordinator is moving: ask again
          }
          return CompletableFuture.<JobStatus>failedFuture(cause);
        })
        .thenCompose(stage -> stage);
  }

  private CompletionStage<JobResult<O>> readResults(JobStatus status) {
    if (status.state().equals(JobStatus.UNKNOWN)) {
      return CompletableFuture.failedFuture(new IllegalStateException("no job " + jobId + " was submitted"));
    }
    if (status.state().equals(JobStatus.PURGED)) {
      return CompletableFuture.failedFuture(new IllegalStateException("job " + jobId + " was purged"));
    }
    List<O> results = new ArrayList<>(status.progress().total());
    Map<Integer, JobReport.TaskFailure> failures = new HashMap<>();
    return readPage(0, results, failures).thenApply(d -> new JobResult<>(
        jobId, results, failures, status.progress(), status.state().equals(JobStatus.CANCELLED)));
  }

  private CompletionStage<Done> readPage(int from, List<O> results, Map<Integer, JobReport.TaskFailure> failures) {
    return jobs.coordinator(jobId)
        .<ResultsPage>askWithStatus(reply -> new DurableJobCoordinator.GetResults(from, reply), jobs.askTimeout())
        .thenCompose(page -> {
          // In task order, one at a time: a large result is read from its table only when its turn comes.
          CompletionStage<Done> read = CompletableFuture.completedFuture(Done.getInstance());
          for (ResultsPage.TaskResult outcome : page.outcomes()) {
            read = read.thenCompose(d -> output(outcome)).thenApply(output -> {
              results.add(output == null ? null : DurableJobs.codec().decode(output, type.outputType()));
              if (outcome.failure() != null) {
                failures.put(outcome.taskId(), outcome.failure());
              }
              return Done.getInstance();
            });
          }
          if (page.outcomes().isEmpty()) {
            return read;
          }
          return read.thenCompose(d -> readPage(page.next(), results, failures));
        });
  }

  /** A task's result: from its page, or, for a large one, from the table beside the journal; null if it has none. */
  private CompletionStage<byte[]> output(ResultsPage.TaskResult outcome) {
    if (outcome.stored() == null) {
      return CompletableFuture.completedFuture(outcome.output());
    }
    return ResultBlobs.get(jobs.system()).read(jobId, outcome.taskId(), outcome.stored());
  }
}
