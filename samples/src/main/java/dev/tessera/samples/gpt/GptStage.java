package dev.tessera.samples.gpt;

import dev.tessera.gpu.GpuKernels;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.runtime.data.Data;
import dev.tessera.runtime.data.DataRef;
import dev.tessera.runtime.serialization.CborSerializable;
import java.time.Duration;
import java.util.List;
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
 * One stage of pipeline-parallel inference: it holds the parameters of a range of the model's
 * layers (and the embeddings if it is the first stage, the final norm and output if it is the last),
 * runs its layers over the residual stream the stage before sent, and passes the result on; the
 * last stage sends the next token's logits to the generator ({@link PipelineGeneration}), which
 * picks the token and sends the grown text into the first stage again. Several texts can be in the
 * pipeline at once, each stage working on another.
 *
 * <p>Every node with the stage role runs one, registered under {@link #SERVICE_KEY} (see {@link
 * GptNodePlugin}). Messages carry the generator's epoch; a stage asked to run without the
 * parameters of that epoch replies {@link NotReady}.
 *
 * <p>Threading: an actor, on the blocking dispatcher.
 */
public final class GptStage extends AbstractBehavior<GptStage.Command> {

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "tessera-gpt-stage");

  public sealed interface Command extends CborSerializable permits Load, Forward, Release {}

  /**
   * The parameters of layers {@code [fromLayer, toLayer)} in the object store: the ranges {@link
   * GptModel#stageRanges} names, one after the other ({@link ExactFloats#toBytes}).
   */
  public record Load(long epoch, GptConfig config, int fromLayer, int toLayer, DataRef<byte[]> values,
      ActorRef<Reply> generator) implements Command {}

  /**
   * Runs this stage over {@code tokens} (the text so far, as the model sees it): {@code stream} is
   * the residual stream the stage before left (empty for the first stage). The result goes to the
   * first of {@code downstream}, with the rest, or, when none is left, as {@link NextLogits} to the
   * generator.
   */
  public record Forward(long epoch, int sequence, int length, int[] tokens, byte[] stream,
      List<ActorRef<Command>> downstream, ActorRef<Reply> generator) implements Command {}

  public record Release(long epoch) implements Command {}

  public sealed interface Reply extends CborSerializable permits Loaded, NextLogits, NotReady {}

  public record Loaded(long epoch, ActorRef<Command> stage, long fingerprint) implements Reply {}

  /** The logits of the token after the first {@code length} tokens of text {@code sequence}. */
  public record NextLogits(long epoch, int sequence, int length, float[] logits) implements Reply {}

  public record NotReady(long epoch, ActorRef<Command> stage, String reason) implements Reply {}

  /** How long reading the parameters from the store may take before the stage says it is not ready. */
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  private final Kernels kernels;
  private long epoch;
  private GptModel model;
  private float[] params;
  private int fromLayer;
  private int toLayer;

  private GptStage(ActorContext<Command> context, Kernels kernels) {
    super(context);
    context.setLoggerName(GptStage.class);
    this.kernels = kernels;
  }

  /** A stage computing through the node's kernels (a GPU where it has one). */
  public static Behavior<Command> create() {
    return Behaviors.setup(context -> new GptStage(context, GpuKernels.get(context.getSystem()).kernels()));
  }

  public static Behavior<Command> create(Kernels kernels) {
    Objects.requireNonNull(kernels, "kernels");
    return Behaviors.setup(context -> new GptStage(context, kernels));
  }

  /** The floats a stage of layers {@code [from, to)} is loaded with. */
  static float[] slice(GptConfig config, float[] params, int from, int to) {
    List<int[]> ranges = GptModel.stageRanges(config, from, to);
    int length = ranges.stream().mapToInt(r -> r[1] - r[0]).sum();
    float[] values = new float[length];
    int at = 0;
    for (int[] r : ranges) {
      System.arraycopy(params, r[0], values, at, r[1] - r[0]);
      at += r[1] - r[0];
    }
    return values;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Load.class, this::onLoad)
        .onMessage(Forward.class, this::onForward)
        .onMessage(Release.class, release -> {
          if (release.epoch() == epoch) {
            epoch = 0;
            model = null;
            params = null;
          }
          return this;
        })
        .build();
  }

  private Behavior<Command> onLoad(Load load) {
    List<int[]> ranges;
    try {
      ranges = GptModel.stageRanges(load.config(), load.fromLayer(), load.toLayer());
    } catch (IllegalArgumentException e) {
      load.generator().tell(new NotReady(load.epoch(), self(), e.getMessage()));
      return this;
    }
    params = null;
    float[] values;
    try {
      // On this thread, the blocking dispatcher's: the stage has nothing else to do until it holds them.
      values = ExactFloats.fromBytes(Data.get(getContext().getSystem(), load.values()).toCompletableFuture()
          .get(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      load.generator().tell(new NotReady(load.epoch(), self(), "interrupted while reading its parameters"));
      return this;
    } catch (ExecutionException | TimeoutException e) {
      String why = e instanceof ExecutionException ? e.getCause().getMessage() : "not read within " + READ_TIMEOUT.toSeconds() + " s";
      load.generator().tell(new NotReady(load.epoch(), self(), "could not read its parameters: " + why));
      return this;
    }
    int expected = ranges.stream().mapToInt(r -> r[1] - r[0]).sum();
    if (values.length != expected) {
      load.generator().tell(new NotReady(load.epoch(), self(), "parameters of " + values.length + " floats, expected "
          + expected));
      return this;
    }
    // The full-length array, zero outside this stage's ranges: the model indexes into it as a whole.
    float[] all = new float[load.config().parameterCount()];
    int at = 0;
    for (int[] r : ranges) {
      System.arraycopy(values, at, all, r[0], r[1] - r[0]);
      at += r[1] - r[0];
    }
    model = new GptModel(load.config(), kernels);
    params = all;
    fromLayer = load.fromLayer();
    toLayer = load.toLayer();
    epoch = load.epoch();
    getContext().getLog().debug("stage of layers [{}, {}) loaded (epoch {})", fromLayer, toLayer, epoch);
    load.generator().tell(new Loaded(epoch, self(), ExactFloats.fingerprint(values)));
    return this;
  }

  private Behavior<Command> onForward(Forward forward) {
    if (params == null || forward.epoch() != epoch) {
      forward.generator().tell(new NotReady(forward.epoch(), self(), "holds no parameters of this generation"));
      return this;
    }
    try {
      float[] x = fromLayer == 0 ? model.embed(params, forward.tokens()) : ExactFloats.fromBytes(forward.stream());
      x = model.layers(params, forward.tokens(), x, fromLayer, toLayer);
      if (forward.downstream().isEmpty()) {
        if (toLayer != model.config().layers()) {
          throw new IllegalArgumentException("the last stage must end at layer " + model.config().layers() + ", this one"
              + " ends at " + toLayer);
        }
        forward.generator().tell(new NextLogits(epoch, forward.sequence(), forward.length(),
            model.nextLogits(params, forward.tokens(), x)));
      } else {
        forward.downstream().get(0).tell(new Forward(epoch, forward.sequence(), forward.length(), forward.tokens(),
            ExactFloats.toBytes(x), List.copyOf(forward.downstream().subList(1, forward.downstream().size())),
            forward.generator()));
      }
    } catch (RuntimeException e) {
      getContext().getLog().warn("stage [{}, {}) failed on text {}", fromLayer, toLayer, forward.sequence(), e);
      forward.generator().tell(new NotReady(forward.epoch(), self(), "failed: " + e));
    }
    return this;
  }

  private ActorRef<Command> self() {
    return getContext().getSelf();
  }
}
