package dev.tessera.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosReportTest {

  private static ChaosReport report(boolean duplicateCommitted) {
    return new ChaosReport(Scenario.WORKER_KILL, 42, 3, Duration.ofSeconds(60), "HashChainJob (1000 tasks)",
        List.of(new ChaosReport.FaultOutcome(Duration.ofMillis(12_345), "kill -9 node 2", Duration.ofMillis(1_800), "2 tasks taken away"),
            new ChaosReport.FaultOutcome(Duration.ofMillis(20_000), "start node 2", null, null)),
        17, 2,
        List.of(new Invariants.Verdict(Invariants.JOB_FINISHED, true, "the job ended"),
            new Invariants.Verdict(Invariants.EVERY_RESULT_ONCE, !duplicateCommitted,
                duplicateCommitted ? "1 problem: task 4 committed 2 times" : "each of 10 tasks committed as it should be")));
  }

  @Test
  void markdownShowsFaultsRecoveryAndEveryVerdict() {
    String md = report(true).toMarkdown();

    assertThat(md).startsWith("## worker-kill, seed 42: FAILED");
    assertThat(md).contains("3 nodes, 60 s, job HashChainJob (1000 tasks); 17 tasks retried, 2 duplicate results suppressed.");
    assertThat(md).contains("| 12.3 s | kill -9 node 2 | 1.8 s | 2 tasks taken away |");
    assertThat(md).contains("| 20.0 s | start node 2 | - |  |");
    assertThat(md).contains("| every-result-once | **FAILED** | 1 problem: task 4 committed 2 times |");
    assertThat(report(false).toMarkdown()).startsWith("## worker-kill, seed 42: passed");
  }

  @Test
  void jsonReadsBackToTheSameReport() throws Exception {
    ChaosReport report = report(true);

    String json = report.toJson();

    assertThat(json).contains("\"scenario\" : \"WORKER_KILL\"").contains("\"seed\" : 42");
    assertThat(ChaosReport.fromJson(json)).isEqualTo(report);
    assertThat(report.passed()).isFalse();
  }
}
