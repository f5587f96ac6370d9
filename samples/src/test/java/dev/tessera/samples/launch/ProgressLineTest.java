package dev.tessera.samples.launch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.samples.launch.ProgressLine.Snapshot;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressLineTest {

  private final ProgressLine steps = new ProgressLine(" steps");

  @Test
  void onAnEightyColumnTerminalTheCountAndTheSamplesOwnWordsStayWhole() {
    String gpt = steps.render(new Snapshot("gpt", 0, 450, 1000, Duration.ofSeconds(48),
        "loss 1.234, 8046 tok/s, 3 replicas, checkpoint 400"), 79);

    assertThat(gpt).hasSize(79);
    assertThat(gpt.strip()).startsWith("gpt  45% ").contains("450/1000 steps").endsWith("checkpoint 400");

    String heat = steps.render(new Snapshot("heat", 0, 10000, 10000, Duration.ofSeconds(11), "checkpoint 10000"), 79);
    assertThat(heat.strip()).startsWith("heat 100% [").contains("10000/10000 steps").endsWith("checkpoint 10000");
  }

  @Test
  void aWideLineHasTheBarTheRateTheEtaAndTheElapsedTime() {
    String line = steps.render(new Snapshot("heat", 0, 2500, 10000, Duration.ofSeconds(5), "checkpoint 2000"), 200)
        .strip();

    assertThat(line).isEqualTo("heat  25% [=======>                      ] 2500/10000 steps, ETA 0:00:15, 500.0/s, "
        + "0:00:05 elapsed, checkpoint 2000");
  }

  @Test
  void whenNarrowTheElapsedTimeThenTheRateThenTheEtaMakeRoomForABar() {
    Snapshot at = new Snapshot("heat", 0, 2500, 10000, Duration.ofSeconds(5), "checkpoint 2000");
    String full = "heat  25% 2500/10000 steps, ETA 0:00:15, 500.0/s, 0:00:05 elapsed, checkpoint 2000";

    assertThat(steps.render(at, full.length() + 3 + ProgressLine.MIN_BAR))
        .isEqualTo("heat  25% [=>   ] 2500/10000 steps, ETA 0:00:15, 500.0/s, 0:00:05 elapsed, checkpoint 2000");
    assertThat(steps.render(at, full.length()).strip())
        .isEqualTo("heat  25% [===>          ] 2500/10000 steps, ETA 0:00:15, 500.0/s, checkpoint 2000");
    assertThat(steps.render(at, 51).strip()).isEqualTo("heat  25% [=>   ] 2500/10000 steps, checkpoint 2000");
    // One column less and no bar fits: the line without one, as much of it as fits.
    assertThat(steps.render(at, 50).strip()).isEqualTo("heat  25% 2500/10000 steps, checkpoint 2000");
    assertThat(steps.render(at, 18)).isEqualTo("heat  25% 2500/100");
  }

  @Test
  void aResumedRunsRateAndEtaCountOnlyTheStepsItDid() {
    // Resumed at step 5000: 1000 steps in 10 s is 100 steps/s, not 600.
    String line = steps.render(new Snapshot("heat", 5000, 6000, 10000, Duration.ofSeconds(10), ""), 0);

    assertThat(line).isEqualTo("heat  60% 6000/10000 steps, ETA 0:00:40, 100.0/s, 0:00:10 elapsed");
  }

  @Test
  void aLineForALogHasNoBarAndNoPadding() {
    String line = steps.render(new Snapshot("heat", 0, 10, 100, Duration.ofSeconds(2), "checkpoint 0"), 0);

    assertThat(line).doesNotContain("[").isEqualTo(line.strip()).endsWith("0:00:02 elapsed, checkpoint 0");
  }

  @Test
  void noRateInTheFirstSecondAndNoPercentWithoutATotal() {
    assertThat(new ProgressLine(" tasks").render(new Snapshot("pi", 0, 3, -1, Duration.ofMillis(300), "3 running"), 0))
        .isEqualTo("pi 3 tasks, 0:00:00 elapsed, 3 running");
  }

  @Test
  void aClockGrowsPastADay() {
    assertThat(ProgressLine.clock(53 * 3600 + 10 * 60 + 4.9)).isEqualTo("53:10:04");
  }
}
