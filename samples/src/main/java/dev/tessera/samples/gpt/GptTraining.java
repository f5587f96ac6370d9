package dev.tessera.samples.gpt;

import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.persistence.checkpoint.Checkpoints;
import dev.tessera.samples.launch.JobProgressBar;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;

/**
 * Runs a data-parallel training run on the cluster of an actor system: resumes it from its last
 * checkpoint (id {@code gpt/<run>}) if it has one, else starts it at step 0, and follows it with a
 * progress bar. What {@code bin/sample gpt train} calls.
 */
public final class GptTraining {

  /** The checkpoints of run {@code r} are those of simulation {@code "gpt/" + r}. */
  public static final String CHECKPOINT_PREFIX = "gpt/";
  private static final Pattern RUN_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  private GptTraining() {}

  /**
   * What a run did.
   *
   * @param resumedFrom the step it started at (a checkpoint's, or 0)
   */
  public record Result(DataParallelTrainer.Plan plan, DataParallelTrainer.Outcome outcome, long resumedFrom) {

    /** Tokens read per second over the steps this run computed. */
    public double tokensPerSecond() {
      return outcome.steps() * plan.setup().tokensPerStep() / Math.max(outcome.seconds(), 1e-9);
    }

    /** The share of the run's time that was not the slowest replica computing: the all-reduce and waiting. */
    public double allReduceShare() {
      return outcome.seconds() <= 0 ? 0 : Math.max(0, 1 - outcome.computeSeconds() / outcome.seconds());
    }

    public String summary() {
      TrainingCheckpoint last = outcome.last();
      double[] losses = last.lossCurve();
      if (outcome.steps() == 0) {
        return String.format("gpt: run '%s' was already at step %d, nothing to train: give more --steps to go on, or"
            + " --run NAME to start another", plan.run(), last.step());
      }
      return String.format("gpt: run '%s' at step %d: %d steps in %.1f s, %.0f tokens/s; loss %.3f -> %.3f;"
              + " %.0f%% of the time outside gradient computation (all-reduce and waiting)%s%n"
              + "gpt: checkpoint at step %d; run again with --run %s and more --steps to go on",
          plan.run(), last.step(), outcome.steps(), outcome.seconds(), tokensPerSecond(),
          losses[(int) resumedFrom], losses[losses.length - 1], 100 * allReduceShare(),
          outcome.replaced() + outcome.reloads() > 0
              ? String.format("; %d replicas replaced, %d loaded again", outcome.replaced(), outcome.reloads()) : "",
          last.step(), plan.run());
    }
  }

  /**
   * Checks a run's name: it becomes part of the checkpoints' id.
   *
   * @throws IllegalArgumentException if it is not 1 to 64 letters, digits, '.', '_' or '-'
   */
  public static String checkRunName(String run) {
    if (run == null || !RUN_NAME.matcher(run).matches()) {
      throw new IllegalArgumentException("--run: '" + run + "' is not a run name (1 to 64 letters, digits, '.', '_', '-')");
    }
    return run;
  }

  /**
   * A run under way: its status for progress displays, and its outcome once it ends.
   *
   * @param resumedFrom the step it started at (a checkpoint's, or 0)
   */
  public record Training(DataParallelTrainer.Plan plan, long resumedFrom, Supplier<DataParallelTrainer.Status> status,
      CompletableFuture<DataParallelTrainer.Outcome> outcome) {

    /** Waits for the end. */
    public Result result(Duration timeout) throws Exception {
      try {
        return new Result(plan, outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS), resumedFrom);
      } catch (ExecutionException e) {
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    }
  }

  /** The checkpoints of run {@code run}, in the journal {@code system}'s node config names. */
  static Checkpoints checkpointsOf(ActorSystem<?> system, String run) throws Exception {
    return Checkpoints.open(system, CHECKPOINT_PREFIX + run).toCompletableFuture().get(2, TimeUnit.MINUTES);
  }

  /** The last training checkpoint saved in {@code checkpoints}, if any. */
  static Optional<TrainingCheckpoint> latest(Checkpoints checkpoints) throws Exception {
    return checkpoints.latest(TrainingCheckpoint.class).toCompletableFuture().get(2, TimeUnit.MINUTES);
  }

  /**
   * Starts {@code plan} on the cluster of {@code system} (whose node's config names the journal the
   * checkpoints go to): from the run's last checkpoint if it has one, else from step 0. Says which
   * on {@code out}.
   *
   * @throws IllegalArgumentException if the run's checkpoint is of another setup
   */
  public static Training start(ActorSystem<?> system, DataParallelTrainer.Plan plan, PrintStream out) throws Exception {
    checkRunName(plan.run());
    Checkpoints checkpoints = checkpointsOf(system, plan.run());
    try {
      Optional<TrainingCheckpoint> saved = latest(checkpoints);
      TrainingCheckpoint start;
      if (saved.isPresent()) {
        start = saved.get();
        if (!start.setup().equals(plan.setup())) {
          throw new IllegalArgumentException(String.format("run '%s' has a checkpoint at step %d of another setup (%s);"
              + " resume it with that one, or start another with --run NAME", plan.run(), start.step(), start.setup()));
        }
        out.printf("gpt: resuming run '%s' from its checkpoint at step %d%n", plan.run(), start.step());
      } else {
        try (CpuBackend cpu = CpuBackend.create()) {
          start = TrainingCheckpoint.fresh(plan.setup(), new GptModel(plan.setup().config(), cpu));
        }
        out.printf("gpt: starting run '%s' at step 0%n", plan.run());
      }
      TrainingSetup setup = plan.setup();
      if (start.step() < plan.steps()) {
        out.printf("gpt: %d parameters (width %d, %d layers, %d heads); batch %d in %d shards; on %s replicas; to step"
                + " %d, checkpoint every %d%n", setup.config().parameterCount(), setup.config().width(),
            setup.config().layers(), setup.config().heads(), setup.batch(), setup.shards(),
            plan.replicas() == 0 ? "all" : plan.replicas(), plan.steps(), plan.checkpointEvery());
      }
      CompletableFuture<DataParallelTrainer.Outcome> done = new CompletableFuture<>();
      AtomicReference<DataParallelTrainer.Status> status = new AtomicReference<>(
          new DataParallelTrainer.Status(start.step(), Double.NaN, start.step(), 0, 0));
      done.whenComplete((outcome, error) -> checkpoints.close());
      system.systemActorOf(DataParallelTrainer.create(plan, start, checkpoints, done, status),
          "tessera-gpt-trainer-" + plan.run() + "-" + System.nanoTime(), Props.empty());
      return new Training(plan, start.step(), status::get, done);
    } catch (Exception | Error e) {
      checkpoints.close();
      throw e;
    }
  }

  /** Runs {@code plan} as {@link #start} does, following it with a progress bar on {@code out}. */
  public static Result run(ActorSystem<?> system, DataParallelTrainer.Plan plan, PrintStream out) throws Exception {
    Training training = start(system, plan, out);
    TrainingSetup setup = plan.setup();
    long begun = System.nanoTime();
    try {
      DataParallelTrainer.Outcome outcome = JobProgressBar.followCount("gpt", " steps", plan.steps(),
          () -> training.status().get().step(), () -> {
            DataParallelTrainer.Status now = training.status().get();
            double seconds = (System.nanoTime() - begun) / 1e9;
            return String.format("loss %.3f, %.0f tok/s, %d replicas%s, checkpoint %d", now.loss(),
                (now.step() - training.resumedFrom()) * setup.tokensPerStep() / Math.max(seconds, 1e-9), now.replicas(),
                now.replaced() > 0 ? " (" + now.replaced() + " replaced)" : "", now.checkpointed());
          }, training.outcome(), out, Duration.ofDays(365));
      return new Result(plan, outcome, training.resumedFrom());
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    }
  }
}
