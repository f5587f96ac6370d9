package dev.tessera.samples.gpt;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Completing a prompt one token at a time, on this node: the reference a pipeline across nodes
 * ({@link PipelineGeneration}) must match token for token.
 */
public final class Completion {

  private Completion() {}

  /** The last {@code context} tokens of {@code tokens}: what the model sees when the text outgrows it. */
  public static int[] window(int[] tokens, int context) {
    return tokens.length <= context ? tokens : Arrays.copyOfRange(tokens, tokens.length - context, tokens.length);
  }

  /**
   * Up to {@code maxTokens} tokens after {@code prompt}, stopping after {@code stop} (-1: never);
   * each is given to {@code onToken} as it is chosen.
   */
  public static int[] complete(GptModel model, float[] params, int[] prompt, int maxTokens, int stop,
      TokenSampler sampler, IntConsumer onToken) {
    if (prompt.length == 0) {
      throw new IllegalArgumentException("an empty prompt");
    }
    int[] tokens = prompt.clone();
    int[] generated = new int[0];
    while (generated.length < maxTokens) {
      int next = sampler.next(model.nextLogits(params, window(tokens, model.config().context())));
      tokens = Arrays.copyOf(tokens, tokens.length + 1);
      tokens[tokens.length - 1] = next;
      generated = Arrays.copyOf(generated, generated.length + 1);
      generated[generated.length - 1] = next;
      onToken.accept(next);
      if (next == stop) {
        break;
      }
    }
    return generated;
  }
}
