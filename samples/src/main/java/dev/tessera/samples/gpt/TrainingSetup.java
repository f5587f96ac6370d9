package dev.tessera.samples.gpt;

import dev.tessera.runtime.serialization.CborSerializable;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Everything that decides a training run's numbers: the model's shape, the seed of its initial
 * parameters and of every batch, the global batch and how it is cut into shards, and the optimizer's
 * settings. Two runs with the same setup compute the same loss at every step, bit for bit, however
 * many replicas share the shards and whichever replica computes which shard; a checkpoint keeps its
 * setup, and a run resumes only from a checkpoint of the same one.
 *
 * <p>The batch of step {@code s} (the {@code s}-th update, from 1) is drawn from the seed and
 * {@code s} alone, so no random state needs saving; shard {@code k} of {@code shards} is its
 * examples {@code [k * batch / shards, (k + 1) * batch / shards)}.
 *
 * @param config the model
 * @param seed of the initial parameters and of the batches
 * @param batch examples per step (the global batch)
 * @param shards pieces each step's batch is cut into, each computed by one replica
 * @param learningRate AdamW's learning rate
 * @param weightDecay AdamW's decoupled weight decay
 */
public record TrainingSetup(GptConfig config, long seed, int batch, int shards, float learningRate, float weightDecay)
    implements CborSerializable {

  public TrainingSetup {
    Objects.requireNonNull(config, "config");
    if (shards < 1 || batch < shards) {
      throw new IllegalArgumentException("a step needs at least one shard and one example per shard; got batch " + batch
          + " in " + shards + " shards");
    }
    if (!(learningRate > 0) || !(weightDecay >= 0)) {
      throw new IllegalArgumentException("the learning rate must be positive and the weight decay not negative; got "
          + learningRate + " and " + weightDecay);
    }
    if (config.vocab() != ArithmeticCorpus.ALPHABET.length() || config.context() < ArithmeticCorpus.LENGTH - 1) {
      throw new IllegalArgumentException("the model must have the corpus's " + ArithmeticCorpus.ALPHABET.length()
          + " tokens and a context of at least " + (ArithmeticCorpus.LENGTH - 1) + "; got " + config);
    }
  }

  /** The model the samples train: the corpus's vocabulary and example length, {@code heads} of width 16. */
  public static GptConfig model(int width, int layers) {
    if (width < 16 || width % 16 != 0) {
      throw new IllegalArgumentException("--width must be a multiple of 16 (heads of width 16), got " + width);
    }
    return new GptConfig(ArithmeticCorpus.ALPHABET.length(), ArithmeticCorpus.LENGTH - 1, width, layers, width / 16);
  }

  /** The whole batch of step {@code step}. */
  public ArithmeticCorpus.Batch batch(long step) {
    if (step < 1) {
      throw new IllegalArgumentException("steps count from 1, got " + step);
    }
    return new ArithmeticCorpus().trainingBatch(new SplittableRandom(mix(seed, step)), batch);
  }

  /**
   * A well-mixed 64-bit seed for step {@code step}. Not {@code seed ^ step * GOLDEN_GAMMA}:
   * SplittableRandom's state advances by that very constant, so consecutive steps would draw the
   * same stream shifted by one, and the batches would repeat.
   */
  static long mix(long seed, long step) {
    long z = seed * 0xBF58476D1CE4E5B9L + step;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z ^ (z >>> 29)) * 0xD6E8FEB86659FD93L ^ seed;
  }

  /** Shard {@code shard} of the batch of step {@code step}. */
  public ArithmeticCorpus.Batch shard(long step, int shard) {
    if (shard < 0 || shard >= shards) {
      throw new IllegalArgumentException("shard " + shard + " of " + shards);
    }
    ArithmeticCorpus.Batch whole = batch(step);
    int from = (int) ((long) shard * batch / shards);
    int to = (int) ((long) (shard + 1) * batch / shards);
    return new ArithmeticCorpus.Batch(Arrays.copyOfRange(whole.inputs(), from, to),
        Arrays.copyOfRange(whole.targets(), from, to));
  }

  /** Tokens the model reads in one step (for tokens/s). */
  public long tokensPerStep() {
    return (long) batch * (ArithmeticCorpus.LENGTH - 1);
  }

  /** A fresh optimizer of this setup's settings. */
  public AdamW optimizer() {
    return new AdamW(config.parameterCount(), learningRate, weightDecay);
  }
}
