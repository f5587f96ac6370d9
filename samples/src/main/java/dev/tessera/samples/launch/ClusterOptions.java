package dev.tessera.samples.launch;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;
import picocli.CommandLine.Option;

/**
 * The options every sample shares: where it runs. Without {@code --seeds} a sample starts its own
 * nodes on this machine; with them it joins your cluster, and the same code runs there.
 */
public final class ClusterOptions {

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "3",
      description = "node processes to start on this machine (default: ${DEFAULT-VALUE}; ignored with --seeds)")
  int nodes;

  @Option(names = "--seeds", paramLabel = "HOST:PORT", split = ",",
      description = "join the cluster running on these seed nodes instead of starting nodes here")
  List<String> seeds = List.of();

  @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1",
      description = "this machine's address as the cluster's nodes reach it (with --seeds; default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--node-config", paramLabel = "FILE",
      description = "a node config file for this sample's client node (with --seeds: e.g. the cluster's PostgreSQL journal)")
  Path nodeConfig;

  @Option(names = "--node-heap", paramLabel = "SIZE",
      description = "maximum heap of each node process started here, as -Xmx takes it (512m, 2g; default: "
          + NodeJvm.DEFAULT_HEAP + ", or what the sample's data needs; ignored with --seeds)")
  String nodeHeap;

  @Option(names = "--work-dir", paramLabel = "DIR",
      description = "where the sample writes its output, and its nodes' logs and journal (default: ./tessera-samples/SAMPLE)")
  Path workDir;

  /** The folder a sample writes into: {@code --work-dir}, or {@code ./tessera-samples/<sample>}. */
  public Path workDir(String sample) {
    return (workDir != null ? workDir : Path.of("tessera-samples", sample)).toAbsolutePath();
  }

  /** Starts the local nodes, or joins the cluster named by {@code --seeds}. */
  public SampleCluster open(String sample, PrintStream out) throws IOException, InterruptedException {
    return open(sample, out, node -> List.of());
  }

  /**
   * The same; the local nodes, node {@code i} with {@code extraRoles.apply(i)} besides the usual
   * ones. On your cluster (with {@code --seeds}) the nodes have the roles they were started with.
   */
  public SampleCluster open(String sample, PrintStream out, IntFunction<List<String>> extraRoles)
      throws IOException, InterruptedException {
    return open(sample, out, extraRoles, NodeJvm.DEFAULT);
  }

  /**
   * The same, local nodes started as {@code jvm} says, with {@code --node-heap}'s heap if given:
   * for a sample whose tasks hold large arrays, or call a native library.
   */
  public SampleCluster open(String sample, PrintStream out, IntFunction<List<String>> extraRoles, NodeJvm jvm)
      throws IOException, InterruptedException {
    if (!seeds.isEmpty()) {
      out.printf("joining the cluster through %s ...%n", String.join(", ", seeds));
      return SampleCluster.join(seeds, host, Optional.ofNullable(nodeConfig));
    }
    return SampleCluster.local(nodes, extraRoles, nodeHeap != null ? jvm.withHeap(nodeHeap) : jvm, workDir(sample), out);
  }

  /** How many node processes to start here ({@code --nodes}). */
  public int localNodes() {
    return nodes;
  }
}
