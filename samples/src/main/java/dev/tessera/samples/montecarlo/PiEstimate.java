package dev.tessera.samples.montecarlo;

/**
 * What a Monte Carlo run found: π ≈ 4 · hits / samples, with its standard error (each dart is a
 * Bernoulli trial with p = π/4, so the estimate's standard deviation is 4·√(p(1−p)/samples)).
 */
public record PiEstimate(long samples, long hits, double seconds) {

  public double value() {
    return 4.0 * hits / samples;
  }

  /** How far the estimate is from π. */
  public double error() {
    return Math.abs(value() - Math.PI);
  }

  /** The estimate's standard error. */
  public double standardError() {
    double p = Math.PI / 4;
    return 4 * Math.sqrt(p * (1 - p) / samples);
  }

  public double samplesPerSecond() {
    return samples / seconds;
  }

  /** The sample's last lines. */
  public String summary() {
    return String.format("pi ~ %.8f (error %.2e, standard error %.2e: %.1f sigma)%n"
            + "%,d darts, %,d inside, in %.1f s: %.3g darts/s",
        value(), error(), standardError(), error() / standardError(), samples, hits, seconds, samplesPerSecond());
  }
}
