package dev.tessera.gpu;

import dev.tessera.gpu.cuda.DeviceLostException;
import dev.tessera.gpu.kernels.Kernels;
import dev.tessera.gpu.kernels.KernelFailedException;
import dev.tessera.gpu.kernels.KernelRequest;
import java.time.Duration;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Kernels} on the node's GPUs: each call is sent to a {@link GpuActor} (round robin over the
 * devices) and the calling thread waits for its reply. A call the GPU cannot take (too little
 * device memory, a shape too large for one launch, a device that cannot be opened) is computed on
 * the CPU instead, with a warning the first time, so a task never fails only because its GPU is
 * small or broken. A device lost in the middle of a call, or no answer within the call timeout, is
 * thrown: the task fails that attempt and is retried.
 *
 * <p>Thread-safe; meant to be called from task threads, never from an actor.
 */
public final class GpuBackend implements Kernels {

  private static final Logger log = LoggerFactory.getLogger(GpuBackend.class);

  private final List<ActorRef<GpuActor.Command>> devices;
  private final String description;
  private final Kernels cpu;
  private final Duration callTimeout;
  private final Scheduler scheduler;
  private final AtomicInteger next = new AtomicInteger();
  private final AtomicBoolean warnedFallback = new AtomicBoolean();
  private final List<Timer> callTimes;
  private final Counter fallbacks;

  /** A backend whose meters go nowhere (tests). */
  public GpuBackend(
      List<ActorRef<GpuActor.Command>> devices, String description, Kernels cpu, Duration callTimeout, Scheduler scheduler) {
    this(devices, description, cpu, callTimeout, scheduler, new io.micrometer.core.instrument.composite.CompositeMeterRegistry());
  }

  /**
   * @param registry where {@code tessera_gpu_call_seconds{gpu}} (each call, waiting included) and
   *     {@code tessera_gpu_cpu_fallbacks_total} (calls the GPU could not take, computed on the CPU)
   *     are recorded
   */
  public GpuBackend(
      List<ActorRef<GpuActor.Command>> devices, String description, Kernels cpu, Duration callTimeout, Scheduler scheduler,
      MeterRegistry registry) {
    this.devices = List.copyOf(devices);
    if (this.devices.isEmpty()) {
      throw new IllegalArgumentException("a GPU backend needs at least one device");
    }
    this.description = Objects.requireNonNull(description, "description");
    this.cpu = Objects.requireNonNull(cpu, "cpu");
    this.callTimeout = Objects.requireNonNull(callTimeout, "callTimeout");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    List<Timer> times = new java.util.ArrayList<>();
    for (int i = 0; i < this.devices.size(); i++) {
      times.add(Timer.builder("tessera.gpu.call").description("Kernel calls on this GPU, from the task's ask to its answer")
          .tag("gpu", String.valueOf(i)) // the devices in ordinal order, as GpuKernels spawns them
          .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100),
              Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(10))
          .register(registry));
    }
    this.callTimes = List.copyOf(times);
    this.fallbacks = Counter.builder("tessera.gpu.cpu.fallbacks")
        .description("Kernel calls a GPU could not take (memory, shape, device unusable), computed on the CPU")
        .register(registry);
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public <R> R compute(KernelRequest<R> request) {
    Objects.requireNonNull(request, "request");
    int which = Math.floorMod(next.getAndIncrement(), devices.size());
    ActorRef<GpuActor.Command> device = devices.get(which);
    long started = System.nanoTime();
    try {
      R result = AskPattern.<GpuActor.Command, R>askWithStatus(
              device, replyTo -> new GpuActor.Compute<>(request, replyTo), callTimeout, scheduler)
          .toCompletableFuture()
          .get(callTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      callTimes.get(which).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      return result;
    } catch (ExecutionException e) {
      callTimes.get(which).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      Throwable cause = e.getCause();
      if (cause instanceof DeviceLostException lost) {
        throw lost;
      }
      if (cause instanceof KernelFailedException) {
        // Too little device memory, a shape the GPU cannot launch, a device that cannot be
        // opened: the CPU can compute anything a request allows.
        fallbacks.increment();
        if (warnedFallback.compareAndSet(false, true)) {
          log.warn("computing on the CPU instead: {} (logged once)", cause.getMessage());
        }
        return cpu.compute(request);
      }
      if (cause instanceof TimeoutException) {
        throw new KernelFailedException("the GPU did not answer within " + callTimeout.toMillis() + " ms", cause);
      }
      throw new KernelFailedException("the GPU call failed: " + cause, cause);
    } catch (TimeoutException e) {
      callTimes.get(which).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      throw new KernelFailedException("the GPU did not answer within " + callTimeout.toMillis() + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KernelFailedException("interrupted while waiting for the GPU", e);
    }
  }
}
