package dev.tessera.persistence.jobs;

import dev.tessera.persistence.journal.StoredResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a durable job's coordinator has decided but not yet written: results, failures for good and
 * attempt counts, buffered between journal writes so that one write commits many tasks (group
 * commit). A task is <em>committing</em> from the moment its result or failure is buffered until
 * its write is done: it is not handed out again, and a second result for it is a duplicate.
 *
 * <p><b>Large results</b> (above {@code inline-result-bytes}) take one more step: they wait in
 * {@code toStore} until they are written to the table of large results ({@link #startStoring}, one
 * store at a time), and only once that store is committed ({@link #stored}) do they join the next
 * journal write, as their {@link StoredResult}: the event that completes a task never names rows
 * that are not there. Their bytes are dropped from here then.
 *
 * <p>Threading: not thread-safe; used by the coordinator's actor only.
 */
final class GroupCommit {

  /** Large results to store, and their store's number (to tell its answer from a stale one). */
  record Store(long number, Map<Integer, byte[]> results) {}

  private final long inlineBytes;
  private final Set<Integer> committing = new HashSet<>();
  private final List<JobEvent.Completed> toComplete = new ArrayList<>();
  /** Large results waiting for the next store. */
  private final Map<Integer, byte[]> toStore = new LinkedHashMap<>();
  /** The store under way, if any. */
  private Store storing;
  /** Numbers stores; never reset, so an answer to a store from before {@link #clear} is known stale. */
  private long stores;
  private final List<JobEvent.Failed> toFail = new ArrayList<>();
  private final Map<Integer, JobEvent.Attempts> toCount = new LinkedHashMap<>();
  private boolean flushScheduled;

  /** @param inlineBytes results larger than this are stored in the table of large results first */
  GroupCommit(long inlineBytes) {
    this.inlineBytes = inlineBytes;
  }

  /** Whether the task's result or failure is buffered or being written. */
  boolean isCommitting(int task) {
    return committing.contains(task);
  }

  /** A task's accepted result. */
  void complete(int task, byte[] output) {
    committing.add(task);
    if (output.length > inlineBytes) {
      toStore.put(task, output);
    } else {
      toComplete.add(new JobEvent.Completed(task, output));
    }
  }

  /**
   * The large results to store now, if any wait and no store is under way; they are {@link
   * #isStoring} until {@link #stored} or {@link #storeFailed}.
   */
  Optional<Store> startStoring() {
    if (storing != null || toStore.isEmpty()) {
      return Optional.empty();
    }
    storing = new Store(++stores, new LinkedHashMap<>(toStore));
    toStore.clear();
    return Optional.of(storing);
  }

  /** Whether a store is under way. */
  boolean isStoring() {
    return storing != null;
  }

  /**
   * Store {@code number} is committed: its results join the next write as {@code stored}, and
   * their bytes are dropped here.
   *
   * @return false for a stale answer (a store from before {@link #clear}), which changes nothing
   */
  boolean stored(long number, Map<Integer, StoredResult> stored) {
    if (storing == null || storing.number() != number) {
      return false;
    }
    storing.results().keySet().forEach(task -> toComplete.add(new JobEvent.Completed(task, stored.get(task))));
    storing = null;
    return true;
  }

  /**
   * Store {@code number} failed: its results are dropped (their tasks stay committing until the
   * caller clears everything and the journal says what is committed).
   *
   * @return false for a stale answer
   */
  boolean storeFailed(long number) {
    if (storing == null || storing.number() != number) {
      return false;
    }
    storing = null;
    return true;
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

  /**
   * True once per batch of buffered facts (or of large results to store, while no store is under
   * way): the caller then schedules one write.
   */
  boolean needsFlush() {
    boolean storeWaits = !toStore.isEmpty() && storing == null;
    if (flushScheduled || (toComplete.isEmpty() && toFail.isEmpty() && toCount.isEmpty() && !storeWaits)) {
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
   * follows when they end its last open tasks. {@code ending} gets the tasks they end. Large
   * results not yet stored are not in them (and so a job with one waiting does not end yet).
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
    toStore.clear();
    storing = null;
    flushScheduled = false;
  }
}
