package dev.tessera.persistence.jobs;

import dev.tessera.runtime.serialization.CborSerializable;
import dev.tessera.work.engine.JobReport;
import java.util.List;

/**
 * One page of an ended job's outcomes, in task order; pages stay well below a remote message's
 * size limit, so a job of any size is read back page by page.
 *
 * @param outcomes consecutive tasks from the requested one
 * @param next the task id to ask for next; equal to the job's task count on the last page
 */
public record ResultsPage(List<TaskResult> outcomes, int next) implements CborSerializable {

  public ResultsPage {
    outcomes = List.copyOf(outcomes);
  }

  /** A task's result ({@code output}) or its failure; exactly one of the two is set. */
  public record TaskResult(int taskId, byte[] output, JobReport.TaskFailure failure) implements CborSerializable {}
}
