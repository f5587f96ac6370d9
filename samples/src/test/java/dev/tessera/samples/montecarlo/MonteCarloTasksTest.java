package dev.tessera.samples.montecarlo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MonteCarloTasksTest {

  @Test
  void aBatchCountsTheSameHitsEveryTimeAndAboutPiOverFourOfThem() {
    MonteCarloTasks.Batch batch = new MonteCarloTasks.Batch(12345, 1_000_000);
    long hits = MonteCarloTasks.countHits(batch);
    assertThat(MonteCarloTasks.countHits(batch)).isEqualTo(hits);
    PiEstimate estimate = new PiEstimate(1_000_000, hits, 1.0);
    assertThat(estimate.error()).isLessThan(5 * estimate.standardError());
    assertThat(MonteCarloTasks.countHits(new MonteCarloTasks.Batch(12346, 1_000_000))).isNotEqualTo(hits);
  }

  @Test
  void batchesCoverEveryDartOnceWithDistinctSeeds() {
    List<MonteCarloTasks.Batch> batches = MonteCarloPi.batches(10_500, 1_000, 7);
    assertThat(batches).hasSize(11);
    assertThat(batches.stream().mapToLong(MonteCarloTasks.Batch::samples).sum()).isEqualTo(10_500);
    assertThat(batches.get(10).samples()).isEqualTo(500);
    assertThat(batches.stream().map(MonteCarloTasks.Batch::seed).distinct()).hasSize(11);
    assertThat(MonteCarloPi.batches(10_500, 1_000, 7)).isEqualTo(batches);
  }

  @Test
  void badSizesAreRefused() {
    assertThatThrownBy(() -> new MonteCarloTasks.Batch(1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MonteCarloPi.batches(10_000_000, 1, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use bigger batches");
  }

  @Test
  void estimateArithmetic() {
    PiEstimate estimate = new PiEstimate(1_000, 785, 2.0);
    assertThat(estimate.value()).isEqualTo(3.14);
    assertThat(estimate.error()).isCloseTo(Math.PI - 3.14, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(estimate.standardError()).isCloseTo(4 * Math.sqrt(Math.PI / 4 * (1 - Math.PI / 4) / 1_000),
        org.assertj.core.data.Offset.offset(1e-12));
    assertThat(estimate.samplesPerSecond()).isEqualTo(500.0);
  }

  @Test
  void batchesDrawIndependentDarts() {
    // Batches of one seed must not share darts: their estimates scatter like independent ones.
    List<MonteCarloTasks.Batch> batches = MonteCarloPi.batches(400 * 10_000L, 10_000, 1);
    long[] hits = batches.stream().mapToLong(MonteCarloTasks::countHits).toArray();
    double mean = java.util.Arrays.stream(hits).average().orElseThrow();
    double variance = java.util.Arrays.stream(hits).mapToDouble(h -> (h - mean) * (h - mean)).sum() / (hits.length - 1);
    double p = Math.PI / 4;
    assertThat(variance / (10_000 * p * (1 - p))).as("spread of batches relative to independent ones").isBetween(0.7, 1.3);
    long total = java.util.Arrays.stream(hits).sum();
    PiEstimate estimate = new PiEstimate(400 * 10_000L, total, 1);
    assertThat(estimate.error()).isLessThan(4 * estimate.standardError());
  }
}
