package dev.tessera.gpu;

import dev.tessera.gpu.cuda.DeviceLostException;
import dev.tessera.gpu.cuda.DeviceUnavailableException;
import dev.tessera.gpu.cuda.GpuDevice;
import dev.tessera.gpu.cuda.KernelDevice;
import dev.tessera.gpu.kernels.KernelFailedException;
import dev.tessera.gpu.kernels.KernelRequest;
import dev.tessera.runtime.serialization.CborSerializable;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.pattern.StatusReply;

/**
 * Owns one GPU: its context, stream and memory pool ({@link KernelDevice}). Requests are served one
 * batch at a time; requests that arrive while a batch runs are gathered into the next one (up to
 * {@link Settings#maxBatchRequests} and {@link Settings#maxBatchBytes}), so many small calls share
 * one synchronisation.
 *
 * <p>A call that fails while the device stays usable (out of memory, a launch the driver refused)
 * gets an error reply and nothing else changes. An error that poisons the CUDA context (an illegal
 * address) fails the calls of that batch and restarts the actor, which opens a fresh context;
 * calls still waiting are kept and served after the restart. A device that cannot be opened at all
 * answers every call with a {@link DeviceUnavailableException}, which {@link GpuBackend} takes as
 * its cue to compute on the CPU.
 *
 * <p>Kernel calls are local: their arrays travel by reference. Only {@link Describe} may come from
 * another node. Run it on a dedicated thread ({@code tessera.gpu.device-dispatcher}): CUDA calls
 * block, and a context is current on one thread.
 */
public final class GpuActor extends AbstractBehavior<GpuActor.Command> {

  /** Every GPU actor of the cluster registers under this key (the nodes' devices, for {@link Describe}). */
  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "tessera-gpu");

  public sealed interface Command {}

  /** Run one operation; the reply holds its result, or the reason it failed. Local only. */
  public record Compute<R>(KernelRequest<R> request, ActorRef<StatusReply<R>> replyTo)
      implements Command, NoSerializationVerificationNeeded {
    public Compute {
      Objects.requireNonNull(request, "request");
      Objects.requireNonNull(replyTo, "replyTo");
    }
  }

  /** Which device this is; may come from any node. */
  public record Describe(ActorRef<GpuDevice> replyTo) implements Command, CborSerializable {}

  /** Counters, for tests and benchmarks. Local only. */
  public record GetStats(ActorRef<Stats> replyTo) implements Command, NoSerializationVerificationNeeded {}

  /**
   * @param calls requests answered with a result
   * @param failedCalls requests answered with an error
   * @param batches batches run on the device
   * @param deviceOpens how often the device was opened (1 plus one per recovery)
   */
  public record Stats(long calls, long failedCalls, long batches, long deviceOpens) implements NoSerializationVerificationNeeded {}

  private enum RunBatch implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  private enum RetryOpen implements Command, NoSerializationVerificationNeeded {
    INSTANCE
  }

  /**
   * @param maxBatchRequests at most this many requests run in one batch
   * @param maxBatchBytes a batch moves at most this many bytes (a larger request runs alone)
   * @param restartBackoff the first wait before reopening a lost device; doubles up to 30 s
   */
  public record Settings(int maxBatchRequests, long maxBatchBytes, Duration restartBackoff) {
    public Settings {
      if (maxBatchRequests < 1) {
        throw new IllegalArgumentException("maxBatchRequests must be at least 1, got " + maxBatchRequests);
      }
      if (maxBatchBytes < 1) {
        throw new IllegalArgumentException("maxBatchBytes must be positive, got " + maxBatchBytes);
      }
      Objects.requireNonNull(restartBackoff, "restartBackoff");
    }
  }

  /** Counters that survive restarts: they belong to the device, not to one context. */
  private static final class Counters {
    long calls;
    long failedCalls;
    long batches;
    long opens;
    /** Why the device cannot be opened, while it cannot. */
    String unavailableReason;
    /** Device memory the pool holds, as of the last batch (read by the gauge from any thread). */
    volatile long deviceBytes;
    /** The device's meters: tessera_gpu_calls_total{gpu,outcome}, tessera_gpu_memory_used_bytes{gpu}. */
    io.micrometer.core.instrument.Counter okCalls;
    io.micrometer.core.instrument.Counter failedCallsMeter;

    void meter(org.apache.pekko.actor.typed.ActorSystem<?> system, GpuDevice device) {
      if (okCalls != null) {
        return;
      }
      var registry = dev.tessera.runtime.metrics.NodeMetrics.get(system).registry();
      String gpu = String.valueOf(device.ordinal());
      String description = "Kernel calls this GPU answered, by outcome";
      okCalls = io.micrometer.core.instrument.Counter.builder("tessera.gpu.calls").description(description)
          .tags("gpu", gpu, "outcome", "ok").register(registry);
      failedCallsMeter = io.micrometer.core.instrument.Counter.builder("tessera.gpu.calls").description(description)
          .tags("gpu", gpu, "outcome", "failed").register(registry);
      io.micrometer.core.instrument.Gauge.builder("tessera.gpu.memory.used", this, c -> c.deviceBytes)
          .description("Device memory held by the runtime's buffer pool on this GPU").baseUnit("bytes").tags("gpu", gpu)
          .strongReference(true).register(registry);
    }

    Stats stats() {
      return new Stats(calls, failedCalls, batches, opens);
    }
  }

  private final GpuDevice device;
  private final KernelDevice kernels;
  private final Settings settings;
  private final Counters counters;
  private final Deque<Compute<?>> pending = new ArrayDeque<>();
  private boolean batchScheduled;

  private GpuActor(ActorContext<Command> context, GpuDevice device, KernelDevice kernels, Settings settings, Counters counters) {
    super(context);
    this.device = device;
    this.kernels = kernels;
    this.settings = settings;
    this.counters = counters;
  }

  /**
   * @param device what is being opened (answers {@link Describe} even when it cannot be opened)
   * @param open opens the device; called again after a device is lost. It may throw, with a
   *     message saying why the device cannot be used
   */
  public static Behavior<Command> create(GpuDevice device, Function<GpuDevice, KernelDevice> open, Settings settings) {
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(open, "open");
    Objects.requireNonNull(settings, "settings");
    Counters counters = new Counters();
    Behavior<Command> opened =
        Behaviors.setup(context -> {
          counters.meter(context.getSystem(), device);
          Optional<Behavior<Command>> served = tryOpen(context, device, open, settings, counters);
          if (served.isPresent()) {
            return served.get();
          }
          return unavailable(device, open, settings, counters, settings.restartBackoff());
        });
    return Behaviors.supervise(opened)
        .onFailure(
            DeviceLostException.class,
            SupervisorStrategy.restartWithBackoff(settings.restartBackoff(), Duration.ofSeconds(30), 0.2)
                // deviceLost() has logged what happened, in words; no stack trace on top.
                .withLoggingEnabled(false));
  }

  /** Opens the device and serves it, or says why it cannot (logged; remembered for the replies). */
  private static Optional<Behavior<Command>> tryOpen(
      ActorContext<Command> context, GpuDevice device, Function<GpuDevice, KernelDevice> open, Settings settings, Counters counters) {
    KernelDevice kernels;
    try {
      kernels = open.apply(device);
    } catch (RuntimeException | LinkageError e) {
      String reason = "cannot open " + device + ": " + e.getMessage();
      if (!reason.equals(counters.unavailableReason)) {
        context.getLog().error("{} cannot be used, its work goes to the CPU until it can: {}", device, e.getMessage());
      }
      counters.unavailableReason = reason;
      return Optional.empty();
    }
    counters.opens++;
    if (counters.opens > 1 || counters.unavailableReason != null) {
      context.getLog().info("{} opened again (open number {})", device, counters.opens);
    }
    counters.unavailableReason = null;
    return Optional.of(new GpuActor(context, device, kernels, settings, counters));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Compute.class, this::onCompute)
        .onMessageEquals(RunBatch.INSTANCE, this::onRunBatch)
        .onMessage(Describe.class, this::onDescribe)
        .onMessage(GetStats.class, this::onGetStats)
        .onSignal(PreRestart.class, signal -> closeDevice())
        .onSignal(PostStop.class, signal -> closeDevice())
        .build();
  }

  private Behavior<Command> onCompute(Compute<?> compute) {
    pending.add(compute);
    scheduleBatch();
    return this;
  }

  private Behavior<Command> onRunBatch() {
    batchScheduled = false;
    List<Compute<?>> batch = takeBatch();
    List<KernelRequest<?>> requests = new ArrayList<>(batch.size());
    for (Compute<?> compute : batch) {
      requests.add(compute.request());
    }
    try {
      List<Object> results = kernels.run(requests);
      counters.batches++;
      counters.deviceBytes = Math.max(0, kernels.deviceBytesInUse());
      for (int i = 0; i < batch.size(); i++) {
        replySuccess(batch.get(i), results.get(i));
      }
    } catch (DeviceLostException e) {
      throw deviceLost(batch, e);
    } catch (KernelFailedException e) {
      if (batch.size() > 1) {
        // One call may have asked for too much: the others get their chance alone.
        for (int i = batch.size() - 1; i >= 0; i--) {
          pending.addFirst(batch.get(i));
        }
        runAlone(batch.size());
      } else {
        getContext().getLog().warn("{}: {} failed: {}", device, batch.get(0).request().getClass().getSimpleName(), e.getMessage());
        replyFailure(batch.get(0), e);
      }
    } catch (RuntimeException e) {
      throw deviceLost(batch, unexpected(e));
    }
    scheduleBatch();
    return this;
  }

  /** Runs the first {@code count} waiting calls one batch each. */
  private void runAlone(int count) {
    for (int i = 0; i < count; i++) {
      Compute<?> compute = pending.poll();
      try {
        Object result = kernels.run(List.of(compute.request())).get(0);
        counters.batches++;
        replySuccess(compute, result);
      } catch (DeviceLostException e) {
        throw deviceLost(List.of(compute), e);
      } catch (KernelFailedException e) {
        getContext().getLog().warn("{}: {} failed: {}", device, compute.request().getClass().getSimpleName(), e.getMessage());
        replyFailure(compute, e);
      } catch (RuntimeException e) {
        throw deviceLost(List.of(compute), unexpected(e));
      }
    }
  }

  /**
   * Any other exception from the device (a bug, a JCuda exception) is taken as a lost device: its
   * calls still get a reply, and a fresh context is opened.
   */
  private DeviceLostException unexpected(RuntimeException e) {
    return new DeviceLostException("unexpected failure on " + device + ": " + e, e);
  }

  /**
   * Fails the calls that were running when the device was lost, and sends those still waiting back
   * to the mailbox so that they survive the restart this exception causes.
   */
  private DeviceLostException deviceLost(List<Compute<?>> running, DeviceLostException e) {
    getContext().getLog().error("{} failed and is reopened; {} running calls fail: {}", device, running.size(), e.getMessage());
    for (Compute<?> compute : running) {
      replyFailure(compute, e);
    }
    for (Compute<?> waiting : pending) {
      getContext().getSelf().tell(waiting);
    }
    pending.clear();
    return e;
  }

  private List<Compute<?>> takeBatch() {
    List<Compute<?>> batch = new ArrayList<>();
    long bytes = 0;
    while (!pending.isEmpty() && batch.size() < settings.maxBatchRequests()) {
      long next = pending.peek().request().bytes();
      if (!batch.isEmpty() && bytes + next > settings.maxBatchBytes()) {
        break;
      }
      batch.add(pending.poll());
      bytes += next;
    }
    return batch;
  }

  private void scheduleBatch() {
    if (!pending.isEmpty() && !batchScheduled) {
      // Behind whatever is already in the mailbox: calls that arrived meanwhile join the batch.
      getContext().getSelf().tell(RunBatch.INSTANCE);
      batchScheduled = true;
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private void replySuccess(Compute<?> compute, Object result) {
    counters.calls++;
    counters.okCalls.increment();
    ((ActorRef) compute.replyTo()).tell(StatusReply.success(result));
  }

  private void replyFailure(Compute<?> compute, KernelFailedException e) {
    counters.failedCalls++;
    counters.failedCallsMeter.increment();
    compute.replyTo().tell(StatusReply.error(e));
  }

  private Behavior<Command> onDescribe(Describe describe) {
    describe.replyTo().tell(device);
    return this;
  }

  private Behavior<Command> onGetStats(GetStats get) {
    get.replyTo().tell(counters.stats());
    return this;
  }

  private Behavior<Command> closeDevice() {
    kernels.close();
    return this;
  }

  /**
   * A device that could not be opened: every call is answered at once, so callers use the CPU, and
   * the device is tried again after {@code retryAfter}, doubling up to five minutes (a GPU in the
   * middle of a reset comes back by itself).
   */
  private static Behavior<Command> unavailable(
      GpuDevice device, Function<GpuDevice, KernelDevice> open, Settings settings, Counters counters, Duration retryAfter) {
    return Behaviors.withTimers(timers -> {
      timers.startSingleTimer(RetryOpen.INSTANCE, retryAfter);
      return Behaviors.receive(Command.class)
          .onMessage(Compute.class, compute -> {
            counters.failedCalls++;
            compute.replyTo().tell(StatusReply.error(new DeviceUnavailableException(counters.unavailableReason)));
            return Behaviors.same();
          })
          .onMessage(Describe.class, describe -> {
            describe.replyTo().tell(device);
            return Behaviors.same();
          })
          .onMessage(GetStats.class, get -> {
            get.replyTo().tell(counters.stats());
            return Behaviors.same();
          })
          .onMessageEquals(RunBatch.INSTANCE, Behaviors::same)
          .onMessageEquals(RetryOpen.INSTANCE, () -> Behaviors.setup(context -> tryOpen(context, device, open, settings, counters)
              .orElseGet(() -> unavailable(device, open, settings, counters, min(retryAfter.multipliedBy(2), MAX_RETRY_OPEN)))))
          .build();
    });
  }

  private static final Duration MAX_RETRY_OPEN = Duration.ofMinutes(5);

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
