package dev.tessera.samples.gpt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.samples.launch.SampleCluster;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.Props;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPT sample on a local cluster of three node processes, every message crossing the network:
 * a replica on each node trains exactly as one thread does; the layers split over three nodes
 * generate what one node generates; a node frozen with {@code SIGSTOP} misses the step deadline
 * and its shard is computed elsewhere; and a node killed with {@code kill -9} mid-training costs a
 * replica and no number of the result (last: it leaves the cluster one node short).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GptTrainingOnClusterTest {

  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);
  private static final TrainingSetup SETUP = new TrainingSetup(TrainingSetup.model(32, 2), 3, 24, 3, 3e-3f, 0f);

  @TempDir static Path workDir;
  private static SampleCluster cluster;
  private static final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  private static CpuBackend cpu;

  @BeforeAll
  static void startCluster() throws Exception {
    cpu = CpuBackend.create();
    cluster = SampleCluster.local(3, workDir.resolve("cluster"), out);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
    cpu.close();
  }

  private static DataParallelTrainer.Plan plan(String run, long steps, int replicas, Duration deadline) {
    return new DataParallelTrainer.Plan(run, SETUP, steps, 10, replicas, deadline, Duration.ofSeconds(90));
  }

  @Test
  @Order(1)
  void aReplicaOnEachOfThreeNodesTrainsExactlyAsOneThreadDoes() throws Exception {
    GptTraining.Result three = GptTraining.start(cluster.system(), plan("three", 40, 3, Duration.ofSeconds(30)), out)
        .result(RUN_TIMEOUT);
    GptTraining.Result one = GptTraining.start(cluster.system(), plan("one", 40, 1, Duration.ofSeconds(30)), out)
        .result(RUN_TIMEOUT);
    SingleThreadTraining reference = SingleThreadTraining.train(SETUP, 40, cpu);

    assertThat(three.outcome().replicas()).isEqualTo(3);
    assertThat(one.outcome().replicas()).isEqualTo(1);
    assertThat(three.outcome().last().lossCurve()).containsExactly(reference.losses());
    assertThat(one.outcome().last().lossCurve()).containsExactly(reference.losses());
    assertThat(three.outcome().last().parameters()).containsExactly(reference.params());
  }

  @Test
  @Order(2)
  void theLayersSplitOverThreeNodesGenerateWhatOneNodeGenerates() throws Exception {
    GptConfig config = TrainingSetup.model(32, 3);
    float[] params = new GptModel(config, cpu).initialParameters(8);
    SplittableRandom random = new SplittableRandom(9);
    for (int i = 0; i < params.length; i++) {
      params[i] += (float) (random.nextDouble() - 0.5) * 0.4f;
    }
    CharTokenizer tokens = new ArithmeticCorpus().tokenizer();
    List<int[]> prompts = List.of(tokens.encode("12+34="), tokens.encode("8"), tokens.encode("99+1"));
    int stop = tokens.encode("\n")[0];
    PipelineGeneration.Plan plan = new PipelineGeneration.Plan(config, params, prompts, 12, stop, 0.7, 21, 3,
        Duration.ofSeconds(30));
    CompletableFuture<PipelineGeneration.Outcome> done = new CompletableFuture<>();
    cluster.system().systemActorOf(PipelineGeneration.create(plan, (prompt, token) -> {}, done), "generation",
        Props.empty());
    PipelineGeneration.Outcome outcome = done.get(RUN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);

    GptModel model = new GptModel(config, cpu);
    for (int i = 0; i < prompts.size(); i++) {
      int[] alone = Completion.complete(model, params, prompts.get(i), 12, stop, new TokenSampler(0.7, 21 + i), t -> {});
      assertThat(outcome.completions().get(i)).as("text %d", i).containsExactly(alone);
    }
    assertThat(outcome.layout()).hasSize(3);
    assertThat(outcome.layout().stream().map(line -> line.substring(line.indexOf(" on ") + 4)).distinct()).hasSize(3);
  }

  @Test
  @Order(3)
  void aFrozenNodeMissesTheStepDeadlineAndItsShardIsComputedElsewhere() throws Exception {
    long steps = 300;
    GptTraining.Training training =
        GptTraining.start(cluster.system(), plan("node-freeze", steps, 3, Duration.ofSeconds(3)), out);
    LocalCluster nodes = cluster.localNodes().orElseThrow();
    awaitStep(training, 20);
    nodes.node(2).freeze(); // SIGSTOP: its replica holds a shard and will not answer
    try {
      GptTraining.Result result = training.result(RUN_TIMEOUT);

      assertThat(result.outcome().replaced()).isGreaterThanOrEqualTo(1);
      assertThat(result.outcome().last().lossCurve())
          .containsExactly(SingleThreadTraining.train(SETUP, (int) steps, cpu).losses());
    } finally {
      nodes.node(2).resume();
    }
  }

  @Test
  @Order(4)
  void aNodeKilledMidTrainingCostsAReplicaAndNoNumberOfTheResult() throws Exception {
    long steps = 400;
    // Every replica there is: node 2 may have been removed after its freeze.
    GptTraining.Training training =
        GptTraining.start(cluster.system(), plan("node-kill", steps, 0, Duration.ofSeconds(5)), out);
    LocalCluster nodes = cluster.localNodes().orElseThrow();
    awaitStep(training, 20);
    nodes.node(3).kill(); // SIGKILL: its replica, and the shard it was computing, are gone

    GptTraining.Result result = training.result(RUN_TIMEOUT);

    assertThat(result.outcome().replaced()).isGreaterThanOrEqualTo(1);
    assertThat(result.outcome().last().lossCurve()).containsExactly(SingleThreadTraining.train(SETUP, (int) steps, cpu).losses());
  }

  /** Waits until the run has made {@code step} steps; it must still be running then. */
  private static void awaitStep(GptTraining.Training training, long step) throws InterruptedException {
    long deadline = System.nanoTime() + RUN_TIMEOUT.toNanos();
    while (training.status().get().step() < step && !training.outcome().isDone() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(training.outcome()).as("still training at step %d", step).isNotDone();
  }
}
