package dev.tessera.cli;

import dev.tessera.runtime.launch.NodeOptions;
import dev.tessera.runtime.launch.NodeRunner;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code cluster node}: runs one compute node in this process until it is stopped (Ctrl-C or
 * SIGTERM make it leave the cluster gracefully), gives up joining, or is downed.
 *
 * <p>A front over the runtime's {@link NodeRunner}, which node processes run through {@code
 * NodeMain} with the same flags; this class adds picocli's help text and usage errors. A flag added
 * here must be added to {@code NodeArguments} too ({@code NodeFlagsTest} checks).
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Start one compute node and keep it running.",
      "Without --seeds it starts a new cluster; with them it joins an existing one.",
      "Ctrl-C or SIGTERM leaves the cluster gracefully."
    })
final class NodeCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "HOCON file with tessera.node keys (flags win over it).")
  Path config;

  @Option(names = "--cluster-name", paramLabel = "NAME", description = "Cluster name; all nodes of one cluster share it.")
  String clusterName;

  @Option(names = "--host", paramLabel = "HOST", description = "Address other nodes reach this node at (default 127.0.0.1).")
  String host;

  @Option(names = "--bind-host", paramLabel = "HOST", description = "Interface to listen on (default: --host).")
  String bindHost;

  @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "Cluster port (default 25520; 0 = any free port).")
  Integer port;

  @Option(
      names = {"-s", "--seeds"},
      split = ",",
      paramLabel = "HOST:PORT",
      description = "Seed nodes to join through, comma-separated. None: start a new cluster.")
  List<String> seeds;

  @Option(names = {"-r", "--roles"}, split = ",", paramLabel = "ROLE", description = "Roles, e.g. worker,gpu,coordinator (default worker).")
  List<String> roles;

  @Option(names = "--http-port", paramLabel = "PORT", description = "Management HTTP port for `tessera status` (default 7626).")
  Integer httpPort;

  @Option(
      names = "--http-host",
      paramLabel = "HOST",
      description = "Interface the management endpoint listens on (default 127.0.0.1; off loopback it needs TLS and a token).")
  String httpHost;

  @Option(
      names = "--insecure-plaintext",
      description = "Allow addresses off loopback without TLS: any machine that reaches the node could join and run code. Warned at every start.")
  boolean insecurePlaintext;

  @Option(names = "--join-timeout", paramLabel = "DURATION", description = "Give up joining after this long, e.g. 60s (default 60s).")
  String joinTimeout;

  @Option(
      names = "--tls-dir",
      paramLabel = "DIR",
      description = "Enable mutual TLS with node.p12 and trust.p12 from DIR (made by `tessera certs`); password from TESSERA_TLS_PASSWORD.")
  Path tlsDir;

  @Option(
      names = "--leave-when-up",
      hidden = true,
      description = "Leave and exit 0 as soon as the node is Up (smoke tests, and recording the class-data archive).")
  boolean leaveWhenUp;

  @Option(names = "--parent-pid", hidden = true, description = "Leave the cluster (within 2 s) when this process exits (used by `tessera local`).")
  Long parentPid;

  @Override
  public Integer call() throws InterruptedException {
    NodeOptions options;
    try {
      options = new NodeOptions(Optional.ofNullable(config), Optional.ofNullable(clusterName), Optional.ofNullable(host),
          Optional.ofNullable(bindHost), Optional.ofNullable(port), Optional.ofNullable(seeds), Optional.ofNullable(roles),
          Optional.ofNullable(httpPort), Optional.ofNullable(joinTimeout), Optional.ofNullable(tlsDir), leaveWhenUp,
          Optional.ofNullable(parentPid), Optional.ofNullable(httpHost), insecurePlaintext,
          Optional.ofNullable(CliLogging.logLevel(spec.commandLine().getParseResult().originalArgs().toArray(String[]::new))
              .orElse(null)));
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    return NodeRunner.run(options);
  }
}
