package dev.tessera.samples.gpt;

import dev.tessera.gpu.GpuKernels;
import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.samples.launch.SampleCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * Training throughput of the GPT sample: tokens per second of the same setup (the {@code gpt
 * train} defaults) on 1, 2 and 3 replicas, one per local node process, against the same steps in
 * one thread of this JVM with no cluster, measured in the same run; and the share of each step
 * spent outside the slowest replica's gradient computation (the all-reduce: sending the
 * gradients, adding them, sending the mean back, the trainer's own AdamW step, and waiting).
 * Where this JVM has a GPU the single-thread baseline is also run through it.
 *
 * <pre>bin/bench-gpt [steps] [rounds] [width] [layers]   (default 100 steps, 3 rounds, width 64, 2 layers)</pre>
 */
public final class GptTrainingBench {

  private GptTrainingBench() {}

  public static void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int width = args.length > 2 ? Integer.parseInt(args[2]) : 64;
    int layers = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    TrainingSetup setup = new TrainingSetup(TrainingSetup.model(width, layers), 1, 96, 6, 3e-3f, 0f);
    System.out.printf(Locale.ROOT, "gpt training: %d parameters, batch %d (%d tokens) in %d shards, %d steps a"
            + " measurement, %d rounds, %d cores%n", setup.config().parameterCount(), setup.batch(),
        setup.tokensPerStep(), setup.shards(), steps, rounds, Runtime.getRuntime().availableProcessors());
    Path workDir = Files.createTempDirectory("tessera-gpt-bench");
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    double[][] tokensPerSecond = new double[4][rounds];
    double[][] allReduce = new double[4][rounds];
    double[] gpu = new double[rounds];
    try (SampleCluster cluster = SampleCluster.local(3, workDir, System.out); CpuBackend cpu = CpuBackend.create()) {
      Kernels gpuKernels = GpuKernels.get(cluster.system()).kernels();
      boolean hasGpu = GpuKernels.get(cluster.system()).unavailableReason().isEmpty();
      // Warm-up: the JIT, the nodes' and the replicas' first steps.
      SingleThreadTraining.train(setup, 20, cpu);
      GptTraining.start(cluster.system(), plan("warm-up", setup, 20, 3), quiet).result(Duration.ofMinutes(10));
      for (int round = 0; round < rounds; round++) {
        long started = System.nanoTime();
        SingleThreadTraining.train(setup, steps, cpu);
        tokensPerSecond[0][round] = steps * setup.tokensPerStep() / ((System.nanoTime() - started) / 1e9);
        if (hasGpu) {
          started = System.nanoTime();
          SingleThreadTraining.train(setup, steps, gpuKernels);
          gpu[round] = steps * setup.tokensPerStep() / ((System.nanoTime() - started) / 1e9);
        }
        for (int replicas = 1; replicas <= 3; replicas++) {
          GptTraining.Result result = GptTraining.start(cluster.system(),
              plan("bench-" + round + "-" + replicas, setup, steps, replicas), quiet).result(Duration.ofMinutes(10));
          tokensPerSecond[replicas][round] = result.tokensPerSecond();
          allReduce[replicas][round] = result.allReduceShare();
        }
        System.out.printf(Locale.ROOT, "round %d: one thread %.0f tok/s%s; replicas 1/2/3: %.0f / %.0f / %.0f tok/s,"
                + " all-reduce share %.0f%% / %.0f%% / %.0f%%%n", round + 1, tokensPerSecond[0][round],
            hasGpu ? String.format(Locale.ROOT, " (GPU %.0f tok/s)", gpu[round]) : "",
            tokensPerSecond[1][round], tokensPerSecond[2][round], tokensPerSecond[3][round],
            100 * allReduce[1][round], 100 * allReduce[2][round], 100 * allReduce[3][round]);
      }
      double baseline = median(tokensPerSecond[0]);
      System.out.printf(Locale.ROOT, "median: one thread, no cluster: %.0f tok/s (1.00)%n", baseline);
      if (hasGpu) {
        System.out.printf(Locale.ROOT, "median: one thread through the GPU: %.0f tok/s (%.2f)%n", median(gpu),
            median(gpu) / baseline);
      }
      for (int replicas = 1; replicas <= 3; replicas++) {
        double tps = median(tokensPerSecond[replicas]);
        System.out.printf(Locale.ROOT, "median: %d replica%s on %d node%s: %.0f tok/s (%.2f of one thread, %.2f of one"
                + " replica), %.0f%% of the time outside gradient computation%n", replicas, replicas == 1 ? "" : "s",
            replicas, replicas == 1 ? "" : "s", tps, tps / baseline, tps / median(tokensPerSecond[1]),
            100 * median(allReduce[replicas]));
      }
    }
  }

  private static DataParallelTrainer.Plan plan(String run, TrainingSetup setup, long steps, int replicas) {
    return new DataParallelTrainer.Plan(run, setup, steps, steps, replicas, Duration.ofMinutes(2), Duration.ofMinutes(5));
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
