package dev.tessera.chaos.harness;

import dev.tessera.runtime.launch.LocalCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Test hosts for a real network partition: each node in a Linux network namespace of its own,
 * joined by a veth pair to a bridge in this machine's namespace, on a /24 of 10.0.0.0/8 that no
 * other run uses. The harness's JVM (the journal server, the client node) reaches every node
 * through the bridge's address. A partition adds blackhole routes for the other side's addresses
 * inside each namespace, so packets between the two sides vanish (no reset, no closed socket,
 * as when a cable is pulled) while every node still reaches the bridge; healing deletes them.
 * Traffic never leaves this machine. Needs root and {@code ip} (iproute2).
 *
 * <pre>{@code
 * try (NetworkNamespaces hosts = NetworkNamespaces.create(3)) {
 *   LocalCluster.Spec spec = spec.withHosts(hosts.nodeHosts());
 *   hosts.partition(List.of(1, 2), List.of(3));
 *   hosts.heal();
 * }
 * }</pre>
 */
public final class NetworkNamespaces implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NetworkNamespaces.class);

  private final String tag;
  private final int nodes;
  private final String subnet;
  private final List<String> blackholes = new ArrayList<>();

  private NetworkNamespaces(String tag, int nodes, String subnet) {
    this.tag = tag;
    this.nodes = nodes;
    this.subnet = subnet;
  }

  /** Why namespaces cannot be made here, if they cannot (checked by making and deleting one). */
  public static Optional<String> unavailable() {
    String probe = "tsprobe" + ProcessHandle.current().pid() % 100_000;
    try {
      run("ip", "netns", "add", probe);
      run("ip", "netns", "delete", probe);
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("network namespaces are not available here (they need root and iproute2's ip): " + e.getMessage());
    }
  }

  /** Namespaces for {@code nodes} nodes, on a bridge of their own. */
  public static NetworkNamespaces create(int nodes) throws IOException {
    if (nodes > 200) {
      throw new IllegalArgumentException("at most 200 nodes in namespaces, got " + nodes);
    }
    SplittableRandom random = new SplittableRandom();
    String tag = String.format("%04x", random.nextInt(0x10000));
    String subnet = "10." + (100 + random.nextInt(150)) + "." + random.nextInt(256);
    NetworkNamespaces hosts = new NetworkNamespaces(tag, nodes, subnet);
    try {
      hosts.build();
    } catch (IOException | RuntimeException e) {
      hosts.close();
      throw e;
    }
    return hosts;
  }

  private void build() throws IOException {
    run("ip", "link", "add", bridge(), "type", "bridge");
    run("ip", "addr", "add", bridgeAddress() + "/24", "dev", bridge());
    run("ip", "link", "set", bridge(), "up");
    for (int i = 1; i <= nodes; i++) {
      run("ip", "netns", "add", namespace(i));
      run("ip", "link", "add", hostEnd(i), "type", "veth", "peer", "name", "eth0", "netns", namespace(i));
      run("ip", "link", "set", hostEnd(i), "master", bridge());
      run("ip", "link", "set", hostEnd(i), "up");
      run("ip", "netns", "exec", namespace(i), "ip", "link", "set", "lo", "up");
      run("ip", "netns", "exec", namespace(i), "ip", "addr", "add", address(i) + "/24", "dev", "eth0");
      run("ip", "netns", "exec", namespace(i), "ip", "link", "set", "eth0", "up");
    }
    log.info("network namespaces {}-1..{} on bridge {} ({}.0/24)", "ts" + tag, nodes, bridge(), subnet);
  }

  /** The bridge's address: where the nodes reach the harness's JVM (journal server, client node). */
  public String bridgeAddress() {
    return subnet + ".1";
  }

  /** Node {@code i}'s address. */
  public String address(int i) {
    return subnet + "." + (10 + i);
  }

  /** The command prefix that runs a program in host {@code i}'s namespace. */
  public List<String> launchPrefix(int i) {
    return List.of("ip", "netns", "exec", namespace(i));
  }

  /** Where each node runs: its address, started through {@code ip netns exec}. */
  List<LocalCluster.Spec.NodeHost> nodeHosts() {
    List<LocalCluster.Spec.NodeHost> hosts = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      hosts.add(new LocalCluster.Spec.NodeHost(address(i), launchPrefix(i)));
    }
    return hosts;
  }

  /** Cuts every path between a node of {@code sideA} and a node of {@code sideB}, both ways. */
  synchronized void partition(List<Integer> sideA, List<Integer> sideB) throws IOException {
    for (int a : sideA) {
      for (int b : sideB) {
        blackhole(a, b);
        blackhole(b, a);
      }
    }
  }

  private void blackhole(int from, int to) throws IOException {
    run("ip", "netns", "exec", namespace(from), "ip", "route", "add", "blackhole", address(to) + "/32");
    blackholes.add(from + " " + to);
  }

  /** Undoes every partition. */
  synchronized void heal() throws IOException {
    for (String pair : new ArrayList<>(blackholes)) {
      String[] parts = pair.split(" ");
      run("ip", "netns", "exec", namespace(Integer.parseInt(parts[0])), "ip", "route", "del", "blackhole",
          address(Integer.parseInt(parts[1])) + "/32");
      blackholes.remove(pair);
    }
  }

  /** Deletes the namespaces (their veth ends go with them) and the bridge; never throws. */
  @Override
  public void close() {
    for (int i = 1; i <= nodes; i++) {
      quietly("ip", "netns", "delete", namespace(i));
    }
    quietly("ip", "link", "delete", bridge());
  }

  private String namespace(int i) {
    return "ts" + tag + "-" + i;
  }

  private String bridge() {
    return "tsb" + tag;
  }

  private String hostEnd(int i) {
    return "tsv" + tag + "-" + i; // at most 13 characters; Linux allows 15
  }

  private static void quietly(String... command) {
    try {
      run(command);
    } catch (IOException e) {
      log.debug("cleanup: {}", e.getMessage());
    }
  }

  private static void run(String... command) throws IOException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " did not finish within 20 s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", command), e);
    }
    if (process.exitValue() != 0) {
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + output);
    }
  }
}
