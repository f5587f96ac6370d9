package dev.tessera.persistence.jobs;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a durable job's coordinator has decided but not yet written: results, failures for good and
 * attempt counts, buffered between journal writes so that one write commits many tasks (group
 * commit). A task is <em>committing</em> from the moment its result or failure is buffered until
 * its write is done: it is not handed out again, and a second result for it is a duplicate.
 *
 * <p>Threading: not thread-safe; used by the coordinator's actor only.
 */
final class GroupCommit {

  private final Set<Integer> committing = new HashSet<>();
  private final List<JobEvent.Completed> toComplete = new ArrayList<>();
  private final List<JobEvent.Failed> toFail = new ArrayList<>();
  private final Map<Integer, JobEvent.Attempts> toCount = new LinkedHashMap<>();
  private boolean flushScheduled;

  /** Whether the task's result or failure is buffered or being written. */
  boolean isCommitting(int task) {
    return committing.contains(task);
  }

  /** A task's accepted result. */
  void complete(int task, byte[] output) {
    committing.add(task);
    toComplete.add(new JobEvent.Completed(task, output));
  }

  /** A task that failed for good. */
  void fail(int task, int attempts, String cause) {
    committing.add(task);
    toFail.add(new JobEvent.Failed(task, attempts, cause));
  }

  /** A task that fails for good unless its result or failure is already committing; true if it does. */
  boolean failIfOpen(int task, int attempts, String cause) {
    if (committing.contains(task)) {
      return false;
    }
    fail(task, attempts, cause);
    return true;
  }

  /** A task's attempts so far (its failures and the nodes that died running it), to record. */
  void count(int task, int failures, List<String> killedNodes) {
    toCount.put(task, new JobEvent.Attempts(task, failures, killedNodes));
  }

  /** True once per batch of buffered facts: the caller then schedules one write. */
  boolean needsFlush() {
    if (flushScheduled || (toComplete.isEmpty() && toFail.isEmpty() && toCount.isEmpty())) {
      return false;
    }
    flushScheduled = true;
    return true;
  }

  /** The scheduled write is being made: facts buffered from now on schedule the next one. */
  void flushing() {
    flushScheduled = false;
  }

  /**
   * Everything buffered since the last write, as events, emptying the buffers; the job's end
   * follows when they end its last open tasks. {@code ending} gets the tasks they end.
   */
  List<JobEvent> take(JobLedger state, List<Integer> ending) {
    List<JobEvent> events = new ArrayList<>(4);
    if (!toCount.isEmpty()) {
      events.add(new JobEvent.AttemptsUsed(new ArrayList<>(toCount.values())));
      toCount.clear();
    }
    if (!toComplete.isEmpty()) {
      events.add(new JobEvent.TasksCompleted(toComplete));
      toComplete.forEach(c -> ending.add(c.taskId()));
      toComplete.clear();
    }
    if (!toFail.isEmpty()) {
      events.add(new JobEvent.TasksFailed(toFail));
      toFail.forEach(f -> ending.add(f.taskId()));
      toFail.clear();
    }
    if (!events.isEmpty() && state.sealed && state.unfinished.size() == ending.size()) {
      events.add(new JobEvent.JobEnded(false, System.currentTimeMillis()));
    }
    return events;
  }

  /** The task's result or failure is in the journal. */
  void written(int task) {
    committing.remove(task);
  }

  /** Forgets everything (the coordinator restarts, and the journal says what was written). */
  void clear() {
    committing.clear();
    toComplete.clear();
    toFail.clear();
    toCount.clear();
    flushScheduled = false;
  }
}
