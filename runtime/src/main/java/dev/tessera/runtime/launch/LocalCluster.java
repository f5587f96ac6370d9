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
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * N compute nodes on 127.0.0.1, each a JVM process of its own: what {@code cluster local} runs, and
 * what the multi-process tests and benchmarks start.
 *
 * <p>Node {@code i} (1-based) listens on cluster port {@code basePort + i - 1} and management port
 * {@code baseHttpPort + i - 1}. The first two nodes are the seeds of every node, so that any single
 * node, the first included, can restart and rejoin the running cluster.
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
      List<String> extraNodeArguments) {
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
    }

    /** Defaults for tests and benchmarks: cluster "tessera", role worker, 192 MiB heaps, 120 s join timeout. */
    public static Spec of(int nodes, int basePort, int baseHttpPort, Path logDir) {
      return new Spec("tessera", nodes, basePort, baseHttpPort, List.of("worker"), "192m", Duration.ofSeconds(120), logDir, List.of());
    }

    /** The same spec, with more flags for every node's {@code cluster node} command. */
    public Spec withExtraNodeArguments(List<String> arguments) {
      return new Spec(clusterName, nodes, basePort, baseHttpPort, roles, heap, joinTimeout, logDir, arguments);
    }

    public int port(int node) {
      return basePort + node - 1;
    }

    public int httpPort(int node) {
      return baseHttpPort + node - 1;
    }

    /** The seeds every node is given: the first two nodes (or the only one). */
    public String seeds() {
      return IntStream.rangeClosed(1, Math.min(2, nodes))
          .mapToObj(i -> "127.0.0.1:" + port(i))
          .collect(Collectors.joining(","));
    }

    /** The command-line arguments that start node {@code i}. */
    public List<String> nodeArguments(int node) {
      List<String> args = new ArrayList<>(List.of(
          "node",
          "--cluster-name", clusterName,
          "--host", "127.0.0.1",
          "--port", String.valueOf(port(node)),
          "--http-port", String.valueOf(httpPort(node)),
          "--seeds", seeds(),
          "--roles", String.join(",", roles),
          "--join-timeout", joinTimeout.toSeconds() + "s",
          "--parent-pid", String.valueOf(ProcessHandle.current().pid())));
      args.addAll(extraNodeArguments);
      return args;
    }
  }

  private final Spec spec;
  private final NodeProcess[] processes;
  private final MembersClient members = new MembersClient(Duration.ofSeconds(2));

  private LocalCluster(Spec spec) {
    this.spec = spec;
    this.processes = new NodeProcess[spec.nodes()];
  }

  /** Starts every node at once; does not wait for them to join. */
  public static LocalCluster start(Spec spec) throws IOException {
    LocalCluster cluster = new LocalCluster(spec);
    try {
      for (int i = 1; i <= spec.nodes(); i++) {
        cluster.startNode(i);
      }
    } catch (IOException | RuntimeException e) {
      cluster.stopAll(Duration.ofSeconds(5));
      throw e;
    }
    return cluster;
  }

  public Spec spec() {
    return spec;
  }

  /** The process of node {@code i} (1-based). */
  public NodeProcess node(int i) {
    return processes[i - 1];
  }

  /** (Re)starts node {@code i}; the previous process, if any, must have exited. */
  public NodeProcess startNode(int i) throws IOException {
    NodeProcess previous = processes[i - 1];
    if (previous != null && previous.isAlive()) {
      throw new IllegalStateException(previous + " is still running");
    }
    processes[i - 1] =
        NodeProcess.start("node-" + i, spec.nodeArguments(i), spec.heap(), spec.logDir().resolve("node-" + i + ".log"));
    return processes[i - 1];
  }

  /** {@code 127.0.0.1:port} of node {@code i}, as it appears in member addresses. */
  public String address(int i) {
    return "127.0.0.1:" + spec.port(i);
  }

  /** Membership as node {@code i} sees it. */
  public MembersView view(int i) throws IOException {
    return members.fetch("127.0.0.1", spec.httpPort(i));
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
