package dev.tessera.persistence.jobs;

import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.serialization.CborSerializable;
import dev.tessera.workpulling.JobReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The durable state of one job, rebuilt from its events (and snapshot) after any restart: its
 * inputs of unfinished tasks, results, failures and attempts used. Changed only by {@link #apply}.
 *
 * <p>Threading: not thread-safe; owned by the job's coordinator actor. Snapshots are taken as an
 * immutable {@link Snapshot} copy, never of this object.
 */
final class JobLedger {

  enum Status {
    /** Nothing was submitted under this job id (yet). */
    NEW,
    RUNNING,
    FINISHED,
    CANCELLED,
    /** Finished or cancelled, and its results were purged. */
    PURGED
  }

  String jobId;
  String taskType;
  JobOptions options;
  long submittedAtMillis;
  String submitter;
  long endedAtMillis;
  Status status = Status.NEW;
  int total;
  boolean sealed;
  int done;
  /** Inputs of the tasks that have not ended, by task id. */
  final TreeMap<Integer, byte[]> unfinished = new TreeMap<>();
  /** Task failures of unfinished tasks (absent: none). */
  final Map<Integer, Integer> attempts = new HashMap<>();
  /** Nodes of the workers that died while an unfinished task was on them (absent: none). */
  final Map<Integer, List<String>> killedNodes = new HashMap<>();
  /** Results by task id; null where a task has not completed. */
  final List<byte[]> results = new ArrayList<>();
  final TreeMap<Integer, JobReport.TaskFailure> failures = new TreeMap<>();

  boolean isEnded() {
    return status == Status.FINISHED || status == Status.CANCELLED || status == Status.PURGED;
  }

  /** Every task ended and no more will come. */
  boolean allTasksEnded() {
    return sealed && unfinished.isEmpty();
  }

  JobLedger apply(JobEvent event) {
    if (event instanceof JobEvent.JobAccepted accepted) {
      jobId = accepted.jobId();
      taskType = accepted.taskType();
      options = accepted.options();
      submittedAtMillis = accepted.submittedAtMillis();
      submitter = accepted.submitter();
      status = Status.RUNNING;
    } else if (event instanceof JobEvent.TasksAdded added) {
      int task = added.firstTaskId();
      for (byte[] input : added.inputs()) {
        unfinished.put(task++, input);
        results.add(null);
      }
      total = task;
      sealed = added.last();
    } else if (event instanceof JobEvent.TasksCompleted completed) {
      for (JobEvent.Completed c : completed.tasks()) {
        if (unfinished.remove(c.taskId()) != null) {
          attempts.remove(c.taskId());
          killedNodes.remove(c.taskId());
          results.set(c.taskId(), c.output());
          done++;
        }
      }
    } else if (event instanceof JobEvent.AttemptsUsed used) {
      for (JobEvent.Attempts a : used.tasks()) {
        if (unfinished.containsKey(a.taskId())) {
          attempts.merge(a.taskId(), a.attempts(), Math::max);
          if (a.killedNodes().size() > killedNodes.getOrDefault(a.taskId(), List.of()).size()) {
            killedNodes.put(a.taskId(), a.killedNodes());
          }
        }
      }
    } else if (event instanceof JobEvent.TasksFailed failed) {
      for (JobEvent.Failed f : failed.tasks()) {
        if (unfinished.remove(f.taskId()) != null) {
          attempts.remove(f.taskId());
          killedNodes.remove(f.taskId());
          failures.put(f.taskId(), new JobReport.TaskFailure(f.attempts(), f.cause()));
        }
      }
    } else if (event instanceof JobEvent.JobEnded ended) {
      status = ended.cancelled() ? Status.CANCELLED : Status.FINISHED;
      endedAtMillis = ended.endedAtMillis();
      unfinished.clear();
      attempts.clear();
      killedNodes.clear();
    } else if (event instanceof JobEvent.JobPurged purged) {
      status = Status.PURGED;
      results.replaceAll(r -> null);
      failures.clear();
    }
    return this;
  }

  /** An immutable copy, for a snapshot. */
  Snapshot snapshot() {
    return new Snapshot(jobId, taskType, options, submittedAtMillis, submitter, endedAtMillis, status, total, sealed, done,
        new TreeMap<>(unfinished), new HashMap<>(attempts), new ArrayList<>(results), new TreeMap<>(failures),
        new HashMap<>(killedNodes));
  }

  static JobLedger of(Snapshot s) {
    JobLedger ledger = new JobLedger();
    ledger.jobId = s.jobId();
    ledger.taskType = s.taskType();
    ledger.options = s.options();
    ledger.submittedAtMillis = s.submittedAtMillis();
    // Snapshots taken before JobAccepted version 2 have no submitter.
    ledger.submitter = s.submitter() != null ? s.submitter() : JobAcceptedMigration.UNKNOWN_SUBMITTER;
    ledger.endedAtMillis = s.endedAtMillis();
    ledger.status = s.status();
    ledger.total = s.total();
    ledger.sealed = s.sealed();
    ledger.done = s.done();
    ledger.unfinished.putAll(s.unfinished());
    ledger.attempts.putAll(s.attempts());
    ledger.results.addAll(s.results());
    ledger.failures.putAll(s.failures());
    if (s.killedNodes() != null) { // null in snapshots taken before worker deaths were counted
      ledger.killedNodes.putAll(s.killedNodes());
    }
    if (ledger.results.size() != ledger.total) {
      throw new IllegalStateException("snapshot of job " + s.jobId() + " is inconsistent: " + ledger.results.size()
          + " result slots for " + ledger.total + " tasks");
    }
    return ledger;
  }

  /**
   * What a snapshot of a job holds: everything, results included (they must stay durable until
   * purged), so recovery reads one snapshot and the events after it, however long the job ran.
   */
  record Snapshot(
      String jobId,
      String taskType,
      JobOptions options,
      long submittedAtMillis,
      String submitter,
      long endedAtMillis,
      Status status,
      int total,
      boolean sealed,
      int done,
      Map<Integer, byte[]> unfinished,
      Map<Integer, Integer> attempts,
      List<byte[]> results,
      Map<Integer, JobReport.TaskFailure> failures,
      Map<Integer, List<String>> killedNodes)
      implements CborSerializable {}
}
