package dev.tessera.gpu;

import dev.tessera.runtime.cli.CliExtension;
import dev.tessera.runtime.cli.CommandFailedException;
import dev.tessera.runtime.cli.ExitCodes;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.Address;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cluster gpus}: the GPUs of a running cluster, node by node, as the nodes advertise them.
 * It joins for a moment as a client node (its own GPU module off, so it never advertises one).
 *
 * <pre>
 * $ cluster gpus --seeds 127.0.0.1:25520
 * NODE                        GPU  NAME                         MEMORY      CC   DRIVER
 * pekko://tessera@10.0.0.7:25520  0  NVIDIA H100 80GB HBM3     81559 MiB   9.0  13.0
 * </pre>
 */
@Command(name = "gpus", mixinStandardHelpOptions = true, description = "List the GPUs of a running cluster, node by node.")
public final class GpusCommand implements Callable<Integer> {

  /** Registers {@code gpus} with the {@code cluster} tool. */
  public static final class Extension implements CliExtension {
    @Override
    public Object command() {
      return new GpusCommand();
    }
  }

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"-s", "--seeds"}, required = true, split = ",", paramLabel = "HOST:PORT",
      description = "A node of the cluster (or several).")
  List<String> seeds;

  @Option(names = "--config", paramLabel = "FILE", description = "The cluster's config file (TLS, cluster name), if it needs one.")
  Path config;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "Give up after this many seconds (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() throws Exception {
    if (timeoutSeconds < 1) {
      throw new CommandFailedException(ExitCodes.USAGE, "--timeout must be at least 1 second, got " + timeoutSeconds);
    }
    Duration timeout = Duration.ofSeconds(timeoutSeconds);
    Map<String, Object> overrides = new HashMap<>(ComputeNode.clientSettings(seeds));
    overrides.put("tessera.gpu.mode", "off");
    PrintWriter out = spec.commandLine().getOut();
    try (ComputeNode node = ComputeNode.start(NodeConfigLoader.load(Optional.ofNullable(config), overrides))) {
      try {
        node.whenUp().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new CommandFailedException(
            ExitCodes.JOIN_GAVE_UP, "could not join the cluster through " + seeds + " within " + timeoutSeconds + " s");
      } catch (ExecutionException e) {
        throw new CommandFailedException(ExitCodes.JOIN_GAVE_UP, String.valueOf(e.getCause().getMessage()));
      }
      String role = GpuKernels.get(node.system()).settings().advertiseRole();
      GpuDirectory.Listing listing = GpuDirectory.list(node.system(), role, timeout);
      print(out, listing, role);
    }
    return ExitCodes.OK;
  }

  static void print(PrintWriter out, GpuDirectory.Listing listing, String role) {
    if (listing.devices().isEmpty()) {
      out.println("no node of the cluster has a GPU it can use");
    } else {
      out.printf(Locale.ROOT, "%-36s %3s  %-28s %11s %5s  %s%n", "NODE", "GPU", "NAME", "MEMORY", "CC", "DRIVER");
      for (GpuDirectory.Entry entry : listing.devices()) {
        out.printf(Locale.ROOT, "%-36s %3d  %-28s %7d MiB %5s  %s%n",
            entry.node(), entry.device().ordinal(), entry.device().name(), entry.device().totalMemoryBytes() >> 20,
            entry.device().computeCapability(), entry.device().driverVersion());
      }
    }
    for (Address node : listing.gpuNodesWithoutDevice()) {
      out.printf(Locale.ROOT, "%s has role '%s' but no usable GPU: its GPU jobs run on its CPU%n", node, role);
    }
    out.flush();
  }
}
