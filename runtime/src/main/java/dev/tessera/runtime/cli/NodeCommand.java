package dev.tessera.runtime.cli;

import com.typesafe.config.Config;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.InvalidNodeSettingsException;
import dev.tessera.runtime.node.NodeConfigLoader;
import dev.tessera.runtime.node.NodeGuardian;
import dev.tessera.runtime.node.SeedAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cluster node}: runs one compute node in this process until it is stopped (Ctrl-C or
 * SIGTERM make it leave the cluster gracefully), gives up joining, or is downed.
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

  /** Returned when the JVM is already exiting (SIGTERM): main must not call System.exit again. */
  static final int EXIT_ALREADY_UNDER_WAY = Integer.MIN_VALUE;

  private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

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

  @Option(names = "--http-port", paramLabel = "PORT", description = "Management HTTP port for `cluster status` (default 7626).")
  Integer httpPort;

  @Option(names = "--join-timeout", paramLabel = "DURATION", description = "Give up joining after this long, e.g. 60s (default 60s).")
  String joinTimeout;

  @Option(
      names = "--tls-dir",
      paramLabel = "DIR",
      description = "Enable mutual TLS with node.p12 and trust.p12 from DIR (made by `cluster certs`); password from TESSERA_TLS_PASSWORD.")
  Path tlsDir;

  @Option(
      names = "--leave-when-up",
      hidden = true,
      description = "Leave and exit 0 as soon as the node is Up (smoke tests, and recording the class-data archive).")
  boolean leaveWhenUp;

  @Option(names = "--parent-pid", hidden = true, description = "Leave the cluster (within 2 s) when this process exits (used by `cluster local`).")
  Long parentPid;

  @Override
  public Integer call() throws InterruptedException {
    Config loaded = NodeConfigLoader.load(Optional.ofNullable(config), overrides());
    ParentWatch parent = parentPid == null ? null : ParentWatch.start(parentPid);
    ComputeNode node = ComputeNode.start(loaded);
    if (parent != null) {
      parent.started(node);
    }
    if (leaveWhenUp) {
      node.whenUp().thenRun(node::leave);
    }
    node.whenUp()
        .thenAccept(
            address ->
                log.info(
                    "node {} is Up; `cluster status --node {}:{}` lists the members",
                    address,
                    node.settings().management().hostOr(node.settings().bindHost()),
                    node.settings().management().port()));
    CoordinatedShutdown.Reason reason;
    try {
      reason = node.whenTerminated().toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw new CommandFailedException(ExitCodes.FAILURE, "node stopped abnormally: " + e.getCause());
    }
    return exitCodeFor(reason, node);
  }

  private int exitCodeFor(CoordinatedShutdown.Reason reason, ComputeNode node) {
    if (reason == CoordinatedShutdown.jvmExitReason()) {
      return EXIT_ALREADY_UNDER_WAY;
    }
    if (reason == NodeGuardian.JoinGaveUp.INSTANCE) {
      List<String> refusals = node.joinRefusals();
      // Only where no seed said why is the network (or an absent seed) the likely cause.
      String why = refusals.isEmpty()
          ? " (are they running, and is " + node.settings().host() + " reachable from them?)"
          : ": " + String.join("; ", refusals);
      throw new CommandFailedException(
          ExitCodes.JOIN_GAVE_UP,
          "could not join the cluster through seeds "
              + node.settings().seeds()
              + " within "
              + node.settings().join().timeout().toSeconds()
              + " s"
              + why);
    }
    if (reason == CoordinatedShutdown.clusterDowningReason()) {
      throw new CommandFailedException(
          ExitCodes.DOWNED, "this node was downed by the cluster and stopped; restart it to rejoin");
    }
    return ExitCodes.OK;
  }

  private Map<String, Object> overrides() {
    Map<String, Object> o = new LinkedHashMap<>();
    String n = "tessera.node.";
    putIfSet(o, n + "cluster-name", clusterName);
    putIfSet(o, n + "host", host);
    putIfSet(o, n + "bind-host", bindHost);
    if (port != null) {
      o.put(n + "port", checkPort("--port", port));
    }
    if (httpPort != null) {
      o.put(n + "management.port", checkPort("--http-port", httpPort));
    }
    if (seeds != null) {
      for (String seed : seeds) {
        try {
          SeedAddress.parse(seed);
        } catch (InvalidNodeSettingsException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--seeds: " + e.getMessage());
        }
      }
      o.put(n + "seeds", seeds.stream().map(String::trim).filter(s -> !s.isEmpty()).toList());
    }
    if (roles != null) {
      o.put(n + "roles", roles.stream().map(String::trim).filter(s -> !s.isEmpty()).toList());
    }
    putIfSet(o, n + "join.timeout", joinTimeout);
    if (tlsDir != null) {
      o.put(n + "tls.enabled", true);
      o.put(n + "tls.key-store", tlsDir.resolve(CertsCommand.KEY_STORE_FILE).toString());
      o.put(n + "tls.trust-store", tlsDir.resolve(CertsCommand.TRUST_STORE_FILE).toString());
    }
    return o;
  }

  private int checkPort(String flag, int value) {
    if (value < 0 || value > 65535) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), flag + ": " + value + " is not a port (expected 0..65535, 0 = any free port)");
    }
    return value;
  }

  private static void putIfSet(Map<String, Object> o, String key, String value) {
    if (value != null) {
      o.put(key, value);
    }
  }
}
