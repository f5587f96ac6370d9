package dev.tessera.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chaos suite that cannot fail proves nothing: the harness runs a job with a planted bug (tasks
 * that give another answer when retried, {@link RetryUnsafeJob}) through worker kills, and must
 * fail the run, naming the invariant and the tasks.
 */
class PlantedBugTest {

  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  @Test
  void aTaskThatIsNotSafeToRetryFailsTheRun() throws Exception {
    ChaosReport report = ChaosRun.run(ChaosRun.Settings.of(Scenario.WORKER_KILL, 7, 3, ChaosScenarioTest.DURATION, dir)
        .withJob(new RetryUnsafeJob()));
    System.out.println(report.toMarkdown());

    assertThat(report.passed()).as(report.toMarkdown()).isFalse();
    Invariants.Verdict equals = verdict(report, Invariants.EQUALS_REFERENCE);
    assertThat(equals.passed()).isFalse();
    assertThat(equals.detail()).containsPattern("task \\d+: (\\d+) instead of \\d+");
    // The runtime itself did its part: the job ended, and each result was committed once.
    assertThat(verdict(report, Invariants.JOB_FINISHED).passed()).isTrue();
    assertThat(verdict(report, Invariants.EVERY_RESULT_ONCE).passed()).as(report.toMarkdown()).isTrue();
    assertThat(report.tasksRetried()).isPositive();
  }

  private static Invariants.Verdict verdict(ChaosReport report, String name) {
    return report.verdicts().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
  }
}
