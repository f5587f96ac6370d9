package dev.tessera.persistence.jobs;

import dev.tessera.persistence.journal.ResultBlobs;
import dev.tessera.persistence.journal.StoredResult;
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

  /**
   * A task's result ({@code output}), or where its result is kept ({@code stored}: in the table of
   * large results, to read with {@link ResultBlobs#read}), or its failure; at most one of the three
   * is set (none for a task that had not ended when the job was cancelled).
   */
  public record TaskResult(int taskId, byte[] output, JobReport.TaskFailure failure, StoredResult stored)
      implements CborSerializable {}
}
