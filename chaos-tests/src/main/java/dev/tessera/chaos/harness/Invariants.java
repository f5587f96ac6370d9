package dev.tessera.chaos.harness;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The invariants every chaos run must keep, each judged by name, with the evidence when it fails
 * (at most a few examples, and how many there were).
 */
public final class Invariants {

  /** One invariant's verdict. */
  public record Verdict(String name, boolean passed, String detail) {}

  public static final String JOB_FINISHED = "job-finished";
  public static final String EVERY_RESULT_ONCE = "every-result-once";
  public static final String EQUALS_REFERENCE = "equals-fault-free-run";
  public static final String WITHIN_RETRY_BUDGET = "within-retry-budget";
  public static final String POISONED_REPORTED = "poisoned-tasks-reported-failed";
  public static final String MEMBERSHIP_CONVERGED = "membership-converged";
  public static final String SINGLE_COORDINATOR = "one-coordinator-at-a-time";

  private static final int EXAMPLES = 5;

  private Invariants() {}

  /** Every invariant, in a fixed order. */
  public static List<Verdict> check(RunObservation run) {
    Objects.requireNonNull(run, "run");
    return List.of(
        jobFinished(run),
        everyResultOnce(run),
        equalsReference(run),
        withinRetryBudget(run),
        poisonedReported(run),
        membershipConverged(run),
        singleCoordinator(run));
  }

  private static Verdict jobFinished(RunObservation run) {
    return new Verdict(JOB_FINISHED, run.finished(), run.finished() ? "the job ended" : "the job had not ended by the deadline");
  }

  /** Every task that should succeed is committed exactly once; a poisoned one never. */
  private static Verdict everyResultOnce(RunObservation run) {
    Problems problems = new Problems();
    for (int task = 0; task < run.reference().size(); task++) {
      int count = run.deliveries().getOrDefault(task, 0);
      int expected = run.poisoned().contains(task) ? 0 : 1;
      if (count != expected) {
        problems.add("task " + task + " committed " + count + " times");
      }
    }
    return problems.verdict(EVERY_RESULT_ONCE, "each of " + run.reference().size() + " tasks committed as it should be");
  }

  private static Verdict equalsReference(RunObservation run) {
    Problems problems = new Problems();
    for (int task = 0; task < run.reference().size(); task++) {
      if (run.poisoned().contains(task)) {
        continue;
      }
      Object expected = run.reference().get(task);
      Object actual = run.results().get(task);
      if (!Objects.equals(expected, actual)) {
        problems.add("task " + task + ": " + actual + " instead of " + expected);
      }
    }
    return problems.verdict(EQUALS_REFERENCE, "every result equals the fault-free run's");
  }

  /**
   * No task that should succeed ran more often than the job's budget. A poisoned task is judged by
   * {@link #POISONED_REPORTED} instead: it fails every attempt, and an attempt that fails while the
   * job's coordinator is down is not known to the next one, so it may run once more per failover.
   */
  private static Verdict withinRetryBudget(RunObservation run) {
    Problems problems = new Problems();
    for (Map.Entry<Integer, Integer> e : new TreeMap<>(run.executions()).entrySet()) {
      if (e.getValue() > run.maxAttempts() && !run.poisoned().contains(e.getKey())) {
        problems.add("task " + e.getKey() + " ran " + e.getValue() + " times, the budget is " + run.maxAttempts());
      }
    }
    return problems.verdict(WITHIN_RETRY_BUDGET, "no task ran more than " + run.maxAttempts() + " times");
  }

  private static Verdict poisonedReported(RunObservation run) {
    Problems problems = new Problems();
    for (int task : new java.util.TreeSet<>(run.poisoned())) {
      if (!run.failures().containsKey(task)) {
        problems.add("poisoned task " + task + " is not reported failed");
      } else if (run.results().get(task) != null) {
        problems.add("poisoned task " + task + " has a result");
      }
    }
    for (int task : new java.util.TreeSet<>(run.failures().keySet())) {
      if (!run.poisoned().contains(task)) {
        problems.add("task " + task + " failed: " + run.failures().get(task));
      }
    }
    return problems.verdict(POISONED_REPORTED,
        run.poisoned().isEmpty() ? "no task failed" : run.poisoned().size() + " poisoned tasks reported failed, no other");
  }

  /** Every surviving node sees the same members, all of them Up. */
  private static Verdict membershipConverged(RunObservation run) {
    Problems problems = new Problems();
    Map<String, String> first = null;
    String firstNode = null;
    for (Map.Entry<String, Map<String, String>> view : new TreeMap<>(run.membership()).entrySet()) {
      for (Map.Entry<String, String> member : new TreeMap<>(view.getValue()).entrySet()) {
        if (!member.getValue().equals("Up")) {
          problems.add(view.getKey() + " sees " + member.getKey() + " " + member.getValue());
        }
      }
      if (first == null) {
        first = view.getValue();
        firstNode = view.getKey();
      } else if (!first.keySet().equals(view.getValue().keySet())) {
        problems.add(view.getKey() + " sees members " + new java.util.TreeSet<>(view.getValue().keySet())
            + ", " + firstNode + " sees " + new java.util.TreeSet<>(first.keySet()));
      }
    }
    if (run.membership().isEmpty()) {
      problems.add("no surviving node answered");
    }
    return problems.verdict(MEMBERSHIP_CONVERGED, run.membership().size() + " nodes agree, every member Up");
  }

  /** No two coordinator periods on different nodes overlap (a split brain would run the job twice). */
  private static Verdict singleCoordinator(RunObservation run) {
    Problems problems = new Problems();
    List<RunObservation.CoordinatorSpan> spans = new ArrayList<>(run.coordinators());
    spans.sort(Comparator.comparing(RunObservation.CoordinatorSpan::from));
    for (int i = 0; i < spans.size(); i++) {
      for (int j = i + 1; j < spans.size(); j++) {
        RunObservation.CoordinatorSpan a = spans.get(i);
        RunObservation.CoordinatorSpan b = spans.get(j);
        Instant aEnd = a.to() == null ? Instant.MAX : a.to();
        if (!a.node().equals(b.node()) && b.from().isBefore(aEnd)) {
          problems.add("coordinators on " + a.node() + " and " + b.node() + " both active at " + b.from());
        }
      }
    }
    return problems.verdict(SINGLE_COORDINATOR, spans.size() + " coordinator periods, none overlapping");
  }

  /** Evidence against an invariant: the first few examples, and how many there were. */
  private static final class Problems {
    private final List<String> examples = new ArrayList<>();
    private int count;

    void add(String problem) {
      if (examples.size() < EXAMPLES) {
        examples.add(problem);
      }
      count++;
    }

    Verdict verdict(String name, String whenPassed) {
      if (count == 0) {
        return new Verdict(name, true, whenPassed);
      }
      return new Verdict(name, false, count + (count == 1 ? " problem: " : " problems, e.g. ") + String.join("; ", examples));
    }
  }
}
