package dev.tessera.samples.gpt;

import dev.tessera.gpu.GpuKernels;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.serialization.CborSerializable;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * One replica of a data-parallel training run: it holds the model's parameters and the optimizer's
 * state, computes the gradient of the shards of each step's batch it is given, and applies the
 * combined gradient every replica receives, so that all replicas hold the same bits after every
 * step (each reports a {@link ExactFloats#fingerprint} of its parameters, and the trainer checks).
 *
 * <p>The arrays (the state, the gradients) travel through the object store: a message carries a
 * {@link DataRef} to them, and the receiver fetches them straight from the sender's node.
 *
 * <p>Every node with the replica role runs one, registered under {@link #SERVICE_KEY} (see {@link
 * GptNodePlugin}); the trainer ({@link DataParallelTrainer}) finds them through the Receptionist.
 * The protocol, for step {@code s} (the {@code s}-th update):
 * <ol>
 *   <li>{@link Load}: the parameters and optimizer state after step {@code s - 1}; replies {@link
 *       Loaded}. Sent to a replica that joins the run, or lost its state.</li>
 *   <li>{@link Compute}: the summed loss and gradient of shard {@code k} of step {@code s}'s batch;
 *       replies {@link Gradient}, the gradient put in this node's store. The replica releases it
 *       when the step's {@link Apply} comes (the trainer has read every gradient it uses by then),
 *       or the run ends.</li>
 *   <li>{@link Apply}: the mean gradient of the whole batch; the replica takes one AdamW step and
 *       replies {@link Applied}.</li>
 * </ol>
 * A replica asked for something it cannot do (no state for the run, another step) replies {@link
 * NotReady} with the reason, and the trainer loads it again. Every message carries the trainer's
 * epoch, so a replica never mixes two runs, or two starts of one.
 *
 * <p>Threading: an actor, on the blocking dispatcher (a shard's gradient can take seconds; it also
 * waits there for the arrays it reads from the store).
 */
public final class GptReplica extends AbstractBehavior<GptReplica.Command> {

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "tessera-gpt-replica");

  public sealed interface Command extends CborSerializable permits Load, Compute, Apply, Release {}

  /**
   * The state after {@code step} updates: the parameters, then AdamW's first and second moments,
   * each {@code config.parameterCount()} floats ({@link ExactFloats#toBytes}).
   */
  public record Load(long epoch, TrainingSetup setup, long step, DataRef<byte[]> state, ActorRef<Reply> trainer)
      implements Command {}

  /** Compute shard {@code shard} of the batch of step {@code step}. */
  public record Compute(long epoch, long step, int shard, ActorRef<Reply> trainer) implements Command {}

  /** The mean gradient of step {@code step}'s whole batch ({@link ExactFloats#toBytes}). */
  public record Apply(long epoch, long step, DataRef<byte[]> gradient, ActorRef<Reply> trainer) implements Command {}

  /** The run is over: forget its state. */
  public record Release(long epoch) implements Command {}

  /** What replicas tell the trainer. */
  public sealed interface Reply extends CborSerializable permits Loaded, Gradient, Applied, NotReady {}

  public record Loaded(long epoch, ActorRef<Command> replica, long step, long fingerprint) implements Reply {}

  /**
   * Shard {@code shard}'s summed gradient at step {@code step} ({@link ExactFloats#toBytes}), its
   * summed loss, how many targets it scored, and how long the replica computed.
   */
  public record Gradient(long epoch, long step, int shard, ActorRef<Command> replica, double lossSum, int scored,
      long computeNanos, DataRef<byte[]> gradient) implements Reply {}

  /** The replica took step {@code step}; its parameters' fingerprint now. */
  public record Applied(long epoch, long step, ActorRef<Command> replica, long fingerprint) implements Reply {}

  public record NotReady(long epoch, ActorRef<Command> replica, String reason) implements Reply {}

  /** How long a read from the store may take before the replica gives up on it (and is loaded again). */
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  private final Kernels kernels;

  private long epoch;
  private TrainingSetup setup;
  private GptModel model;
  private float[] params;
  private AdamW optimizer;
  /** Updates applied: the replica computes step {@code step + 1} next. */
  private long step;
  /** Gradients this replica put and has not released: the step of each. */
  private final Map<DataRef<byte[]>, Long> gradients = new HashMap<>();

  private GptReplica(ActorContext<Command> context, Kernels kernels) {
    super(context);
    context.setLoggerName(GptReplica.class);
    this.kernels = kernels;
  }

  /** A replica computing through the node's kernels (a GPU where it has one). */
  public static Behavior<Command> create() {
    return Behaviors.setup(context -> new GptReplica(context, GpuKernels.get(context.getSystem()).kernels()));
  }

  /** A replica computing through {@code kernels}. */
  public static Behavior<Command> create(Kernels kernels) {
    Objects.requireNonNull(kernels, "kernels");
    return Behaviors.setup(context -> new GptReplica(context, kernels));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Load.class, this::onLoad)
        .onMessage(Compute.class, this::onCompute)
        .onMessage(Apply.class, this::onApply)
        .onMessage(Release.class, this::onRelease)
        .build();
  }

  private Behavior<Command> onLoad(Load load) {
    forget(); // the old state is of no use once a new one is coming
    releaseGradients(Long.MAX_VALUE);
    float[] all;
    try {
      all = read(load.state());
    } catch (RuntimeException e) {
      load.trainer().tell(new NotReady(load.epoch(), self(), "could not read the state: " + e.getMessage()));
      return this;
    }
    int p = load.setup().config().parameterCount();
    if (all.length != 3 * p) {
      load.trainer().tell(new NotReady(load.epoch(), self(), "a state of " + all.length + " floats, expected " + 3 * p));
      return this;
    }
    setup = load.setup();
    model = new GptModel(setup.config(), kernels);
    params = Arrays.copyOfRange(all, 0, p);
    optimizer = AdamW.restore(new AdamW.State(load.step(), Arrays.copyOfRange(all, p, 2 * p),
        Arrays.copyOfRange(all, 2 * p, 3 * p)), setup.learningRate(), setup.weightDecay());
    step = load.step();
    epoch = load.epoch();
    getContext().getLog().debug("replica loaded at step {} (epoch {})", step, epoch);
    load.trainer().tell(new Loaded(epoch, self(), step, ExactFloats.fingerprint(params)));
    return this;
  }

  private Behavior<Command> onCompute(Compute compute) {
    String unfit = unfitFor(compute.epoch(), compute.step());
    if (unfit != null) {
      compute.trainer().tell(new NotReady(compute.epoch(), self(), unfit));
      return this;
    }
    long started = System.nanoTime();
    ArithmeticCorpus.Batch shard = setup.shard(compute.step(), compute.shard());
    float[] gradient = new float[params.length];
    double lossSum;
    try {
      lossSum = model.lossSumAndGradient(params, shard.inputs(), shard.targets(), gradient);
    } catch (RuntimeException e) {
      getContext().getLog().warn("shard {} of step {} failed", compute.shard(), compute.step(), e);
      compute.trainer().tell(new NotReady(compute.epoch(), self(), "computing shard " + compute.shard() + " of step "
          + compute.step() + " failed: " + e));
      return this;
    }
    long nanos = System.nanoTime() - started;
    int scored = GptModel.scored(shard.targets());
    DataRef<byte[]> stored = Data.put(getContext().getSystem(), ExactFloats.toBytes(gradient));
    gradients.put(stored, compute.step());
    compute.trainer().tell(new Gradient(epoch, compute.step(), compute.shard(), self(), lossSum, scored, nanos, stored));
    return this;
  }

  private Behavior<Command> onApply(Apply apply) {
    String unfit = unfitFor(apply.epoch(), apply.step());
    if (unfit != null) {
      apply.trainer().tell(new NotReady(apply.epoch(), self(), unfit));
      return this;
    }
    releaseGradients(apply.step()); // the trainer has read every gradient of this step it uses
    float[] mean;
    try {
      mean = read(apply.gradient());
    } catch (RuntimeException e) {
      forget();
      apply.trainer().tell(new NotReady(apply.epoch(), self(), "could not read the mean gradient: " + e.getMessage()));
      return this;
    }
    if (mean.length != params.length) {
      forget();
      apply.trainer().tell(new NotReady(apply.epoch(), self(), "a mean gradient of " + mean.length + " floats"));
      return this;
    }
    optimizer.update(params, mean);
    step = optimizer.step();
    apply.trainer().tell(new Applied(epoch, step, self(), ExactFloats.fingerprint(params)));
    return this;
  }

  /** The floats of an object in the store, read on this thread (the blocking dispatcher's). */
  private float[] read(DataRef<byte[]> ref) {
    try {
      return ExactFloats.fromBytes(Data.get(getContext().getSystem(), ref).toCompletableFuture()
          .get(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("not read within " + READ_TIMEOUT.toSeconds() + " s", e);
    }
  }

  /** Frees the gradients this replica put for steps up to {@code upTo}. */
  private void releaseGradients(long upTo) {
    gradients.entrySet().removeIf(put -> {
      if (put.getValue() > upTo) {
        return false;
      }
      Data.release(getContext().getSystem(), put.getKey());
      return true;
    });
  }

  /** Why this replica cannot take part in step {@code next} of the run of {@code runEpoch}, or null if it can. */
  private String unfitFor(long runEpoch, long next) {
    if (params == null || runEpoch != epoch) {
      return "holds no state of this run";
    }
    if (next != step + 1) {
      return "is at step " + step + ", asked for step " + next;
    }
    return null;
  }

  private Behavior<Command> onRelease(Release release) {
    if (release.epoch() == epoch) {
      forget();
      releaseGradients(Long.MAX_VALUE);
      epoch = 0;
    }
    return this;
  }

  private void forget() {
    setup = null;
    model = null;
    params = null;
    optimizer = null;
  }

  private ActorRef<Command> self() {
    return getContext().getSelf();
  }
}
