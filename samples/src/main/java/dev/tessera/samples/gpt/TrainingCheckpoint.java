package dev.tessera.samples.gpt;

import java.util.Arrays;
import java.util.Objects;

/**
 * A training run after {@code step} updates: its setup, the parameters, AdamW's state and the loss
 * of every step so far (the loss curve). What {@link DataParallelTrainer} saves through the
 * checkpoint API and starts from; the floats are kept as raw little-endian bytes, exact and compact.
 *
 * @param losses the mean training loss of steps 1 to {@code step}
 */
public record TrainingCheckpoint(TrainingSetup setup, long step, byte[] params, byte[] firstMoment, byte[] secondMoment,
    double[] losses) {

  public TrainingCheckpoint {
    Objects.requireNonNull(setup, "setup");
    int bytes = setup.config().parameterCount() * Float.BYTES;
    if (params.length != bytes || firstMoment.length != bytes || secondMoment.length != bytes) {
      throw new IllegalArgumentException("a checkpoint of a model of " + setup.config().parameterCount()
          + " parameters holds " + params.length + ", " + firstMoment.length + " and " + secondMoment.length + " bytes of"
          + " parameters and moments");
    }
    if (step < 0 || losses.length != step) {
      throw new IllegalArgumentException("a checkpoint of step " + step + " holds " + losses.length + " losses");
    }
  }

  /** Step 0: the setup's initial parameters and a fresh optimizer. */
  public static TrainingCheckpoint fresh(TrainingSetup setup, GptModel model) {
    return of(setup, model.initialParameters(setup.seed()), setup.optimizer(), new double[0]);
  }

  /** The state of a run: copies of {@code params}, {@code optimizer}'s state and {@code losses}. */
  public static TrainingCheckpoint of(TrainingSetup setup, float[] params, AdamW optimizer, double[] losses) {
    AdamW.State state = optimizer.state();
    return new TrainingCheckpoint(setup, state.step(), ExactFloats.toBytes(params),
        ExactFloats.toBytes(state.firstMoment()), ExactFloats.toBytes(state.secondMoment()), losses.clone());
  }

  public float[] parameters() {
    return ExactFloats.fromBytes(params);
  }

  /** An optimizer that goes on from this state. */
  public AdamW optimizer() {
    return AdamW.restore(new AdamW.State(step, ExactFloats.fromBytes(firstMoment), ExactFloats.fromBytes(secondMoment)),
        setup.learningRate(), setup.weightDecay());
  }

  public double[] lossCurve() {
    return losses.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrainingCheckpoint other && setup.equals(other.setup) && step == other.step
        && Arrays.equals(params, other.params) && Arrays.equals(firstMoment, other.firstMoment)
        && Arrays.equals(secondMoment, other.secondMoment) && Arrays.equals(losses, other.losses);
  }

  @Override
  public int hashCode() {
    return Objects.hash(setup, step, Arrays.hashCode(params), Arrays.hashCode(losses));
  }

  @Override
  public String toString() {
    return "TrainingCheckpoint[step " + step + " of " + setup + "]";
  }
}
