package dev.tessera.samples.gpt;

import dev.tessera.gpu.kernels.Kernels;

/**
 * Data-parallel training's steps in one thread, with no cluster: shard by shard, the shards' summed
 * gradients added in shard order and divided by the targets scored, as {@link DataParallelTrainer}
 * does. Any number of replicas on any nodes must give exactly these numbers (the tests hold them to
 * it), and the training benchmark measures the cluster against it.
 *
 * @param losses the loss of steps 1 to {@code steps}
 * @param params the parameters after the last
 */
public record SingleThreadTraining(double[] losses, float[] params) {

  /** Trains {@code steps} steps of {@code setup} from its initial parameters. */
  public static SingleThreadTraining train(TrainingSetup setup, int steps, Kernels kernels) {
    GptModel model = new GptModel(setup.config(), kernels);
    float[] params = model.initialParameters(setup.seed());
    AdamW adam = setup.optimizer();
    double[] losses = new double[steps];
    float[] shardGradient = new float[params.length];
    for (int step = 1; step <= steps; step++) {
      float[] sum = new float[params.length];
      double lossSum = 0;
      long scored = 0;
      for (int shard = 0; shard < setup.shards(); shard++) {
        ArithmeticCorpus.Batch batch = setup.shard(step, shard);
        lossSum += model.lossSumAndGradient(params, batch.inputs(), batch.targets(), shardGradient);
        scored += GptModel.scored(batch.targets());
        for (int i = 0; i < sum.length; i++) {
          sum[i] += shardGradient[i];
        }
      }
      float scale = 1f / scored;
      for (int i = 0; i < sum.length; i++) {
        sum[i] *= scale;
      }
      losses[step - 1] = lossSum / scored;
      adam.update(params, sum);
    }
    return new SingleThreadTraining(losses, params);
  }
}
