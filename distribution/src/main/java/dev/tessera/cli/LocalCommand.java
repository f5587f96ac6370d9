package dev.tessera.cli;

import dev.tessera.runtime.cluster.MembersView;
import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.launch.LocalClusterService;
import dev.tessera.runtime.launch.NodeProcess;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code cluster local}: starts N nodes as separate JVM processes on 127.0.0.1, prints membership
 * as it converges and whenever it changes, and stops them all on Ctrl-C.
 */
@Command(
    name = "local",
    mixinStandardHelpOptions = true,
    description = {
      "Start N nodes as separate processes on 127.0.0.1 and print membership as it converges.",
      "Ctrl-C stops them all (each leaves the cluster gracefully)."
    })
final class LocalCommand implements Callable<Integer> {

  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration STOP_GRACE = Duration.ofSeconds(20);

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"-n", "--nodes"}, paramLabel = "N", defaultValue = "3", description = "Number of nodes (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--base-port", paramLabel = "PORT", defaultValue = "25520", description = "Cluster port of node 1; node i gets PORT+i-1 (default ${DEFAULT-VALUE}).")
  int basePort;

  @Option(names = "--http-port", paramLabel = "PORT", defaultValue = "7626", description = "Management port of node 1; node i gets PORT+i-1 (default ${DEFAULT-VALUE}).")
  int httpPort;

  @Option(names = {"-r", "--roles"}, split = ",", paramLabel = "ROLE", defaultValue = "worker", description = "Roles of every node (default ${DEFAULT-VALUE}).")
  List<String> roles;

  @Option(names = "--cluster-name", paramLabel = "NAME", defaultValue = "tessera", description = "Cluster name (default ${DEFAULT-VALUE}).")
  String clusterName;

  @Option(names = "--heap", paramLabel = "SIZE", defaultValue = "256m", description = "Heap of each node JVM (default ${DEFAULT-VALUE}).")
  String heap;

  @Option(names = "--log-dir", paramLabel = "DIR", description = "Where node logs go (default: a new temporary directory).")
  Path logDir;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "./tessera-data", description = "Where the nodes' shared journal (durable jobs, checkpoints) lives (default ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--form-timeout", paramLabel = "SECONDS", defaultValue = "120", description = "Fail if the cluster has not formed after this long (default ${DEFAULT-VALUE}).")
  int formTimeoutSeconds;

  @Option(names = "--exit-when-formed", description = "Stop the nodes and exit 0 once all are Up (for scripts and smoke tests).")
  boolean exitWhenFormed;

  /** Set once Ctrl-C (or the end of the command) starts stopping the nodes: the watcher goes quiet. */
  private volatile boolean stopping;

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (nodes < 1 || nodes > 64) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--nodes: " + nodes + " is out of range (1..64)");
    }
    if (!heap.matches("[0-9]+[kKmMgG]")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--heap: '" + heap + "' is not a size like 256m");
    }
    PrintStream out = System.out;
    List<LocalClusterService> services = new ArrayList<>();
    List<String> nodeArguments = new ArrayList<>();
    for (LocalClusterService service : ServiceLoader.load(LocalClusterService.class)) {
      try {
        nodeArguments.addAll(service.start(dataDir));
      } catch (IOException e) {
        services.forEach(LocalClusterService::close);
        throw new CommandFailedException(ExitCodes.FAILURE, e.getMessage());
      }
      services.add(service);
      out.println(service.describe());
    }
    LocalCluster.Spec clusterSpec;
    try {
      clusterSpec = new LocalCluster.Spec(
          clusterName, nodes, basePort, httpPort, roles, heap, Duration.ofSeconds(Math.max(formTimeoutSeconds, 1)),
          logDir != null ? logDir : Files.createTempDirectory("tessera-local-"), nodeArguments);
    } catch (IllegalArgumentException e) {
      services.forEach(LocalClusterService::close);
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    out.printf("starting %d nodes on 127.0.0.1 (cluster ports %d-%d, management ports %d-%d); logs in %s%n",
        nodes, clusterSpec.port(1), clusterSpec.port(nodes), clusterSpec.httpPort(1), clusterSpec.httpPort(nodes),
        clusterSpec.logDir());
    long start = System.nanoTime();
    LocalCluster cluster;
    try {
      cluster = LocalCluster.start(clusterSpec);
    } catch (IOException e) {
      services.forEach(LocalClusterService::close);
      throw new CommandFailedException(ExitCodes.FAILURE, e.getMessage());
    }
    Thread stopper = new Thread(() -> {
      stopping = true;
      out.println("stopping " + nodes + " nodes...");
      cluster.stopAll(STOP_GRACE);
      // Shared services (the journal) outlive every node, so nothing is lost while a node stops.
      services.forEach(LocalClusterService::close);
      out.println("all nodes stopped");
    }, "local-cluster-stopper");
    Runtime.getRuntime().addShutdownHook(stopper);
    int code = watch(cluster, out, start);
    if (exitWhenFormed || code != ExitCodes.OK) {
      Runtime.getRuntime().removeShutdownHook(stopper);
      stopper.run();
    }
    return code;
  }

  /** Prints membership changes until formed (with --exit-when-formed) or until every node has exited. */
  private int watch(LocalCluster cluster, PrintStream out, long start) throws InterruptedException {
    long formDeadline = start + Duration.ofSeconds(formTimeoutSeconds).toNanos();
    String lastLine = "";
    boolean formed = false;
    boolean[] reportedExit = new boolean[nodes + 1];
    while (!stopping) {
      double seconds = (System.nanoTime() - start) / 1e9;
      Optional<MembersView> view = cluster.anyView();
      if (view.isPresent()) {
        String line = describe(view.get());
        if (!line.equals(lastLine)) {
          out.printf("[%6.1f s] %s%n", seconds, line);
          lastLine = line;
        }
        if (!formed && view.get().upCount() == nodes && view.get().unreachable().isEmpty() && cluster.allReady()) {
          formed = true;
          out.printf("[%6.1f s] cluster formed: %d nodes Up and ready%n", seconds, nodes);
          if (exitWhenFormed) {
            return ExitCodes.OK;
          }
          out.println("Ctrl-C stops the cluster; `tessera status --node 127.0.0.1:" + httpPort + "` shows it.");
        }
      }
      int alive = 0;
      for (int i = 1; i <= nodes; i++) {
        NodeProcess p = cluster.node(i);
        if (p.isAlive()) {
          alive++;
        } else if (!reportedExit[i]) {
          reportedExit[i] = true;
          out.printf("[%6.1f s] %s exited with code %d; its log: %s%n", seconds, p, p.exitValue(), p.logFile());
        }
      }
      if (alive == 0) {
        out.println("every node has exited");
        return ExitCodes.FAILURE;
      }
      if (!formed && System.nanoTime() > formDeadline) {
        throw new CommandFailedException(ExitCodes.FAILURE,
            "the cluster did not form within " + formTimeoutSeconds + " s; node logs are in " + cluster.spec().logDir());
      }
      Thread.sleep(POLL.toMillis());
    }
    return ExitCodes.OK;
  }

  private static String describe(MembersView view) {
    if (view.members().isEmpty()) {
      return "no members yet: nodes are starting and joining";
    }
    return view.members().size() + " members, " + view.upCount() + " Up: "
        + view.members().stream()
            .map(m -> m.hostPort() + " " + m.status() + (view.isUnreachable(m.hostPort()) ? " (unreachable)" : ""))
            .collect(Collectors.joining(", "));
  }
}
