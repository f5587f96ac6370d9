package dev.tessera.samples.launch;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.tessera.persistence.journal.LocalJournalService;
import dev.tessera.runtime.launch.FreePorts;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.launch.NodeProcess;
import dev.tessera.runtime.node.ComputeNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Where a sample runs, and its own place in that cluster.
 *
 * <ul>
 *   <li>{@link #local}: node processes on this machine, started (and stopped) by the sample, with
 *       an H2 journal server they share, as {@code bin/tessera local} runs them;
 *   <li>{@link #join}: a cluster already running on your machines, joined through its seeds.
 * </ul>
 *
 * <p>Either way the sample's own JVM joins as a client node (role {@code client}): it submits jobs
 * and reads their results, and neither runs tasks nor coordinates durable jobs. The same sample
 * code runs in both places.
 *
 * <pre>{@code
 * try (SampleCluster cluster = SampleCluster.local(3, Path.of("work"), System.out)) {
 *   WorkPulling.scatterGather(cluster.system(), ...);
 * }
 * }</pre>
 *
 * <p>Thread safety: {@link #system()} may be used from any thread; {@link #close()} once.
 */
public final class SampleCluster implements AutoCloseable {

  /** The roles of the nodes a sample starts: they run tasks and coordinate durable jobs. */
  public static final List<String> LOCAL_NODE_ROLES = List.of("worker", "coordinator");
  /** Durable jobs are coordinated only on nodes with this role, so never on a sample's client node. */
  static final String COORDINATOR_ROLE = "coordinator";
  private static final Duration FORM_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final ComputeNode client;
  private final LocalCluster nodes;
  private final LocalJournalService journal;

  private SampleCluster(ComputeNode client, LocalCluster nodes, LocalJournalService journal) {
    this.client = client;
    this.nodes = nodes;
    this.journal = journal;
  }

  /**
   * Starts {@code nodeCount} node processes on this machine (free ports, their logs and the journal
   * under {@code workDir}), waits until every one is {@code Up}, and joins them as a client.
   *
   * @param out where to say what is happening (one line per step)
   * @throws IOException if a node cannot start or the cluster does not form within 2 minutes
   */
  public static SampleCluster local(int nodeCount, Path workDir, PrintStream out) throws IOException, InterruptedException {
    return local(nodeCount, node -> List.of(), workDir, out);
  }

  /**
   * The same, node {@code i} with {@code extraRoles.apply(i)} besides {@link #LOCAL_NODE_ROLES}
   * (e.g. a pipeline's stages, each on nodes of its own).
   */
  public static SampleCluster local(int nodeCount, IntFunction<List<String>> extraRoles, Path workDir, PrintStream out)
      throws IOException, InterruptedException {
    return local(nodeCount, extraRoles, NodeJvm.DEFAULT, workDir, out);
  }

  /** The same, the node processes started as {@code jvm} says (heap, environment). */
  public static SampleCluster local(int nodeCount, IntFunction<List<String>> extraRoles, NodeJvm jvm, Path workDir,
      PrintStream out) throws IOException, InterruptedException {
    Objects.requireNonNull(jvm, "jvm");
    if (nodeCount < 1 || nodeCount > 16) {
      throw new IllegalArgumentException("--nodes: " + nodeCount + " is out of range (1..16)");
    }
    Objects.requireNonNull(workDir, "workDir");
    Objects.requireNonNull(out, "out");
    Files.createDirectories(workDir);
    LocalJournalService journal = new LocalJournalService();
    LocalCluster nodes = null;
    ComputeNode client = null;
    try {
      journal.start(workDir.resolve("journal"));
      String nodeConfig = journal.nodeConfig() + "tessera.persistence.jobs.role = \"" + COORDINATOR_ROLE + "\"\n";
      Path configFile = workDir.resolve("nodes.conf");
      Files.writeString(configFile, "# Written by the sample for its nodes; rewritten at every start.\n" + nodeConfig);
      LocalCluster.Spec base = new LocalCluster.Spec("tessera", nodeCount, FreePorts.block(nodeCount),
          FreePorts.block(nodeCount), LOCAL_NODE_ROLES, jvm.heap(), FORM_TIMEOUT, workDir.resolve("logs"),
          List.of("--config", configFile.toString()))
          .withExtraRoles(IntStream.rangeClosed(1, nodeCount).mapToObj(extraRoles::apply).toList());
      // Each node's JVM is started through `env NAME=value ...` when it needs variables of its own.
      LocalCluster.Spec spec = jvm.launchPrefix().isEmpty() ? base : base.withHosts(IntStream.rangeClosed(1, nodeCount)
          .mapToObj(node -> new LocalCluster.Spec.NodeHost(base.host(node), jvm.launchPrefix())).toList());
      NodeProcess.prepareClasses(() -> out.println("recording the classes nodes load, so that they start faster (once per build) ..."));
      out.printf("starting %d nodes on this machine (%s; logs in %s) ...%n", nodeCount, jvm, spec.logDir());
      long started = System.nanoTime();
      nodes = LocalCluster.startOnFreePorts(spec);
      awaitAllUp(nodes, nodeCount);
      // The client joins only now, not while the nodes start: a node is Up a few seconds before its
      // extensions (shard regions, task worker) run, and work sent at once then moves between
      // nodes as their shard regions register (a heat run started so lost tiles in a hand-off).
      Config config = ConfigFactory.parseMap(clientConfig("127.0.0.1")).withFallback(ConfigFactory.parseString(nodeConfig));
      client = ComputeNode.joinAsClient(nodes.spec().seedList(), config, FORM_TIMEOUT);
      out.printf("cluster of %d nodes up after %.1f s%n", nodeCount, (System.nanoTime() - started) / 1e9);
      return new SampleCluster(client, nodes, journal);
    } catch (IOException | InterruptedException | RuntimeException e) {
      if (client != null) {
        client.close();
      }
      if (nodes != null) {
        nodes.stopAll(STOP_GRACE);
      }
      journal.close();
      throw e;
    }
  }

  /**
   * Joins a cluster running elsewhere as a client node.
   *
   * @param seeds {@code host:port} of the cluster's seed nodes
   * @param host this machine's address, as the cluster's nodes reach it
   * @param nodeConfig a node config file (e.g. the PostgreSQL journal for durable jobs), if any
   */
  public static SampleCluster join(List<String> seeds, String host, Optional<Path> nodeConfig) {
    if (seeds.isEmpty()) {
      throw new IllegalArgumentException("--seeds: at least one host:port is needed to join a cluster");
    }
    Config file = nodeConfig.map(path -> ConfigFactory.parseFile(path.toFile())).orElse(ConfigFactory.empty());
    Config config = ConfigFactory.parseMap(clientConfig(host)).withFallback(file);
    return new SampleCluster(ComputeNode.joinAsClient(seeds, config, FORM_TIMEOUT), null, null);
  }

  /** What a client of the samples adds to {@link ComputeNode#clientSettings}: its host, and where durable jobs coordinate. */
  private static Map<String, Object> clientConfig(String host) {
    return Map.of(
        "tessera.node.host", host,
        "tessera.persistence.jobs.role", COORDINATOR_ROLE);
  }

  private static void awaitAllUp(LocalCluster nodes, int count) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + FORM_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      for (int i = 1; i <= count; i++) {
        if (!nodes.node(i).isAlive()) {
          throw new IOException("node " + i + " exited with code " + nodes.node(i).exitValue() + " before the cluster formed;"
              + " its log: " + nodes.node(i).logFile());
        }
      }
      if (nodes.anyView().map(nodes::allUp).orElse(false) && nodes.allReady()) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IOException("the cluster did not form within " + FORM_TIMEOUT.toSeconds() + " s; logs in "
        + nodes.spec().logDir());
  }

  /** This sample's client node's actor system: pass it to WorkPulling, DurableJobs, Pipeline. */
  public ActorSystem<?> system() {
    return client.system();
  }

  /** The node processes this sample started (empty when it joined a cluster running elsewhere). */
  public Optional<LocalCluster> localNodes() {
    return Optional.ofNullable(nodes);
  }

  /** Leaves the cluster; stops the node processes and the journal server if this sample started them. */
  @Override
  public void close() {
    client.close();
    if (nodes != null) {
      nodes.stopAll(STOP_GRACE);
    }
    if (journal != null) {
      journal.close();
    }
  }
}
