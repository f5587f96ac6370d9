package dev.tessera.gpu;

import com.typesafe.config.Config;
import dev.tessera.gpu.cuda.GpuDiscovery;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodePlugin;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives every node its kernels when it starts: a node that finds a CUDA device adds the {@code gpu}
 * role ({@code tessera.gpu.advertise-role}) before it joins, so GPU jobs are routed to it, and
 * starts one {@link GpuActor} per device, registered with the receptionist under {@link
 * GpuActor#SERVICE_KEY} so other nodes can ask what it has. A node without one logs why, once, and
 * computes on the CPU.
 */
public final class GpuNodePlugin implements NodePlugin {

  private static final Logger log = LoggerFactory.getLogger(GpuNodePlugin.class);

  @Override
  public Set<String> rolesToAdvertise(Config config) {
    GpuSettings settings = GpuSettings.create(config);
    if (settings.mode().equals("off") || settings.advertiseRole().isEmpty()) {
      return Set.of();
    }
    return GpuDiscovery.discover().found() ? Set.of(settings.advertiseRole()) : Set.of();
  }

  @Override
  public void start(ComputeNode node) {
    GpuKernels gpu = GpuKernels.get(node.system());
    String role = gpu.settings().advertiseRole();
    if (!role.isEmpty() && node.settings().roles().contains(role) && gpu.devices().isEmpty()) {
      log.warn(
          "this node has role '{}' but no usable GPU ({}): GPU jobs routed here compute on the CPU",
          role,
          gpu.unavailableReason().orElse("none found"));
    }
  }
}
