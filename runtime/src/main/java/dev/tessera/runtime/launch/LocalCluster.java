package dev.tessera.runtime.launch;

import dev.tessera.runtime.cluster.MembersClient;
import dev.tessera.runtime.cluster.MembersView;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * N compute nodes on 127.0.0.1, each a JVM process of its own: what {@code cluster local} runs, and
 * what the multi-process tests and benchmarks start.
 *
 * <p>Node {@code i} (1-based) listens on cluster port {@code basePort + i - 1} and management port
 * {@code baseHttpPort + i - 1}. Node 1 forms the cluster; the first two nodes are the seeds every
 * other start joins through, so that any single node, node 1 included, can restart and rejoin.
 *
 * <p>Thread safety: not thread-safe, except {@link #stopAll(Duration)}, which a shutdown hook may call.
 */
public final class LocalCluster implements AutoCloseable {

  /** What to start. */
  public record Spec(
      String clusterName,
      int nodes,
      int basePort,
      int baseHttpPort,
      List<String> roles,
      String heap,
      Duration joinTimeout,
      Path logDir,
      List<String> extraNodeArguments,
      List<NodeHost> hosts,
      List<List<String>> extraRoles) {

    /**
     * Where node {@code i} runs: its address, and the command its JVM is started through (empty:
     * plainly). The chaos suite's partition puts each node in a network namespace of its own:
     * {@code new NodeHost("10.77.3.11", List.of("ip", "netns", "exec", "ns1"))}.
     */
    public record NodeHost(String address, List<String> launchPrefix) {
      public NodeHost {
        Objects.requireNonNull(address, "address");
        launchPrefix = List.copyOf(launchPrefix);
      }
    }

    /** Where the nodes run unless {@link #withHosts} places them elsewhere. */
    public static final String DEFAULT_HOST = "127.0.0.1";

    /** Every node on 127.0.0.1, started plainly, with the same roles. */
    public Spec(String clusterName, int nodes, int basePort, int baseHttpPort, List<String> roles, String heap,
        Duration joinTimeout, Path logDir, List<String> extraNodeArguments) {
      this(clusterName, nodes, basePort, baseHttpPort, roles, heap, joinTimeout, logDir, extraNodeArguments, List.of());
    }

    /** Every node with the same roles. */
    public Spec(String clusterName, int nodes, int basePort, int baseHttpPort, List<String> roles, String heap,
        Duration joinTimeout, Path logDir, List<String> extraNodeArguments, List<NodeHost> hosts) {
      this(clusterName, nodes, basePort, baseHttpPort, roles, heap, joinTimeout, logDir, extraNodeArguments, hosts, List.of());
    }

    public Spec {
      Objects.requireNonNull(clusterName, "clusterName");
      if (nodes < 1) {
        throw new IllegalArgumentException("nodes must be at least 1, got " + nodes);
      }
      if (basePort < 1 || basePort + nodes - 1 > 65535) {
        throw new IllegalArgumentException("cluster ports " + basePort + ".." + (basePort + nodes - 1) + " are not all valid");
      }
      if (baseHttpPort < 1 || baseHttpPort + nodes - 1 > 65535) {
        throw new IllegalArgumentException("management ports " + baseHttpPort + ".." + (baseHttpPort + nodes - 1) + " are not all valid");
      }
      boolean overlap = basePort <= baseHttpPort + nodes - 1 && baseHttpPort <= basePort + nodes - 1;
      if (overlap) {
        throw new IllegalArgumentException("cluster ports and management ports overlap");
      }
      roles = List.copyOf(roles);
      Objects.requireNonNull(heap, "heap");
      Objects.requireNonNull(joinTimeout, "joinTimeout");
      Objects.requireNonNull(logDir, "logDir");
      extraNodeArguments = List.copyOf(extraNodeArguments);
      hosts = List.copyOf(hosts);
      if (!hosts.isEmpty() && hosts.size() != nodes) {
        throw new IllegalArgumentException("hosts must name one host per node (" + nodes + "), got " + hosts.size());
      }
      extraRoles = extraRoles.stream().map(List::copyOf).toList();
      if (!extraRoles.isEmpty() && extraRoles.size() != nodes) {
        throw new IllegalArgumentException("extraRoles must name the roles of every node (" + nodes + "), got "
            + extraRoles.size());
      }
    }

    /** Defaults for tests and benchmarks: cluster "tessera", role worker, 192 MiB heaps, 120 s join timeout. */
    public static Spec of(int nodes, int basePort, int baseHttpPort, Path logDir) {
      return new Spec("tessera", nodes, basePort, baseHttpPort, List.of("worker"), "192m", Duration.ofSeconds(120), logDir, List.of());
    }

    /** Defaults for tests and benchmarks as {@link #of}, on ports {@link FreePorts} found free (see {@link #startOnFreePorts}). */
    public static Spec onFreePorts(int nodes, Path logDir) {
      return of(nodes, FreePorts.block(nodes), FreePorts.block(nodes), logDir);
    }

    /** The same spec, with node {@code i} on cluster port {@code basePort + i - 1} and management port {@code baseHttpPort + i - 1}. */
    public Spec withPorts(int clusterBasePort, int managementBasePort) {
      return new Spec(clusterName, nodes, clusterBasePort, managementBasePort, roles, heap, joinTimeout, logDir, extraNodeArguments,
          hosts, extraRoles);
    }

    /** The same spec, with more flags for every node's {@code cluster node} command. */
    public Spec withExtraNodeArguments(List<String> arguments) {
      return new Spec(clusterName, nodes, basePort, baseHttpPort, roles, heap, joinTimeout, logDir, arguments, hosts, extraRoles);
    }

    /** The same spec, with these roles for every node. */
    public Spec withRoles(List<String> nodeRoles) {
      return new Spec(clusterName, nodes, basePort, baseHttpPort, nodeRoles, heap, joinTimeout, logDir, extraNodeArguments, hosts,
          extraRoles);
    }

    /**
     * The same spec, with node {@code i} given {@code rolesByNode.get(i - 1)} besides the roles every
     * node has: e.g. one role per stage of a pipeline, each on nodes of its own.
     */
    public Spec withExtraRoles(List<List<String>> rolesByNode) {
      return new Spec(clusterName, nodes, basePort, baseHttpPort, roles, heap, joinTimeout, logDir, extraNodeArguments, hosts,
          rolesByNode);
    }

    /** Node {@code i}'s roles: every node's, then its own. */
    public List<String> roles(int node) {
      if (extraRoles.isEmpty()) {
        return roles;
      }
      List<String> all = new ArrayList<>(roles);
      extraRoles.get(node - 1).stream().filter(role -> !all.contains(role)).forEach(all::add);
      return all;
    }

    /** The same spec, with node {@code i} at {@code hosts.get(i - 1)}. */
    public Spec withHosts(List<NodeHost> nodeHosts) {
      return new Spec(clusterName, nodes, basePort, baseHttpPort, roles, heap, joinTimeout, logDir, extraNodeArguments, nodeHosts,
          extraRoles);
    }

    /** Node {@code i}'s address: 127.0.0.1 unless {@link #hosts} places it elsewhere. */
    public String host(int node) {
      return hosts.isEmpty() ? DEFAULT_HOST : hosts.get(node - 1).address();
    }

    /** The command node {@code i}'s JVM is started through (usually none). */
    public List<String> launchPrefix(int node) {
      return hosts.isEmpty() ? List.of() : hosts.get(node - 1).launchPrefix();
    }

    public int port(int node) {
      return basePort + node - 1;
    }

    /** {@code host:port} of node {@code node}, as it appears in member addresses. */
    public String address(int node) {
      return host(node) + ":" + port(node);
    }

    public int httpPort(int node) {
      return baseHttpPort + node - 1;
    }

    /** The seeds every node is given, as a flag's value: the first two nodes (or the only one), comma-separated. */
    public String seeds() {
      return String.join(",", seedList());
    }

    /**
     * The seeds every node is given, {@code host:port} each: what {@code ComputeNode.joinAsClient}
     * and {@code tessera.node.seeds} take.
     */
    public List<String> seedList() {
      return IntStream.rangeClosed(1, Math.min(2, nodes)).mapToObj(this::address).toList();
    }

    /**
     * The command-line arguments that start node {@code i}. The node that forms the cluster gets no
     * seeds (it starts a new cluster at once); every other start, a restart of node 1 included,
     * joins through the seeds.
     */
    public List<String> nodeArguments(int node, boolean formsCluster) {
      return nodeArguments(node, formsCluster ? null : seeds());
    }

    /**
     * The command-line arguments that start node {@code i}, joining through {@code seeds}
     * ("host:port,..."), or forming the cluster when {@code seeds} is null.
     */
    public List<String> nodeArguments(int node, String seeds) {
      boolean formsCluster = seeds == null;
      List<String> args = new ArrayList<>(List.of(
          "node",
          "--cluster-name", clusterName,
          "--host", host(node),
          "--port", String.valueOf(port(node)),
          "--http-port", String.valueOf(httpPort(node))));
      if (!host(node).equals(DEFAULT_HOST)) {
        // A node on a host of its own (a test's network namespace): its management endpoint there,
        // where the status checks reach it (off loopback it needs TLS, or --insecure-plaintext).
        args.addAll(List.of("--http-host", host(node)));
      }
      if (!formsCluster) {
        args.addAll(List.of("--seeds", seeds));
      }
      args.addAll(List.of(
          "--roles", String.join(",", roles(node)),
          "--join-timeout", joinTimeout.toSeconds() + "s",
          "--parent-pid", String.valueOf(ProcessHandle.current().pid())));
      args.addAll(extraNodeArguments);
      return args;
    }
  }

  private static final Logger log = LoggerFactory.getLogger(LocalCluster.class);
  private static final Duration POLL = Duration.ofMillis(50);

  private final Spec spec;
  private final NodeProcess[] processes;
  private final MembersClient members = new MembersClient(Duration.ofSeconds(2));
  private final dev.tessera.runtime.cluster.ManagementClient readiness = new dev.tessera.runtime.cluster.ManagementClient(Duration.ofSeconds(2));

  private LocalCluster(Spec spec) {
    this.spec = spec;
    this.processes = new NodeProcess[spec.nodes()];
  }

  /**
   * Starts node 1 as a new cluster, waits until it is {@code Up}, then starts the others together,
   * which join it on their first try. (Started all at once, the first seed would wait for the
   * second to answer, and the others retry only every {@code seed-node-timeout}.) Does not wait
   * for the others to join.
   *
   * @throws IOException if node 1 exits or is not Up within the join timeout (its log is named)
   */
  public static LocalCluster start(Spec spec) throws IOException, InterruptedException {
    LocalCluster cluster = new LocalCluster(spec);
    try {
      NodeProcess first = cluster.startNode(1, true);
      cluster.awaitFirstNodeUp(first);
      for (int i = 2; i <= spec.nodes(); i++) {
        cluster.startNode(i);
      }
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.stopAll(Duration.ofSeconds(5));
      throw e;
    }
    return cluster;
  }

  /** How many times {@link #startOnFreePorts} starts the cluster again on fresh ports. */
  private static final int PORT_RETRIES = 3;

  /**
   * Starts the cluster as {@link #start} does, on ports {@link FreePorts} found free, and waits until
   * every node is {@code Up}. A port found free can still be taken before the node binds it (on a
   * machine whose ephemeral port range covers every port, by any outgoing connection; this happened
   * in CI: "management port 55570 on 127.0.0.1 is already in use"). If a node exits for that reason
   * before it is {@code Up}, every node is stopped and the cluster starts again on fresh ports, at most
   * {@value #PORT_RETRIES} more times; {@link #spec()} tells the ports it ended on. Any other failure
   * is thrown at once.
   *
   * <p>For tests, benchmarks and samples, which do not care which ports they get; a cluster a person
   * asked for on given ports is started with {@link #start}, which never moves it.
   *
   * @throws IOException if a node exits, or not every node is Up within the join timeout (a log is named)
   */
  public static LocalCluster startOnFreePorts(Spec spec) throws IOException, InterruptedException {
    Spec attempt = spec;
    for (int retry = 0; ; retry++) {
      LocalCluster cluster = start(attempt);
      try {
        cluster.awaitAllUp();
        return cluster;
      } catch (PortTakenException taken) {
        cluster.stopAll(Duration.ofSeconds(5));
        if (retry == PORT_RETRIES) {
          throw new IOException(taken.getMessage() + "; gave up after " + (PORT_RETRIES + 1) + " sets of ports", taken);
        }
        attempt = attempt.withPorts(FreePorts.block(spec.nodes()), FreePorts.block(spec.nodes()));
        log.warn("{}; starting the cluster again on cluster ports from {} and management ports from {}",
            taken.getMessage(), attempt.basePort(), attempt.baseHttpPort());
      } catch (IOException | InterruptedException | RuntimeException e) {
        cluster.stopAll(Duration.ofSeconds(5));
        throw e;
      }
    }
  }

  /** A node found one of its ports taken by another process before it was Up. */
  private static final class PortTakenException extends IOException {
    PortTakenException(String message) {
      super(message);
    }
  }

  /** Whether every node answers {@code GET /ready} with 200 (Up, and its task worker and durable jobs started). */
  public boolean allReady() {
    for (int i = 1; i <= spec.nodes(); i++) {
      if (!readiness.ready(spec.host(i), spec.httpPort(i))) {
        return false;
      }
    }
    return true;
  }

  private void awaitAllUp() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + spec.joinTimeout().toNanos();
    while (System.nanoTime() < deadline) {
      for (NodeProcess node : processes) {
        if (!node.isAlive()) {
          throw exitedBeforeUp(node);
        }
      }
      try {
        if (allUp(view(1)) && allReady()) {
          return;
        }
      } catch (IOException e) {
        // not answering for a moment
      }
      Thread.sleep(POLL.toMillis());
    }
    throw new IOException("not all " + spec.nodes() + " nodes were Up within " + spec.joinTimeout().toSeconds()
        + " s; their logs are in " + spec.logDir());
  }

  private static IOException exitedBeforeUp(NodeProcess node) {
    String reason = lastLine(node);
    String message = node + " exited with code " + node.exitValue() + " before it was Up, saying: " + reason
        + " (its log: " + node.logFile() + ")";
    boolean portTaken = node.exitValue() == ExitCodes.ADDRESS_UNAVAILABLE && reason.contains("is already in use");
    return portTaken ? new PortTakenException(message) : new IOException(message);
  }

  private void awaitFirstNodeUp(NodeProcess first) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + spec.joinTimeout().toNanos();
    while (System.nanoTime() < deadline) {
      if (!first.isAlive()) {
        throw exitedBeforeUp(first);
      }
      try {
        if (isUp(spec, view(1), 1)) {
          return;
        }
      } catch (IOException e) {
        // not answering yet
      }
      Thread.sleep(POLL.toMillis());
    }
    throw new IOException(first + " was not Up within " + spec.joinTimeout().toSeconds() + " s; its log: " + first.logFile());
  }

  /** The last line a node printed (its reason, when it exits on an error), or "(nothing)". */
  private static String lastLine(NodeProcess node) {
    try {
      String[] lines = node.output().strip().split("\n");
      return lines.length == 0 || lines[lines.length - 1].isBlank() ? "(nothing)" : lines[lines.length - 1];
    } catch (IOException e) {
      return "(its log cannot be read: " + e.getMessage() + ")";
    }
  }

  public Spec spec() {
    return spec;
  }

  /** The process of node {@code i} (1-based). */
  public NodeProcess node(int i) {
    return processes[i - 1];
  }

  /** (Re)starts node {@code i}, joining the cluster through the seeds; the previous process must have exited. */
  public NodeProcess startNode(int i) throws IOException {
    return startNode(i, false);
  }

  private NodeProcess startNode(int i, boolean formsCluster) throws IOException {
    NodeProcess previous = processes[i - 1];
    if (previous != null && previous.isAlive()) {
      throw new IllegalStateException(previous + " is still running");
    }
    processes[i - 1] =
        NodeProcess.start("node-" + i, spec.launchPrefix(i), spec.nodeArguments(i, formsCluster ? null : seedsFor(i)),
            spec.heap(), spec.logDir().resolve("node-" + i + ".log"));
    return processes[i - 1];
  }

  /**
   * The seeds node {@code i} joins through: the other nodes alive now, when there are any, so that
   * a restarted first seed can only join them. Given itself as its first seed, it would form a
   * cluster of its own as soon as the others answered "not now" or not within the seed-node
   * timeout (seen in the chaos suite's rolling restarts on a loaded machine: two clusters, two
   * coordinators of one job). With no other node alive (a whole-cluster restart), the usual seeds:
   * the first seed may then form the cluster.
   */
  private String seedsFor(int i) {
    List<String> others = new ArrayList<>();
    for (int j = 1; j <= processes.length; j++) {
      if (j != i && processes[j - 1] != null && processes[j - 1].isAlive()) {
        others.add(spec.address(j));
      }
    }
    return others.isEmpty() ? spec.seeds() : String.join(",", others);
  }

  /** {@code host:port} of node {@code i}, as it appears in member addresses. */
  public String address(int i) {
    return spec.address(i);
  }

  /**
   * Whether every node of this cluster is {@code Up} in {@code view}, by address: members that are
   * not its nodes (a client that joined early, say) neither count nor stand in for one.
   */
  public boolean allUp(MembersView view) {
    return allUp(spec, view);
  }

  /** Whether every node of {@code spec} is {@code Up} in {@code view} (see {@link #allUp(MembersView)}). */
  static boolean allUp(Spec spec, MembersView view) {
    return IntStream.rangeClosed(1, spec.nodes()).allMatch(i -> isUp(spec, view, i));
  }

  private static boolean isUp(Spec spec, MembersView view, int i) {
    return view.member(spec.address(i)).map(member -> member.status().equals("Up")).orElse(false);
  }

  /** Membership as node {@code i} sees it. */
  public MembersView view(int i) throws IOException {
    return members.fetch(spec.host(i), spec.httpPort(i));
  }

  /** Membership as the first live node that answers sees it, if any answers. */
  public Optional<MembersView> anyView() {
    for (int i = 1; i <= spec.nodes(); i++) {
      NodeProcess p = processes[i - 1];
      if (p != null && p.isAlive()) {
        try {
          return Optional.of(view(i));
        } catch (IOException e) {
          // not up yet, or going down: ask the next one
        }
      }
    }
    return Optional.empty();
  }

  /** Stops every node (SIGTERM, then SIGKILL after {@code grace}); safe to call more than once. */
  public synchronized void stopAll(Duration grace) {
    for (NodeProcess p : processes) {
      if (p != null && p.isAlive()) {
        p.terminate();
      }
    }
    for (NodeProcess p : processes) {
      if (p != null) {
        try {
          p.stop(grace);
        } catch (InterruptedException e) {
          p.kill();
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  @Override
  public void close() {
    stopAll(Duration.ofSeconds(20));
  }
}
