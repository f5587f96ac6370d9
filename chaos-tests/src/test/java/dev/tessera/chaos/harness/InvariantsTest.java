package dev.tessera.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Each invariant passes on a healthy run and fails, naming the evidence, when one bug is planted:
 * a chaos suite whose checks cannot fail proves nothing.
 */
class InvariantsTest {

  private static final int TASKS = 10;
  private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");

  /** Ten squares, task 7 poisoned; three nodes that agree; one coordinator handover. */
  private static RunObservation healthy() {
    List<Object> reference = new ArrayList<>();
    List<Object> results = new ArrayList<>();
    Map<Integer, Integer> deliveries = new HashMap<>();
    Map<Integer, Integer> executions = new HashMap<>();
    for (int task = 0; task < TASKS; task++) {
      boolean poisoned = task == 7;
      reference.add(poisoned ? null : (long) task * task);
      results.add(poisoned ? null : (long) task * task);
      if (!poisoned) {
        deliveries.put(task, 1);
      }
      executions.put(task, poisoned ? 3 : task == 2 ? 2 : 1);
    }
    Map<String, String> members = Map.of("node-1", "Up", "node-2", "Up", "node-3", "Up");
    return new RunObservation(true, results, reference, deliveries, Map.of(7, "boom (3 attempts)"), executions, 3,
        Set.of(7), Map.of("node-1", members, "node-2", members, "node-3", members),
        List.of(new RunObservation.CoordinatorSpan("node-1", T0, T0.plusSeconds(10)),
            new RunObservation.CoordinatorSpan("node-2", T0.plusSeconds(12), null)));
  }

  private static RunObservation with(UnaryOperator<Builder> change) {
    return change.apply(new Builder(healthy())).build();
  }

  @Test
  void aHealthyRunPassesEveryInvariant() {
    List<Invariants.Verdict> verdicts = Invariants.check(healthy());

    assertThat(verdicts).extracting(Invariants.Verdict::name).containsExactly(
        "job-finished", "every-result-once", "equals-fault-free-run", "within-retry-budget",
        "poisoned-tasks-reported-failed", "membership-converged", "one-coordinator-at-a-time");
    assertThat(verdicts).allSatisfy(v -> assertThat(v.passed()).as(v.name() + ": " + v.detail()).isTrue());
  }

  @Test
  void aResultCommittedTwiceIsCaught() {
    assertOnlyFails(with(b -> b.delivery(4, 2)), Invariants.EVERY_RESULT_ONCE, "task 4 committed 2 times");
  }

  @Test
  void aDroppedResultIsCaught() {
    assertOnlyFails(with(b -> b.delivery(5, 0)), Invariants.EVERY_RESULT_ONCE, "task 5 committed 0 times");
  }

  @Test
  void aWrongResultIsCaught() {
    assertOnlyFails(with(b -> b.result(3, 10L)), Invariants.EQUALS_REFERENCE, "task 3: 10 instead of 9");
  }

  @Test
  void aTaskRunMoreOftenThanItsBudgetIsCaught() {
    assertOnlyFails(with(b -> b.executions(6, 4)), Invariants.WITHIN_RETRY_BUDGET, "task 6 ran 4 times, the budget is 3");
  }

  @Test
  void aPoisonedTaskIsJudgedByItsReportedFailureNotByTheBudget() {
    // Its first failure reached a coordinator that then died: the next one gave it three more tries.
    assertThat(Invariants.check(with(b -> b.executions(7, 4)))).allMatch(Invariants.Verdict::passed);
  }

  @Test
  void aPoisonedTaskNotReportedAndAnUnexpectedFailureAreCaught() {
    assertOnlyFails(with(b -> b.failures(Map.of(1, "lost"))), Invariants.POISONED_REPORTED,
        "2 problems, e.g. poisoned task 7 is not reported failed; task 1 failed: lost");
  }

  @Test
  void membershipThatHasNotConvergedIsCaught() {
    Map<String, String> stale = Map.of("node-1", "Up", "node-2", "Up", "node-3", "Up", "node-4", "Down");
    assertOnlyFails(with(b -> b.view("node-3", stale)), Invariants.MEMBERSHIP_CONVERGED, "node-3 sees node-4 Down");
  }

  @Test
  void twoCoordinatorsAtOnceAreCaught() {
    assertOnlyFails(
        with(b -> b.coordinators(List.of(
            new RunObservation.CoordinatorSpan("node-1", T0, T0.plusSeconds(10)),
            new RunObservation.CoordinatorSpan("node-2", T0.plusSeconds(5), null)))),
        Invariants.SINGLE_COORDINATOR, "coordinators on node-1 and node-2 both active at 2026-11-25T12:00:05Z");
  }

  @Test
  void anUnfinishedJobIsCaught() {
    assertOnlyFails(with(b -> b.unfinished()), Invariants.JOB_FINISHED, "had not ended");
  }

  private static void assertOnlyFails(RunObservation run, String invariant, String evidence) {
    List<Invariants.Verdict> verdicts = Invariants.check(run);
    for (Invariants.Verdict verdict : verdicts) {
      if (verdict.name().equals(invariant)) {
        assertThat(verdict.passed()).as(invariant + " fails").isFalse();
        assertThat(verdict.detail()).contains(evidence);
      } else {
        assertThat(verdict.passed()).as(verdict.name() + " still passes: " + verdict.detail()).isTrue();
      }
    }
  }

  /** A healthy run with one thing changed. */
  private static final class Builder {
    private final RunObservation base;
    private boolean finished;
    private final List<Object> results;
    private final Map<Integer, Integer> deliveries;
    private Map<Integer, String> failures;
    private final Map<Integer, Integer> executions;
    private final Map<String, Map<String, String>> membership;
    private List<RunObservation.CoordinatorSpan> coordinators;

    Builder(RunObservation base) {
      this.base = base;
      this.finished = base.finished();
      this.results = new ArrayList<>(base.results());
      this.deliveries = new HashMap<>(base.deliveries());
      this.failures = base.failures();
      this.executions = new HashMap<>(base.executions());
      this.membership = new HashMap<>(base.membership());
      this.coordinators = base.coordinators();
    }

    Builder delivery(int task, int count) {
      deliveries.put(task, count);
      return this;
    }

    Builder result(int task, Object value) {
      results.set(task, value);
      return this;
    }

    Builder executions(int task, int count) {
      executions.put(task, count);
      return this;
    }

    Builder failures(Map<Integer, String> value) {
      failures = value;
      return this;
    }

    Builder view(String node, Map<String, String> members) {
      membership.put(node, members);
      return this;
    }

    Builder coordinators(List<RunObservation.CoordinatorSpan> value) {
      coordinators = value;
      return this;
    }

    Builder unfinished() {
      finished = false;
      return this;
    }

    RunObservation build() {
      return new RunObservation(finished, results, base.reference(), deliveries, failures, executions,
          base.maxAttempts(), base.poisoned(), membership, coordinators);
    }
  }
}
