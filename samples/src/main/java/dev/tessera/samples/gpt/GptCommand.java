package dev.tessera.samples.gpt;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.persistence.checkpoint.Checkpoints;
import dev.tessera.samples.launch.ClusterOptions;
import dev.tessera.samples.launch.SampleCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A small GPT trained and run on the cluster, offline: it learns to add two-digit numbers from sums
 * generated in code. {@code train} runs synchronous data-parallel training over a replica on every
 * worker node ({@link DataParallelTrainer}), checkpointed and resumable; {@code generate} runs the
 * trained model split into pipeline stages on different nodes ({@link PipelineGeneration}).
 *
 * <pre>bin/sample gpt train                        # 3 local nodes, 1000 steps; loss curve in tessera-samples/gpt
 * bin/sample gpt train --steps 1500            # the same run goes on from its checkpoint
 * bin/sample gpt generate --prompt 12+34= --prompt 50+50=</pre>
 */
@Command(name = "gpt", mixinStandardHelpOptions = true,
    description = "Train a small GPT across the cluster (data-parallel) and generate with it (pipeline-parallel).",
    subcommands = {GptCommand.Train.class, GptCommand.Generate.class})
public final class GptCommand {

  /** Where train and generate keep the runs' checkpoints, loss curves and node logs. */
  static Path workDir(ClusterOptions cluster) {
    return cluster.workDir("gpt");
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Data-parallel training: a replica on every worker node, gradients all-reduced every step,"
          + " checkpoints every --checkpoint-every steps; run again with the same --run to go on.")
  public static final class Train implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--run", paramLabel = "NAME", defaultValue = "gpt",
        description = "the run's name: run again with the same name to continue it (default: ${DEFAULT-VALUE})")
    String run;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "1000",
        description = "the step to reach (default: ${DEFAULT-VALUE}); a resumed run goes on to it")
    long steps;

    @Option(names = "--width", paramLabel = "N", defaultValue = "64",
        description = "the model's width, a multiple of 16 (heads of 16; default: ${DEFAULT-VALUE})")
    int width;

    @Option(names = "--layers", paramLabel = "N", defaultValue = "2", description = "transformer blocks (default: ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "96",
        description = "sums per step, over all replicas (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--shards", paramLabel = "N", defaultValue = "6",
        description = "pieces each step's batch is cut into, dealt to the replicas; fixed for a run, so any number"
            + " of nodes computes the same numbers (default: ${DEFAULT-VALUE})")
    int shards;

    @Option(names = "--learning-rate", paramLabel = "X", defaultValue = "3e-3", description = "AdamW's (default: ${DEFAULT-VALUE})")
    float learningRate;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
        description = "of the initial weights and of every batch (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "0",
        description = "replicas to train on, 0 for one on every worker node (default: ${DEFAULT-VALUE})")
    int replicas;

    @Option(names = "--checkpoint-every", paramLabel = "N", defaultValue = "50",
        description = "save a checkpoint every N steps (default: ${DEFAULT-VALUE})")
    long checkpointEvery;

    @Option(names = "--step-deadline", paramLabel = "DURATION",
        description = "a replica slower than this for its shards of a step is replaced (default:"
            + " tessera.samples.gpt.step-deadline, 30s)")
    Duration stepDeadline;

    @Override
    public Integer call() throws Exception {
      GptTraining.checkRunName(run);
      TrainingSetup setup = new TrainingSetup(TrainingSetup.model(width, layers), seed, batch, shards, learningRate, 0f);
      PrintStream out = System.out;
      Path workDir = workDir(cluster);
      try (SampleCluster running = cluster.open("gpt", out)) {
        var config = running.system().settings().config().getConfig("tessera.samples.gpt");
        DataParallelTrainer.Plan plan = new DataParallelTrainer.Plan(run, setup, steps, checkpointEvery, replicas,
            stepDeadline != null ? stepDeadline : config.getDuration("step-deadline"), config.getDuration("stall-timeout"));
        GptTraining.Result result = GptTraining.run(running.system(), plan, out);
        out.println(result.summary());
        TrainingCheckpoint last = result.outcome().last();
        if (last.step() > 0) {
          Path curve = workDir.resolve("loss-" + run + ".png");
          Path table = workDir.resolve("loss-" + run + ".csv");
          writeLosses(last.lossCurve(), table);
          LossCurveImage.write(last.lossCurve(), String.format("run '%s': %d parameters, batch %d", run,
              setup.config().parameterCount(), setup.batch()), curve);
          try (CpuBackend cpu = CpuBackend.create()) {
            GptModel model = new GptModel(setup.config(), cpu);
            ArithmeticCorpus corpus = new ArithmeticCorpus();
            float[] params = last.parameters();
            ArithmeticCorpus.Batch held = corpus.heldOutAnswers();
            out.printf("gpt: on %d sums it never trained on: answer loss %.3f, %.1f%% answered right (greedy)%n",
                held.inputs().length, model.loss(params, held.inputs(), held.targets()),
                100 * corpus.heldOutAccuracy(model, params));
          }
          out.printf("gpt: loss curve in %s (every step's loss in %s)%n", curve, table);
          out.printf("gpt: try it: bin/sample gpt generate --run %s --prompt 12+34=%n", run);
        }
      }
      return 0;
    }
  }

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Complete prompts with a trained run's model, its layers split into stages on different nodes;"
          + " tokens are printed as they come.")
  public static final class Generate implements Callable<Integer> {

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--run", paramLabel = "NAME", defaultValue = "gpt",
        description = "the training run whose last checkpoint to use (default: ${DEFAULT-VALUE})")
    String run;

    @Option(names = "--prompt", paramLabel = "TEXT", required = true,
        description = "text to complete, of the characters '" + "0123456789+=" + "' (repeat for several, all in the"
            + " pipeline at once)")
    List<String> prompts;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "8",
        description = "tokens to add at most; a newline ends a text sooner (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0",
        description = "0 for the likeliest token, more for more random text (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
        description = "of the sampling; prompt i uses seed + i (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--stages", paramLabel = "N", defaultValue = "0",
        description = "pipeline stages, each on a node of its own; 0 for as many as layers and nodes allow"
            + " (default: ${DEFAULT-VALUE})")
    int stages;

    @Option(names = "--check", description = "also complete the prompts on this node alone, and say whether the"
        + " pipeline's text is the same")
    boolean check;

    @Override
    public Integer call() throws Exception {
      GptTraining.checkRunName(run);
      CharTokenizer tokenizer = new ArithmeticCorpus().tokenizer();
      List<int[]> encoded = new ArrayList<>();
      for (String prompt : prompts) {
        encoded.add(tokenizer.encode(prompt));
      }
      PrintStream out = System.out;
      try (SampleCluster running = cluster.open("gpt", out)) {
        ActorSystem<?> system = running.system();
        TrainingCheckpoint trained = lastCheckpoint(system, run);
        GptConfig config = trained.setup().config();
        int stageCount = stages > 0 ? stages : Math.min(config.layers(),
            running.localNodes().map(nodes -> nodes.spec().nodes()).orElse(config.layers()));
        int stop = tokenizer.encode("\n")[0];
        float[] params = trained.parameters();
        PipelineGeneration.Plan plan = new PipelineGeneration.Plan(config, params, encoded, maxTokens, stop,
            temperature, seed, stageCount, Duration.ofSeconds(30));
        out.printf("gpt: run '%s' at step %d, %d layers in %d stages%n", run, trained.step(), config.layers(), stageCount);
        CompletableFuture<PipelineGeneration.Outcome> done = new CompletableFuture<>();
        boolean stream = prompts.size() == 1;
        if (stream) {
          out.print(prompts.get(0));
          out.flush();
        }
        system.systemActorOf(PipelineGeneration.create(plan, (prompt, token) -> {
          if (stream) {
            String text = tokenizer.decode(token);
            out.print(text.equals("\n") ? "" : text);
            out.flush();
          }
        }, done), "tessera-gpt-generation-" + System.nanoTime(), Props.empty());
        PipelineGeneration.Outcome outcome;
        try {
          outcome = done.get(10, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
        if (stream) {
          out.println();
        } else {
          for (int i = 0; i < prompts.size(); i++) {
            out.println(prompts.get(i) + tokenizer.decode(outcome.completions().get(i)).replace("\n", ""));
          }
        }
        long tokens = outcome.completions().stream().mapToLong(c -> c.length).sum();
        out.printf("gpt: %d tokens in %.2f s through %s%s%n", tokens, outcome.seconds(), String.join("; ", outcome.layout()),
            outcome.layouts() > 1 ? " (" + outcome.layouts() + " layouts: a stage was lost)" : "");
        if (check) {
          try (CpuBackend cpu = CpuBackend.create()) {
            GptModel model = new GptModel(config, cpu);
            boolean same = true;
            for (int i = 0; i < encoded.size(); i++) {
              int[] alone = Completion.complete(model, params, encoded.get(i), maxTokens, stop,
                  new TokenSampler(temperature, seed + i), token -> {});
              same &= Arrays.equals(alone, outcome.completions().get(i));
            }
            out.printf("gpt: the same text on this node alone: %s%n", same ? "yes" : "NO");
            if (!same) {
              return 1;
            }
          }
        }
      }
      return 0;
    }
  }

  /** Every step's loss as CSV ({@code step,loss}), exact (Java's shortest round-trip decimals). */
  static void writeLosses(double[] losses, Path file) throws IOException {
    StringBuilder csv = new StringBuilder("step,loss\n");
    for (int i = 0; i < losses.length; i++) {
      csv.append(i + 1).append(',').append(losses[i]).append('\n');
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, csv);
  }

  /** The run's last checkpoint; a clear error if it has none. */
  static TrainingCheckpoint lastCheckpoint(ActorSystem<?> system, String run) throws Exception {
    try (Checkpoints checkpoints = GptTraining.checkpointsOf(system, run)) {
      return GptTraining.latest(checkpoints).orElseThrow(() -> new IllegalArgumentException("run '" + run + "' has no checkpoint here: train it"
          + " first (bin/sample gpt train --run " + run + "), with the same --work-dir or --node-config"));
    }
  }
}
