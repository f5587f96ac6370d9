package dev.tessera.persistence.jobs;

import dev.tessera.persistence.journal.StoredResult;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.serialization.CborSerializable;
import dev.tessera.work.engine.JobReport;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The durable state of one job, rebuilt from its events (and snapshot) after any restart: its
 * inputs of unfinished tasks, results, failures and attempts used. Changed only by {@link #apply}.
 *
 * <p><b>Submission.</b> A job's inputs arrive in chunks; until the last one ({@link #sealed}) the job
 * is being submitted ({@code submitting}), and none of its tasks runs. Each chunk's digest is kept,
 * so a repeated chunk (a retry) is told apart from a different one under the same job id. A job
 * whose submission stopped half-way is {@link Status#ABANDONED} (its inputs dropped), and a new
 * {@link JobEvent.JobAccepted} starts it over.
 *
 * <p><b>No stuck job.</b> A sealed job whose every task has ended is finished by the very event that
 * ended its last task: a job is never "running" with nothing left to run.
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
    PURGED,
    /** Its submission stopped before its last inputs; nothing of it ran, its inputs were dropped. */
    ABANDONED
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
  /** Results kept in events, by task id; null where a task has not completed or its result is in {@link #stored}. */
  final List<byte[]> results = new ArrayList<>();
  /**
   * Results kept in the table of large results (above {@code inline-result-bytes}), by task id: only
   * their size and hash; the bytes are read from the table when asked for.
   */
  final Map<Integer, StoredResult> stored = new HashMap<>();
  final TreeMap<Integer, JobReport.TaskFailure> failures = new TreeMap<>();
  /** Each input chunk's {@link #digest}, by its first task id; null when read from a snapshot older than them. */
  Map<Integer, String> chunks = new HashMap<>();
  /** Why the submission was abandoned (status ABANDONED). */
  String abandonedBecause;

  boolean isEnded() {
    return status == Status.FINISHED || status == Status.CANCELLED || status == Status.PURGED
        || status == Status.ABANDONED;
  }

  /** Accepted, and still waiting for its last inputs: none of its tasks runs yet. */
  boolean isSubmitting() {
    return status == Status.RUNNING && !sealed;
  }

  /**
   * A chunk's identity: its size, whether it is the last, and a SHA-256 of its inputs. Equal
   * digests mean the same chunk sent again.
   */
  static String digest(List<byte[]> inputs, boolean last) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (byte[] input : inputs) {
        sha.update(ByteBuffer.allocate(4).putInt(input.length).array());
        sha.update(input);
      }
      return inputs.size() + (last ? " inputs, the last" : " inputs, not the last") + ", sha-256 "
          + HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /**
   * How a chunk of inputs from task {@code first} relates to what is recorded: null if it is
   * recorded exactly so (a repeat); otherwise why it contradicts the recorded inputs. Only for a
   * chunk that starts before {@link #total}.
   */
  String contradiction(int first, List<byte[]> inputs, boolean last) {
    if (chunks == null) {
      // Recorded before chunks had digests: only the range and the last flag can be compared.
      return first + inputs.size() <= total && (!last || sealed) ? null
          : "inputs from task " + first + " (" + inputs.size() + (last ? ", the last" : "")
              + ") do not match the " + total + " recorded" + (sealed ? " (sealed)" : "");
    }
    String recorded = chunks.get(first);
    String sent = digest(inputs, last);
    if (recorded == null) {
      return "inputs from task " + first + " (" + sent + ") overlap the recorded inputs (tasks 0 to "
          + (total - 1) + ") but start where no recorded chunk starts";
    }
    return recorded.equals(sent) ? null
        : "inputs from task " + first + " differ from those recorded: recorded " + recorded + "; sent " + sent;
  }

  /** Every task ended and no more will come. */
  boolean allTasksEnded() {
    return sealed && unfinished.isEmpty();
  }

  /**
   * The outcomes of tasks {@code fromTask ..}, one page: it stops growing once its outputs (or
   * failure causes) reach {@code maxBytes}, and always holds at least one task while any is left.
   * A result kept in the table of large results is in the page as its {@link StoredResult} only.
   */
  ResultsPage resultsPage(int fromTask, int maxBytes) {
    List<ResultsPage.TaskResult> page = new ArrayList<>();
    int task = Math.max(0, fromTask);
    long bytes = 0;
    while (task < total && (page.isEmpty() || bytes < maxBytes)) {
      byte[] output = results.get(task);
      StoredResult kept = output == null ? stored.get(task) : null;
      JobReport.TaskFailure failure = failures.get(task);
      // What a TaskResult costs in CBOR besides its bytes: its field names and values, about 45
      // bytes; 64 to be safe (16 let a page of 6,000 tiny results pass the 256 KiB frame limit).
      bytes += 64 + (output != null ? output.length
          : kept != null ? 96 // its size and a hash of 64 hex digits
          : failure != null ? failure.lastCause().length() : 0);
      page.add(new ResultsPage.TaskResult(task, output, failure, kept));
      task++;
    }
    return new ResultsPage(page, task);
  }

  JobLedger apply(JobEvent event) {
    if (event instanceof JobEvent.JobAccepted accepted) {
      if (status == Status.ABANDONED) {
        startOver();
      }
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
      if (chunks != null) {
        chunks.put(added.firstTaskId(), digest(added.inputs(), added.last()));
      }
      total = task;
      sealed = added.last();
      finishIfAllEnded();
    } else if (event instanceof JobEvent.TasksCompleted completed) {
      for (JobEvent.Completed c : completed.tasks()) {
        if (unfinished.remove(c.taskId()) != null) {
          attempts.remove(c.taskId());
          killedNodes.remove(c.taskId());
          results.set(c.taskId(), c.output());
          if (c.stored() != null) {
            stored.put(c.taskId(), c.stored());
          }
          done++;
        }
      }
      finishIfAllEnded();
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
      finishIfAllEnded();
    } else if (event instanceof JobEvent.JobEnded ended) {
      status = ended.cancelled() ? Status.CANCELLED : Status.FINISHED;
      endedAtMillis = ended.endedAtMillis();
      unfinished.clear();
      attempts.clear();
      killedNodes.clear();
    } else if (event instanceof JobEvent.JobPurged purged) {
      status = Status.PURGED;
      results.replaceAll(r -> null);
      stored.clear();
      failures.clear();
    } else if (event instanceof JobEvent.SubmissionAbandoned abandoned) {
      status = Status.ABANDONED;
      abandonedBecause = abandoned.reason();
      endedAtMillis = abandoned.abandonedAtMillis();
      unfinished.clear();
      attempts.clear();
    }
    return this;
  }

  /** Sealed, with every task ended: finished (the coordinator writes JobEnded in the same write). */
  private void finishIfAllEnded() {
    if (status == Status.RUNNING && allTasksEnded()) {
      status = Status.FINISHED;
    }
  }

  /** An abandoned submission is being made again: nothing of the old one counts. */
  private void startOver() {
    total = 0;
    sealed = false;
    done = 0;
    endedAtMillis = 0;
    abandonedBecause = null;
    unfinished.clear();
    attempts.clear();
    results.clear();
    stored.clear();
    failures.clear();
    chunks = new HashMap<>();
  }

  /** An immutable copy, for a snapshot. */
  Snapshot snapshot() {
    return new Snapshot(jobId, taskType, options, submittedAtMillis, submitter, endedAtMillis, status, total, sealed, done,
        new TreeMap<>(unfinished), new HashMap<>(attempts), new ArrayList<>(results), new TreeMap<>(failures),
        chunks == null ? null : new HashMap<>(chunks), abandonedBecause, new HashMap<>(killedNodes),
        new HashMap<>(stored));
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
    if (s.stored() != null) { // null in snapshots taken before large results were kept in a table
      ledger.stored.putAll(s.stored());
    }
    // Snapshots taken before chunk digests have none: repeated chunks are then checked by range only.
    ledger.chunks = s.chunks() == null ? null : new HashMap<>(s.chunks());
    ledger.abandonedBecause = s.abandonedBecause();
    if (ledger.results.size() != ledger.total) {
      throw new IllegalStateException("snapshot of job " + s.jobId() + " is inconsistent: " + ledger.results.size()
          + " result slots for " + ledger.total + " tasks");
    }
    return ledger;
  }

  /**
   * What a snapshot of a job holds: everything, results included (they must stay durable until
   * purged), so recovery reads one snapshot and the events after it, however long the job ran. Of
   * a result kept in the table of large results it holds what the event held: size and hash.
   *
   * @param stored null in snapshots taken before results were kept in a table
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
      Map<Integer, String> chunks,
      String abandonedBecause,
      Map<Integer, List<String>> killedNodes,
      Map<Integer, StoredResult> stored)
      implements CborSerializable {}
}
