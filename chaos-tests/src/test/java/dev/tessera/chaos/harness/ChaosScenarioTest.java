package dev.tessera.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each scenario of the chaos suite, run by the harness against real node processes, with every
 * invariant asserted. One seed each, 20 s of faults on 3 nodes: the bounded selection CI runs
 * ({@code bin/chaos --scenario all} runs the full set, longer and with more seeds).
 */
class ChaosScenarioTest {

  static final Duration DURATION = FaultSchedule.MIN_DURATION;

  // Kept when a test fails: the node logs, the journal and the report are in it.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path dir;

  @ParameterizedTest
  @EnumSource(Scenario.class)
  void everyInvariantHolds(Scenario scenario) throws Exception {
    if (scenario == Scenario.PARTITION) {
      Assumptions.assumeTrue(NetworkNamespaces.unavailable().isEmpty(),
          () -> "skipped: " + NetworkNamespaces.unavailable().orElse(""));
    }
    ChaosReport report = ChaosRun.run(ChaosRun.Settings.of(scenario, 7, 3, DURATION, dir));
    System.out.println(report.toMarkdown());

    assertThat(report.verdicts()).as(report.toMarkdown()).allMatch(Invariants.Verdict::passed);
    assertThat(report.faults()).hasSize(FaultSchedule.draw(scenario, 7, 3, DURATION).faults().size());
    // Every fault that takes work away was recovered from, and the time measured, unless the job
    // had ended before it came (waiting for the nodes to be Up can push a fault past the end).
    assertThat(report.faults()).as(report.toMarkdown())
        .filteredOn(f -> f.fault().startsWith("kill -9 node") || f.fault().startsWith("freeze")
            || f.fault().startsWith("kill -9 the") || f.fault().startsWith("partition"))
        .allSatisfy(f -> assertThat(f.recovery() != null || f.note().contains("committed its last result before this fault"))
            .as("%s: %s", f.fault(), f.note()).isTrue());
    assertThat(report.faults()).as("at least one recovery measured").anyMatch(f -> f.recovery() != null);
  }

  /**
   * Rolling restarts (SIGTERM, one node at a time) are routine: five seeds in a row, every
   * invariant on each, and the job's coordinator counts no task failure and no worker death.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void rollingRestartsChargeNothingOnEverySeed(long seed) throws Exception {
    ChaosReport report = ChaosRun.run(ChaosRun.Settings.of(Scenario.ROLLING_RESTART, seed, 3, DURATION, dir));
    System.out.println(report.toMarkdown());

    assertThat(report.verdicts()).as(report.toMarkdown()).allMatch(Invariants.Verdict::passed);
  }
}
