package dev.tessera.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.persistence.jobs.JobJournalReader;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecoveryTimesTest {

  private static final long VICTIM = 100;
  private static final long OTHER = 200;

  private static JobJournalReader.Commit commit(int task, long at) {
    return new JobJournalReader.Commit(task, at, "w1");
  }

  @Test
  void recoveryLastsUntilEveryTaskTakenAwayRunsAgainElsewhere() {
    // Tasks 1 and 2 were running on the victim at 1000; task 3 had been committed before.
    List<ChaosJob.Execution> executions = List.of(
        new ChaosJob.Execution(1, VICTIM, 900), new ChaosJob.Execution(2, VICTIM, 950), new ChaosJob.Execution(3, VICTIM, 500),
        new ChaosJob.Execution(1, OTHER, 2_600), new ChaosJob.Execution(2, OTHER, 3_100));
    RecoveryTimes times = new RecoveryTimes(executions,
        List.of(commit(3, 600), commit(7, 1_200), commit(1, 2_700), commit(2, 3_200)), Set.of());

    RecoveryTimes.Outcome outcome = times.afterFault(1_000, Set.of(VICTIM), false);

    assertThat(outcome.recovery()).isEqualTo(Duration.ofMillis(2_100));
    assertThat(outcome.note()).startsWith("2 tasks had started there and were not committed");
  }

  @Test
  void aResultSentBeforeTheFaultThatArrivesAfterItEndsTheWaitForItsTask() {
    // Task 1's result left the victim just before it died and was committed at 1050; task 2, still
    // running there, ran again elsewhere at 1400.
    List<ChaosJob.Execution> executions = List.of(new ChaosJob.Execution(1, VICTIM, 900), new ChaosJob.Execution(2, VICTIM, 950),
        new ChaosJob.Execution(2, OTHER, 1_400));
    RecoveryTimes times = new RecoveryTimes(executions, List.of(commit(1, 1_050), commit(2, 1_500)), Set.of());

    assertThat(times.afterFault(1_000, Set.of(VICTIM), false).recovery()).isEqualTo(Duration.ofMillis(400));
  }

  @Test
  void withoutProgressAfterTheFaultThereIsNoRecoveryTime() {
    RecoveryTimes times = new RecoveryTimes(List.of(new ChaosJob.Execution(1, VICTIM, 900)), List.of(commit(2, 800)), Set.of());

    RecoveryTimes.Outcome outcome = times.afterFault(1_000, Set.of(VICTIM), false);

    assertThat(outcome.recovery()).isNull();
    assertThat(outcome.note()).isEqualTo("the job had committed its last result before this fault");
  }

  @Test
  void aPoisonedTaskIsNotWaitedFor() {
    List<ChaosJob.Execution> executions = List.of(new ChaosJob.Execution(5, VICTIM, 900));
    RecoveryTimes times = new RecoveryTimes(executions, List.of(commit(1, 1_300)), Set.of(5));

    RecoveryTimes.Outcome outcome = times.afterFault(1_000, Set.of(VICTIM), false);

    assertThat(outcome.recovery()).isEqualTo(Duration.ofMillis(300));
    assertThat(outcome.note()).isEqualTo("no task was running there");
  }

  @Test
  void whenTheCoordinatorMovesProgressCountsFromItsNewIncarnation() {
    // The old coordinator (w1) still commits while its node leaves gracefully; w2 takes over at 4000.
    RecoveryTimes times = new RecoveryTimes(List.of(),
        List.of(new JobJournalReader.Commit(1, 900, "w1"), new JobJournalReader.Commit(2, 1_100, "w1"), new JobJournalReader.Commit(3, 4_000, "w2")),
        Set.of());

    assertThat(times.afterFault(1_000, Set.of(VICTIM), false).recovery()).isEqualTo(Duration.ofMillis(100));
    RecoveryTimes.Outcome moved = times.afterFault(1_000, Set.of(VICTIM), true);
    assertThat(moved.recovery()).isEqualTo(Duration.ofMillis(3_000));
    assertThat(moved.note()).startsWith("a new coordinator committed after 3.0 s");
  }

  @Test
  void aCoordinatorThatWasOnlyCutOffForAMomentCarriesOn() {
    RecoveryTimes times = new RecoveryTimes(List.of(),
        List.of(new JobJournalReader.Commit(1, 900, "w1"), new JobJournalReader.Commit(2, 2_500, "w1")), Set.of());

    RecoveryTimes.Outcome outcome = times.afterFault(1_000, Set.of(VICTIM), true);

    assertThat(outcome.recovery()).isEqualTo(Duration.ofMillis(1_500));
    assertThat(outcome.note()).startsWith("the coordinator carried on where it was");
  }

  @Test
  void afterAWholeClusterRestartRecoveryCountsFromEveryNodeUp() {
    RecoveryTimes times = new RecoveryTimes(List.of(), List.of(commit(1, 500), commit(2, 9_000)), Set.of());

    RecoveryTimes.Outcome outcome = times.afterRestart(1_000, 6_000);

    assertThat(outcome.recovery()).isEqualTo(Duration.ofMillis(3_000));
    assertThat(outcome.note()).isEqualTo("nodes Up 5.0 s after the restart began, progress 8.0 s after it began");
    assertThat(times.afterRestart(1_000, 10_000).recovery()).as("progress before the last node was Up").isZero();
  }
}
