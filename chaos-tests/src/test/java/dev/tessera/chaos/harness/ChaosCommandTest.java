package dev.tessera.chaos.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The {@code chaos} command's input checks, which run before any process starts, and its summary. */
class ChaosCommandTest {

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    CommandLine cmd = new CommandLine(new ChaosCommand());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    cmd.setExecutionExceptionHandler(ChaosCommand::onError);
    return new Run(cmd.execute(args), out.toString(), err.toString());
  }

  @Test
  void anUnknownScenarioIsAUsageErrorNamingTheScenarios() {
    Run run = run("--scenario", "meteor-strike");
    assertThat(run.code()).isEqualTo(2);
    assertThat(run.err()).contains("no scenario 'meteor-strike'; there are: worker-kill, worker-freeze");
  }

  @Test
  void badDurationsNodeCountsAndJobsAreUsageErrors() {
    assertThat(run("--scenario", "worker-kill", "--duration", "soon").err()).contains("--duration: not a duration: 'soon'");
    assertThat(run("--scenario", "worker-kill", "--duration", "5s").err()).contains("a chaos run lasts at least 20 s");
    assertThat(run("--scenario", "worker-kill", "--nodes", "2").err()).contains("scenario worker-kill needs at least 3 nodes, got 2");
    assertThat(run("--scenario", "all", "--job", "com.example.Missing").err())
        .contains("--job: no class com.example.Missing on the classpath");
    assertThat(run("--scenario", "all", "--job", "java.lang.String").err())
        .contains("--job: java.lang.String does not implement dev.tessera.chaos.harness.ChaosJob");
    assertThat(run("--scenario", "all", "--job", "java.lang.String").code()).isEqualTo(2);
  }

  @Test
  void theSummaryGivesMedianAndMaxPerKindOfFault() {
    ChaosReport.FaultOutcome workerKill = new ChaosReport.FaultOutcome(Duration.ofSeconds(10), "kill -9 node 3", Duration.ofMillis(1_500), null);
    ChaosReport.FaultOutcome coordinatorKill = new ChaosReport.FaultOutcome(Duration.ofSeconds(12), "kill -9 node 1",
        Duration.ofMillis(8_000), ChaosRun.ON_COORDINATOR);
    List<ChaosReport> reports = List.of(
        report(List.of(workerKill, coordinatorKill)),
        report(List.of(new ChaosReport.FaultOutcome(Duration.ofSeconds(10), "kill -9 node 2", Duration.ofMillis(1_700), null))),
        report(List.of(new ChaosReport.FaultOutcome(Duration.ofSeconds(10), "kill -9 node 2", Duration.ofMillis(1_900), null))));

    String summary = ChaosCommand.summary(reports);

    assertThat(summary).contains("3 of 3 runs passed every invariant.");
    assertThat(summary).contains("| kill -9 of a worker node | 3 | 1.7 s | 1.9 s |");
    assertThat(summary).contains("| kill -9 of the coordinator's node | 1 | 8.0 s | 8.0 s |");
  }

  private static ChaosReport report(List<ChaosReport.FaultOutcome> faults) {
    return new ChaosReport(Scenario.WORKER_KILL, 1, 3, Duration.ofSeconds(30), "test", faults, 0, 0,
        List.of(new Invariants.Verdict(Invariants.JOB_FINISHED, true, "the job ended")));
  }
}
