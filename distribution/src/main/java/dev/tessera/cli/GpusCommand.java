package dev.tessera.cli;

import dev.tessera.gpu.GpuDirectory;
import dev.tessera.gpu.GpuKernels;
import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

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
final class GpusCommand implements Callable<Integer> {

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
      listing.print(out, role);
    }
    return ExitCodes.OK;
  }
}
