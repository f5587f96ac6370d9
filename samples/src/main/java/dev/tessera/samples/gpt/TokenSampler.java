package dev.tessera.samples.gpt;

import java.util.SplittableRandom;

/**
 * Picks the next token from logits: at temperature 0 the likeliest (the lowest index on a tie),
 * otherwise a draw from the softmax of {@code logits / temperature} with its own seeded random
 * numbers, so that the same logits and seed give the same text on any node.
 *
 * <p>Not thread-safe: one generation owns it.
 */
public final class TokenSampler {

  private final double temperature;
  private final SplittableRandom random;

  public TokenSampler(double temperature, long seed) {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw new IllegalArgumentException("--temperature must be a number >= 0, got " + temperature);
    }
    this.temperature = temperature;
    this.random = new SplittableRandom(seed);
  }

  public int next(float[] logits) {
    int best = 0;
    for (int k = 1; k < logits.length; k++) {
      if (logits[k] > logits[best]) {
        best = k;
      }
    }
    if (temperature == 0) {
      return best;
    }
    double[] weights = new double[logits.length];
    double sum = 0;
    for (int k = 0; k < logits.length; k++) {
      weights[k] = Math.exp((logits[k] - logits[best]) / temperature);
      sum += weights[k];
    }
    double u = random.nextDouble() * sum;
    for (int k = 0; k < logits.length; k++) {
      u -= weights[k];
      if (u < 0) {
        return k;
      }
    }
    return best; // rounding left u a hair above zero
  }
}
