package dev.tessera.samples.montecarlo;

import dev.tessera.runtime.job.TaskLibrary;
import dev.tessera.runtime.job.TaskRegistry;
import dev.tessera.runtime.job.TaskType;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.SplittableRandom;

/**
 * The Monte Carlo π task: throw {@code samples} darts at the unit square from a seeded generator
 * and count those inside the quarter circle. Registered on every worker node through {@code
 * META-INF/services/dev.tessera.runtime.job.TaskLibrary}.
 */
public final class MonteCarloTasks implements TaskLibrary {

  /** One batch of darts: its own seed, so the whole run is reproducible, and how many. */
  public record Batch(long seed, long samples) implements CborSerializable {
    public Batch {
      if (samples < 1) {
        throw new IllegalArgumentException("a batch needs at least one sample, got " + samples);
      }
    }
  }

  public static final TaskType<Batch, Long> COUNT_HITS = TaskType.of("samples.pi-hits", Batch.class, Long.class);

  @Override
  public void register(TaskRegistry.Builder registry) {
    registry.register(COUNT_HITS, MonteCarloTasks::countHits);
  }

  /** Darts of the batch that land inside the quarter circle x² + y² ≤ 1. */
  public static long countHits(Batch batch) {
    SplittableRandom random = new SplittableRandom(batch.seed());
    long hits = 0;
    for (long i = 0; i < batch.samples(); i++) {
      double x = random.nextDouble();
      double y = random.nextDouble();
      if (x * x + y * y <= 1.0) {
        hits++;
      }
    }
    return hits;
  }
}
