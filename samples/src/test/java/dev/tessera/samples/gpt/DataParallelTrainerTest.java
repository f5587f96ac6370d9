package dev.tessera.samples.gpt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.runtime.data.DataStore;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.samples.launch.OneNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-parallel trainer on one node, with replicas as actors in it: N replicas train exactly
 * as one (the same bits), and as the whole batch in one process (to float rounding); a replica
 * that never answers or dies is replaced without changing a number; a run resumes from its
 * checkpoint to the same loss curve; nothing is left in the object store. The multi-process version, with nodes killed, is
 * GptTrainingOnClusterTest.
 */
class DataParallelTrainerTest {

  private static final CpuBackend cpu = CpuBackend.create();
  /** 24 examples a step in 3 shards; a 2-layer model of width 32. */
  private static final TrainingSetup SETUP = new TrainingSetup(TrainingSetup.model(32, 2), 7, 24, 3, 3e-3f, 0f);
  private static final int STEPS = 30;

  @TempDir Path dataDir;
  private ComputeNode node;
  private int spawned;

  @BeforeEach
  void startNode() throws Exception {
    node = OneNode.start(dataDir);
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
  void threeReplicasTrainExactlyAsOneAndAsTheWholeBatchInOneProcess() throws Exception {
    replicas(3);
    GptTraining.Result three = train("three", STEPS, 3, Duration.ofSeconds(30));
    GptTraining.Result one = train("one", STEPS, 1, Duration.ofSeconds(30));

    assertThat(three.outcome().last().lossCurve()).containsExactly(one.outcome().last().lossCurve());
    assertThat(three.outcome().last().params()).isEqualTo(one.outcome().last().params());
    assertThat(three.outcome().replaced()).isZero();
    assertThat(three.outcome().replicas()).isEqualTo(3);
    // The gradients, means and states that went through the object store were all freed.
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (DataStore.get(node.system()).objects() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(DataStore.get(node.system()).objects()).isZero();
    SingleThreadTraining reference = SingleThreadTraining.train(SETUP, STEPS, cpu);
    assertThat(three.outcome().last().lossCurve()).containsExactly(reference.losses());
    assertThat(three.outcome().last().parameters()).containsExactly(reference.params());

    // The same steps in one process over the whole batch: the same numbers, to float rounding.
    GptModel model = new GptModel(SETUP.config(), cpu);
    float[] params = model.initialParameters(SETUP.seed());
    AdamW adam = SETUP.optimizer();
    float[] gradient = new float[params.length];
    double[] losses = new double[STEPS];
    for (int step = 1; step <= STEPS; step++) {
      ArithmeticCorpus.Batch batch = SETUP.batch(step);
      losses[step - 1] = model.lossAndGradient(params, batch.inputs(), batch.targets(), gradient);
      adam.update(params, gradient);
    }
    double[] distributed = three.outcome().last().lossCurve();
    for (int i = 0; i < STEPS; i++) {
      assertThat(distributed[i]).as("loss of step %d", i + 1).isCloseTo(losses[i], org.assertj.core.data.Offset.offset(1e-4));
    }
    assertThat(distributed[STEPS - 1]).as("it learns").isLessThan(distributed[0] - 0.5);
  }

  @Test
  void aReplicaThatNeverAnswersIsReplacedAndNoNumberChanges() throws Exception {
    replicas(1);
    GptTraining.Result alone = train("alone", STEPS, 1, Duration.ofSeconds(30));
    // A replica that takes every message and answers none (a frozen node), and a healthy one.
    ActorRef<GptReplica.Command> silent = node.system().systemActorOf(Behaviors.ignore(), "replica-silent",
        org.apache.pekko.actor.typed.Props.empty());
    node.system().receptionist().tell(Receptionist.register(GptReplica.SERVICE_KEY, silent));
    replicas(1);
    awaitReplicas(3);

    GptTraining.Result withSilent = train("with-silent", STEPS, 3, Duration.ofMillis(1500));

    assertThat(withSilent.outcome().replaced()).isEqualTo(1);
    assertThat(withSilent.outcome().last().lossCurve()).containsExactly(alone.outcome().last().lossCurve());
    assertThat(withSilent.outcome().last().params()).isEqualTo(alone.outcome().last().params());
  }

  @Test
  void aReplicaThatDiesMidRunIsReplacedByASpareAndNoNumberChanges() throws Exception {
    replicas(1);
    GptTraining.Result alone = train("alone", STEPS, 1, Duration.ofSeconds(30));
    // Two replicas in use and one spare; the first stops at its fifth shard (its node died).
    replica(failingAt(5, false));
    replicas(1);
    awaitReplicas(3);

    GptTraining.Result survived = train("survived", STEPS, 2, Duration.ofSeconds(30));

    assertThat(survived.outcome().replaced()).isEqualTo(1);
    assertThat(survived.outcome().last().lossCurve()).containsExactly(alone.outcome().last().lossCurve());
    assertThat(survived.outcome().last().params()).isEqualTo(alone.outcome().last().params());
  }

  @Test
  void aReplicaThatLosesItsStateIsLoadedAgainAndNoNumberChanges() throws Exception {
    replicas(1);
    GptTraining.Result alone = train("alone", STEPS, 1, Duration.ofSeconds(30));
    // Forgets everything at its fifth shard (its actor restarted), says so, and is loaded again.
    replica(failingAt(5, true));
    awaitReplicas(2);

    GptTraining.Result reloaded = train("reloaded", STEPS, 2, Duration.ofSeconds(30));

    assertThat(reloaded.outcome().reloads()).isEqualTo(1);
    assertThat(reloaded.outcome().replaced()).isZero();
    assertThat(reloaded.outcome().last().lossCurve()).containsExactly(alone.outcome().last().lossCurve());
  }

  @Test
  void aRunStoppedAtACheckpointResumesToTheSameLossCurve() throws Exception {
    replicas(2);
    GptTraining.Result whole = train("whole", 20, 2, Duration.ofSeconds(30));
    GptTraining.Result firstHalf = train("halves", 10, 2, Duration.ofSeconds(30));
    GptTraining.Result secondHalf = train("halves", 20, 2, Duration.ofSeconds(30));

    assertThat(firstHalf.outcome().last().step()).isEqualTo(10);
    assertThat(secondHalf.resumedFrom()).isEqualTo(10);
    assertThat(secondHalf.outcome().steps()).isEqualTo(10);
    assertThat(secondHalf.outcome().last().lossCurve()).containsExactly(whole.outcome().last().lossCurve());
    assertThat(secondHalf.outcome().last()).isEqualTo(whole.outcome().last());
  }

  @Test
  void aCheckpointOfAnotherSetupIsRefusedNamingIt() throws Exception {
    replicas(1);
    train("setup-a", 5, 1, Duration.ofSeconds(30));
    TrainingSetup other = new TrainingSetup(SETUP.config(), SETUP.seed() + 1, SETUP.batch(), SETUP.shards(),
        SETUP.learningRate(), SETUP.weightDecay());
    DataParallelTrainer.Plan plan = new DataParallelTrainer.Plan("setup-a", other, 10, 5, 1, Duration.ofSeconds(30),
        Duration.ofSeconds(60));
    assertThatThrownBy(() -> GptTraining.run(node.system(), plan, quiet()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("run 'setup-a' has a checkpoint at step 5 of another setup");
  }

  @Test
  void tooFewReplicasIsAClearErrorAfterTheStallTimeout() throws Exception {
    replicas(1);
    DataParallelTrainer.Plan plan = new DataParallelTrainer.Plan("too-few", SETUP, 10, 5, 2, Duration.ofMillis(500),
        Duration.ofSeconds(2));
    assertThatThrownBy(() -> GptTraining.run(node.system(), plan, quiet()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("run too-few: only 1 of the 2 replicas wanted were found within 2 s");
  }

  private GptTraining.Result train(String run, long steps, int replicas, Duration deadline) throws Exception {
    DataParallelTrainer.Plan plan = new DataParallelTrainer.Plan(run, SETUP, steps, 5, replicas, deadline,
        Duration.ofSeconds(60));
    return GptTraining.run(node.system(), plan, quiet());
  }

  private void replicas(int count) throws Exception {
    for (int i = 0; i < count; i++) {
      replica(GptReplica.create(cpu));
    }
    awaitReplicas(spawned);
  }

  private void replica(Behavior<GptReplica.Command> behavior) {
    ActorRef<GptReplica.Command> replica = node.system().systemActorOf(behavior, "replica-" + (spawned++),
        DispatcherSelector.blocking());
    node.system().receptionist().tell(Receptionist.register(GptReplica.SERVICE_KEY, replica));
  }

  /**
   * A real replica that, at the {@code n}-th shard it is asked for in any run, either stops (its
   * node died) or forgets its state first (its actor restarted) and then answers.
   */
  private static Behavior<GptReplica.Command> failingAt(int n, boolean forget) {
    BehaviorInterceptor<GptReplica.Command, GptReplica.Command> interceptor =
        new BehaviorInterceptor<>(GptReplica.Command.class) {
          private int computes;

          @Override
          public Behavior<GptReplica.Command> aroundReceive(TypedActorContext<GptReplica.Command> ctx,
              GptReplica.Command message, ReceiveTarget<GptReplica.Command> target) {
            if (message instanceof GptReplica.Compute compute && ++computes == n) {
              if (!forget) {
                return Behaviors.stopped();
              }
              target.apply(ctx, new GptReplica.Release(compute.epoch()));
            }
            return target.apply(ctx, message);
          }
        };
    return Behaviors.intercept(() -> interceptor, GptReplica.create(cpu));
  }

  private void awaitReplicas(int count) throws Exception {
    OneNode.awaitRegistered(node, GptReplica.SERVICE_KEY, count);
  }


  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }
}
