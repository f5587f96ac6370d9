package dev.tessera.samples.gpt;

/**
 * Adam with decoupled weight decay (AdamW), over a flat parameter array. Its whole state is {@link
 * #step}, {@link #firstMoment} and {@link #secondMoment}: a checkpoint of those and the parameters
 * resumes training exactly.
 *
 * <p>Not thread-safe: one training loop owns it.
 */
public final class AdamW {

  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.95f;
  private static final float EPS = 1e-8f;

  private final float learningRate;
  private final float beta1;
  private final float beta2;
  private final float eps;
  private final float weightDecay;
  private final float[] firstMoment;
  private final float[] secondMoment;
  private long step;

  public AdamW(int parameters, float learningRate, float weightDecay) {
    this(learningRate, BETA1, BETA2, EPS, weightDecay, new float[parameters], new float[parameters], 0);
  }

  private AdamW(float learningRate, float beta1, float beta2, float eps, float weightDecay, float[] m, float[] v, long step) {
    if (!(learningRate > 0) || weightDecay < 0) {
      throw new IllegalArgumentException("learning rate must be positive and weight decay not negative");
    }
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.firstMoment = m;
    this.secondMoment = v;
    this.step = step;
  }

  /** Moves {@code params} one step against {@code gradient}. */
  public void update(float[] params, float[] gradient) {
    if (params.length != firstMoment.length || gradient.length != firstMoment.length) {
      throw new IllegalArgumentException("expected " + firstMoment.length + " parameters and gradients");
    }
    step++;
    double c1 = 1 - Math.pow(beta1, step);
    double c2 = 1 - Math.pow(beta2, step);
    for (int i = 0; i < params.length; i++) {
      float g = gradient[i];
      firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * g;
      secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * g * g;
      double mHat = firstMoment[i] / c1;
      double vHat = secondMoment[i] / c2;
      params[i] -= (float) (learningRate * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * params[i]));
    }
  }

  public long step() {
    return step;
  }

  /**
   * Everything the optimizer remembers, copied: with the parameters, what a checkpoint keeps.
   *
   * @param step updates made so far
   * @param firstMoment the running mean of the gradients
   * @param secondMoment the running mean of their squares
   */
  public record State(long step, float[] firstMoment, float[] secondMoment) {}

  public State state() {
    return new State(step, firstMoment.clone(), secondMoment.clone());
  }

  /** An optimizer that goes on from {@code state} exactly as the one that saved it would have. */
  public static AdamW restore(State state, float learningRate, float weightDecay) {
    if (state.firstMoment().length != state.secondMoment().length || state.step() < 0) {
      throw new IllegalArgumentException("a damaged optimizer state: moments of " + state.firstMoment().length + " and "
          + state.secondMoment().length + " entries, step " + state.step());
    }
    return new AdamW(learningRate, BETA1, BETA2, EPS, weightDecay, state.firstMoment().clone(),
        state.secondMoment().clone(), state.step());
  }
}
