package dev.tessera.chaos.harness;

import dev.tessera.persistence.jobs.JobJournalReader;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How long the job took to recover from a fault, worked out after the run from what the journal
 * and the tasks recorded (so it costs the run nothing): from the fault until the job committed a
 * result again <em>and</em> every task the fault took away was running again (or committed).
 * Tasks taken away are those that had started on the stricken node process and were not
 * committed when the fault came.
 */
final class RecoveryTimes {

  /** A recovery time (null when there was none to measure) and what the reader should know. */
  record Outcome(Duration recovery, String note) {}

  private final List<ChaosJob.Execution> executions;
  private final Map<Integer, Long> firstCommit = new HashMap<>();
  private final long[] commitTimes;
  /** Commits in time order, with their writers. */
  private final List<JobJournalReader.Commit> commits;
  private final Set<Integer> poisoned;

  RecoveryTimes(List<ChaosJob.Execution> executions, List<JobJournalReader.Commit> commits, Set<Integer> poisoned) {
    this.executions = List.copyOf(executions);
    this.poisoned = Set.copyOf(poisoned);
    for (JobJournalReader.Commit commit : commits) {
      firstCommit.merge(commit.task(), commit.atMillis(), Math::min);
    }
    this.commitTimes = commits.stream().mapToLong(JobJournalReader.Commit::atMillis).sorted().toArray();
    this.commits = commits.stream().sorted(java.util.Comparator.comparingLong(JobJournalReader.Commit::atMillis)).toList();
  }

  /**
   * The first commit after {@code millis} by another coordinator incarnation than the one that
   * committed last before it, or -1: when a job's coordinator moves, progress counts only once
   * its new incarnation commits (the old one may still commit while it leaves gracefully).
   */
  long firstCommitByNextWriterAfter(long millis) {
    String previous = null;
    for (JobJournalReader.Commit commit : commits) {
      if (commit.atMillis() <= millis) {
        previous = commit.writer();
      } else if (previous == null || !commit.writer().equals(previous)) {
        return commit.atMillis();
      }
    }
    return -1;
  }

  /** The first commit after {@code millis}, or -1. */
  long firstCommitAfter(long millis) {
    for (long at : commitTimes) {
      if (at > millis) {
        return at;
      }
    }
    return -1;
  }

  /** The last commit of the job, or -1. */
  long lastCommit() {
    return commitTimes.length == 0 ? -1 : commitTimes[commitTimes.length - 1];
  }

  /**
   * Recovery from a fault at {@code faultMillis} that struck the node processes {@code victims}.
   */
  Outcome afterFault(long faultMillis, Set<Long> victims, boolean coordinatorMoves) {
    if (lastCommit() >= 0 && lastCommit() <= faultMillis) {
      return new Outcome(null, "the job had committed its last result before this fault");
    }
    long moved = coordinatorMoves ? firstCommitByNextWriterAfter(faultMillis) : -1;
    // A coordinator that was only cut off for a moment (a short freeze or partition) may carry on.
    boolean stayed = coordinatorMoves && moved < 0;
    long progress = moved >= 0 ? moved : firstCommitAfter(faultMillis);
    if (progress < 0) {
      return new Outcome(null, "no result was committed after this fault");
    }
    Set<Integer> lost = new TreeSet<>();
    for (ChaosJob.Execution e : executions) {
      if (victims.contains(e.pid()) && e.startMillis() <= faultMillis && !poisoned.contains(e.task())) {
        Long committed = firstCommit.get(e.task());
        if (committed == null || committed > faultMillis) {
          lost.add(e.task());
        }
      }
    }
    long latest = progress;
    int neverAgain = 0;
    for (int task : lost) {
      long again = firstCommit.getOrDefault(task, Long.MAX_VALUE);
      for (ChaosJob.Execution e : executions) {
        if (e.task() == task && !victims.contains(e.pid()) && e.startMillis() > faultMillis) {
          again = Math.min(again, e.startMillis());
        }
      }
      if (again == Long.MAX_VALUE) {
        neverAgain++;
      } else {
        latest = Math.max(latest, again);
      }
    }
    String note = (moved >= 0 ? "a new coordinator committed after " + seconds(progress - faultMillis) + "; "
            : stayed ? "the coordinator carried on where it was; " : "")
        + (lost.isEmpty()
            ? "no task was running there"
            : lost.size() + " tasks had started there and were not committed; each was, or ran again elsewhere, within "
                + seconds(latest - faultMillis));
    if (neverAgain > 0) {
      note += "; " + neverAgain + " of them never ran again";
    }
    return new Outcome(Duration.ofMillis(latest - faultMillis), note);
  }

  /**
   * After every node was killed: from the moment every node was {@code Up} again to the first
   * commit after the restart began (0 if the job committed before the last node was Up).
   */
  Outcome afterRestart(long restartMillis, long allUpMillis) {
    long progress = firstCommitAfter(restartMillis);
    if (progress < 0) {
      return new Outcome(null, "no result was committed after the restart");
    }
    String up = "nodes Up " + seconds(allUpMillis - restartMillis) + " after the restart began, progress "
        + seconds(progress - restartMillis) + " after it began";
    return new Outcome(Duration.ofMillis(Math.max(0, progress - allUpMillis)),
        progress < allUpMillis ? up + "; progress before the last was Up" : up);
  }

  static String seconds(long millis) {
    return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
  }
}
