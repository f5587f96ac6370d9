package dev.tessera.chaos.harness;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One chaos run, for people and for machines: {@link #toMarkdown()} and {@link #toJson()}.
 *
 * @param job the job run: its class and number of tasks
 * @param faults what was done, when, and how long the job took to make progress again afterwards
 * @param tasksRetried tasks handed out again after a fault
 * @param duplicatesSuppressed late results dropped because the task was already done elsewhere
 * @param verdicts every invariant, passed or not
 */
public record ChaosReport(
    Scenario scenario,
    long seed,
    int nodes,
    Duration duration,
    String job,
    List<FaultOutcome> faults,
    int tasksRetried,
    int duplicatesSuppressed,
    List<Invariants.Verdict> verdicts) {

  /**
   * @param recovery from the fault until the job made progress again; null when it did not (or the
   *     fault is a repair, such as a restart, that nothing waits on)
   * @param note how the recovery was measured, or what else happened (null: nothing to say)
   */
  public record FaultOutcome(Duration at, String fault, Duration recovery, String note) {}

  private static final ObjectMapper JSON =
      new ObjectMapper().findAndRegisterModules().enable(SerializationFeature.INDENT_OUTPUT)
          .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

  public ChaosReport {
    Objects.requireNonNull(scenario, "scenario");
    Objects.requireNonNull(duration, "duration");
    faults = List.copyOf(faults);
    verdicts = List.copyOf(verdicts);
  }

  /** Every invariant held. */
  @JsonIgnore
  public boolean passed() {
    return verdicts.stream().allMatch(Invariants.Verdict::passed);
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a chaos report could not be written as JSON", e);
    }
  }

  public static ChaosReport fromJson(String json) throws java.io.IOException {
    return JSON.readValue(json, ChaosReport.class);
  }

  /** A heading, the faults with their recovery times, and the invariants, as Markdown tables. */
  public String toMarkdown() {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "## %s, seed %d: %s%n%n", scenario.cliName(), seed, passed() ? "passed" : "FAILED"));
    md.append(String.format(Locale.ROOT, "%d nodes, %d s, job %s; %d tasks retried, %d duplicate results suppressed.%n%n",
        nodes, duration.toSeconds(), job, tasksRetried, duplicatesSuppressed));
    md.append("| at | fault | recovery | note |\n|---|---|---|---|\n");
    for (FaultOutcome fault : faults) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", seconds(fault.at()), fault.fault(),
          fault.recovery() == null ? "-" : seconds(fault.recovery()), fault.note() == null ? "" : fault.note().replace("|", "\\|")));
    }
    md.append("\n| invariant | verdict | detail |\n|---|---|---|\n");
    for (Invariants.Verdict verdict : verdicts) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", verdict.name(), verdict.passed() ? "passed" : "**FAILED**",
          verdict.detail().replace("|", "\\|")));
    }
    return md.toString();
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
  }
}
