package dev.tessera.gpu;

import dev.tessera.gpu.cuda.CudaDevice;
import dev.tessera.gpu.cuda.GpuDevice;
import dev.tessera.gpu.cuda.GpuDiscovery;
import dev.tessera.gpu.kernels.CpuBackend;
import dev.tessera.gpu.kernels.Kernels;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernels of one node: a {@link GpuActor} per CUDA device discovery finds, and the {@link
 * CpuBackend} that computes where there is none. Task code asks for {@link #kernels()} and does not
 * care which it gets.
 *
 * <pre>{@code
 * Kernels kernels = GpuKernels.get(system).kernels();
 * }</pre>
 *
 * <p>Created on first use ({@link GpuNodePlugin} creates it when a node starts, so the node logs
 * what it computes on before it takes work). Never fails for want of a GPU: discovery problems
 * become one log line and the CPU backend.
 */
public final class GpuKernels implements Extension {

  private static final Logger log = LoggerFactory.getLogger(GpuKernels.class);

  /** The extension's id; use {@link #get}. */
  public static final class Id extends ExtensionId<GpuKernels> {
    @Override
    public GpuKernels createExtension(ActorSystem<?> system) {
      return new GpuKernels(system);
    }
  }

  private static final Id ID = new Id();

  private final GpuSettings settings;
  private final CpuBackend cpu;
  private final List<GpuDevice> devices;
  private final List<ActorRef<GpuActor.Command>> actors;
  private final Optional<String> unavailableReason;
  private final Kernels kernels;

  private GpuKernels(ActorSystem<?> system) {
    settings = GpuSettings.create(system.settings().config());
    cpu = CpuBackend.create(settings.cpuBlas(), settings.cpuThreadsOrCores());
    system.getWhenTerminated().thenRun(cpu::close);
    GpuDiscovery.Result found =
        settings.mode().equals("off")
            ? new GpuDiscovery.Result(List.of(), Optional.of("tessera.gpu.mode is off"))
            : GpuDiscovery.discover();
    devices = found.devices();
    unavailableReason = found.unavailableReason();
    List<ActorRef<GpuActor.Command>> spawned = new ArrayList<>();
    for (GpuDevice device : devices) {
      ActorRef<GpuActor.Command> actor =
          system.systemActorOf(
              GpuActor.create(device, d -> CudaDevice.open(d, settings.maxPooledBytes(), false), settings.actor()),
              "tessera-gpu-" + device.ordinal(),
              DispatcherSelector.fromConfig("tessera.gpu.device-dispatcher"));
      system.receptionist().tell(Receptionist.register(GpuActor.SERVICE_KEY, actor));
      spawned.add(actor);
    }
    actors = List.copyOf(spawned);
    if (actors.isEmpty()) {
      kernels = cpu;
      log.info("no GPU ({}); kernels run on the CPU: {}", unavailableReason.orElse("none found"), cpu.describe());
    } else {
      String description = devices.stream().map(GpuDevice::toString).collect(Collectors.joining("; "));
      kernels = new GpuBackend(actors, description, cpu, settings.callTimeout(), system.scheduler(),
          dev.tessera.runtime.metrics.NodeMetrics.get(system).registry());
      log.info("kernels run on {} GPU(s): {}", actors.size(), description);
    }
  }

  public static GpuKernels get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** The node's kernels: on its GPUs when it has any, on the CPU otherwise. */
  public Kernels kernels() {
    return kernels;
  }

  /** The CPU backend, which also serves calls a GPU cannot take. */
  public CpuBackend cpu() {
    return cpu;
  }

  /** The devices in use; empty on a node without a GPU. */
  public List<GpuDevice> devices() {
    return devices;
  }

  /** Each device's actor, in the order of {@link #devices()}. */
  public List<ActorRef<GpuActor.Command>> deviceActors() {
    return actors;
  }

  /** Why the node has no GPU, when it has none. */
  public Optional<String> unavailableReason() {
    return unavailableReason;
  }

  public GpuSettings settings() {
    return settings;
  }
}
