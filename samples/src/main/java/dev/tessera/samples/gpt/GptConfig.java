package dev.tessera.samples.gpt;

/**
 * The shape of a small decoder-only transformer (GPT-2 style, pre-norm, tied input and output
 * embeddings, GELU MLP of width 4 x {@code width}).
 *
 * @param vocab tokens in the vocabulary
 * @param context the longest sequence (positions embedded)
 * @param width the residual stream's width
 * @param layers transformer blocks
 * @param heads attention heads per block; must divide {@code width}
 */
public record GptConfig(int vocab, int context, int width, int layers, int heads) {

  public GptConfig {
    if (vocab < 2 || context < 1 || width < 1 || layers < 1 || heads < 1 || width % heads != 0) {
      throw new IllegalArgumentException("a model needs vocab >= 2, context, width, layers, heads >= 1 and heads dividing"
          + " width; got vocab " + vocab + ", context " + context + ", width " + width + ", layers " + layers
          + ", heads " + heads);
    }
  }

  public int headSize() {
    return width / heads;
  }

  public int hidden() {
    return 4 * width;
  }

  /** Parameters in one block. */
  int perLayer() {
    int c = width;
    return 2 * c + (c * 3 * c + 3 * c) + (c * c + c) + 2 * c + (c * hidden() + hidden()) + (hidden() * c + c);
  }

  /** Every parameter of the model. */
  public int parameterCount() {
    return vocab * width + context * width + layers * perLayer() + 2 * width;
  }
}
