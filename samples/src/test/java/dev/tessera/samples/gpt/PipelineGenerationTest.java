package dev.tessera.samples.gpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.samples.launch.OneNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipeline-parallel generation on one node, with stages as actors in it: the tokens equal those of
 * the same model and sampler seeds completed in one piece, however the layers are split, with
 * several texts in the pipeline at once, and when a stage dies half-way.
 */
class PipelineGenerationTest {

  private static final CpuBackend cpu = CpuBackend.create();
  private static final GptConfig CONFIG = TrainingSetup.model(32, 3);
  private static final CharTokenizer TOKENS = new ArithmeticCorpus().tokenizer();
  private static final List<String> PROMPTS = List.of("12+34=", "7", "99+99=0", "5+");

  @TempDir Path dataDir;
  private ComputeNode node;
  private int spawned;
  private float[] params;

  @BeforeEach
  void startNode() throws Exception {
    node = OneNode.start(dataDir);
    // Untrained weights made larger, so that the logits differ and sampling matters.
    params = new GptModel(CONFIG, cpu).initialParameters(11);
    SplittableRandom random = new SplittableRandom(4);
    for (int i = 0; i < params.length; i++) {
      params[i] += (float) (random.nextDouble() - 0.5) * 0.4f;
    }
  }

  @AfterEach
  void stopNode() {
    node.close();
  }

  @AfterAll
  static void closeBackend() {
    cpu.close();
  }

  @Test
  void threeStagesGenerateWhatOneNodeGenerates() throws Exception {
    stages(3, Integer.MAX_VALUE);
    assertThat(generate(3, 0.8)).containsExactlyElementsOf(reference(0.8));
    assertThat(generate(2, 0.8)).containsExactlyElementsOf(reference(0.8));
    assertThat(generate(3, 0)).containsExactlyElementsOf(reference(0));
  }

  @Test
  void aStageThatDiesHalfWayIsReplacedAndTheTextIsTheSame() throws Exception {
    stages(1, 7); // the first by address, stops at its seventh text
    stages(3, Integer.MAX_VALUE);
    List<String> expected = reference(0.8);

    Result result = run(3, 0.8);

    assertThat(result.texts()).containsExactlyElementsOf(expected);
    assertThat(result.outcome().layouts()).isEqualTo(2);
  }

  @Test
  void stagesThatRegisterAfterTheGenerationStartedAreWaitedFor() throws Exception {
    PipelineGeneration.Plan plan = new PipelineGeneration.Plan(CONFIG, params, prompts(), 8, newline(), 0.8, 5, 2,
        Duration.ofSeconds(20));
    CompletableFuture<PipelineGeneration.Outcome> done = new CompletableFuture<>();
    node.system().systemActorOf(PipelineGeneration.create(plan, (p, t) -> {}, done), "early", Props.empty());
    Thread.sleep(1000); // several of the generator's ticks with no stage at all
    assertThat(done).isNotDone();
    stages(2, Integer.MAX_VALUE);
    PipelineGeneration.Outcome outcome = done.get(30, TimeUnit.SECONDS);
    assertThat(outcome.completions()).hasSize(PROMPTS.size());
  }

  @Test
  void tooFewStagesIsAClearError() throws Exception {
    stages(1, Integer.MAX_VALUE);
    PipelineGeneration.Plan plan = new PipelineGeneration.Plan(CONFIG, params, prompts(), 8, newline(), 0.8, 5, 2,
        Duration.ofSeconds(1));
    CompletableFuture<PipelineGeneration.Outcome> done = new CompletableFuture<>();
    node.system().systemActorOf(PipelineGeneration.create(plan, (p, t) -> {}, done), "short", Props.empty());
    assertThatThrownBy(() -> done.get(30, TimeUnit.SECONDS))
        .hasMessageContaining("only 1 of the 2 stages wanted were found");
  }

  private record Result(List<String> texts, PipelineGeneration.Outcome outcome) {}

  private List<String> generate(int stages, double temperature) throws Exception {
    return run(stages, temperature).texts();
  }

  private Result run(int stages, double temperature) throws Exception {
    PipelineGeneration.Plan plan = new PipelineGeneration.Plan(CONFIG, params, prompts(), 8, newline(), temperature, 5,
        stages, Duration.ofSeconds(3));
    CompletableFuture<PipelineGeneration.Outcome> done = new CompletableFuture<>();
    List<StringBuilder> streamed = new ArrayList<>();
    PROMPTS.forEach(p -> streamed.add(new StringBuilder()));
    node.system().systemActorOf(PipelineGeneration.create(plan,
        (prompt, token) -> streamed.get(prompt).append(TOKENS.decode(new int[] {token})), done),
        "generation-" + System.nanoTime(), Props.empty());
    PipelineGeneration.Outcome outcome = done.get(60, TimeUnit.SECONDS);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < PROMPTS.size(); i++) {
      String text = TOKENS.decode(outcome.completions().get(i));
      assertThat(streamed.get(i).toString()).as("tokens streamed as they came").isEqualTo(text);
      texts.add(text);
    }
    assertThat(outcome.layout()).hasSize(stages);
    return new Result(texts, outcome);
  }

  private List<String> reference(double temperature) {
    GptModel model = new GptModel(CONFIG, cpu);
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < PROMPTS.size(); i++) {
      int[] tokens = Completion.complete(model, params, TOKENS.encode(PROMPTS.get(i)), 8, newline(),
          new TokenSampler(temperature, 5 + i), token -> {});
      texts.add(TOKENS.decode(tokens));
    }
    return texts;
  }

  private static List<int[]> prompts() {
    return PROMPTS.stream().map(TOKENS::encode).toList();
  }

  private static int newline() {
    return TOKENS.encode("\n")[0];
  }

  /** {@code count} stages; each stops at the {@code stopAt}-th text it is given. */
  private void stages(int count, int stopAt) throws Exception {
    for (int i = 0; i < count; i++) {
      int at = stopAt;
      BehaviorInterceptor<GptStage.Command, GptStage.Command> interceptor =
          new BehaviorInterceptor<>(GptStage.Command.class) {
            private int forwards;

            @Override
            public Behavior<GptStage.Command> aroundReceive(TypedActorContext<GptStage.Command> ctx,
                GptStage.Command message, ReceiveTarget<GptStage.Command> target) {
              if (message instanceof GptStage.Forward && ++forwards == at) {
                return Behaviors.stopped();
              }
              return target.apply(ctx, message);
            }
          };
      ActorRef<GptStage.Command> stage = node.system().systemActorOf(
          Behaviors.intercept(() -> interceptor, GptStage.create(cpu)), "stage-" + (spawned++),
          DispatcherSelector.blocking());
      node.system().receptionist().tell(Receptionist.register(GptStage.SERVICE_KEY, stage));
    }
    OneNode.awaitRegistered(node, GptStage.SERVICE_KEY, spawned);
  }
}
