package dev.tessera.benchmarks.membership;

import dev.tessera.chaos.Await;
import dev.tessera.runtime.launch.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures, on real node processes on this machine: start to a 3-node cluster all Up, SIGKILL of a
 * node to its removal (and to its being marked unreachable), restart to rejoin, and SIGTERM to
 * removal. The kill-to-removal time is also measured with Pekko's default failure detection
 * (acceptable-heartbeat-pause 3 s, stable-after 20 s, 1 s ticks) in the same run, as the baseline our
 * defaults are compared with.
 *
 * <pre>bin/bench-membership [rounds]</pre>
 */
public final class MembershipTimingBench {

  private static final Duration LIMIT = Duration.ofSeconds(180);

  private MembershipTimingBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Map<String, List<Duration>> results = new LinkedHashMap<>();
    for (int round = 1; round <= rounds; round++) {
      System.out.printf("round %d/%d%n", round, rounds);
      Map<String, Duration> ours = measure(List.of(), true);
      Map<String, Duration> pekko = measure(pekkoDefaults(), false);
      ours.forEach((k, v) -> results.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
      pekko.forEach((k, v) -> results.computeIfAbsent("pekko defaults: " + k, x -> new ArrayList<>()).add(v));
    }
    System.out.printf("%nmedians over %d rounds (3 nodes, one 2-core machine, node heaps 192 MiB, SerialGC)%n", rounds);
    for (Map.Entry<String, List<Duration>> e : results.entrySet()) {
      System.out.printf("  %-52s %6.2f s   (runs: %s)%n", e.getKey(), seconds(median(e.getValue())),
          e.getValue().stream().map(d -> String.format("%.2f", seconds(d))).toList());
    }
    double ours = seconds(median(results.get("kill -9 -> removed by both survivors")));
    double pekko = seconds(median(results.get("pekko defaults: kill -9 -> removed by both survivors")));
    System.out.printf("  kill -9 -> removed, ours / pekko defaults: %.2f%n", ours / pekko);
  }

  /** A config file that puts the failure-detection keys and cluster ticks back to Pekko's own defaults. */
  private static List<String> pekkoDefaults() throws IOException {
    Path conf = Files.createTempFile("pekko-defaults-", ".conf");
    Files.writeString(conf, """
        tessera.node.failure-detection {
          heartbeat-interval = 1s
          acceptable-heartbeat-pause = 3s
          threshold = 8.0
          stable-after = 20s
        }
        # and Pekko's housekeeping ticks, which a node tunes for small clusters unless set
        pekko.cluster {
          # Pekko's resolver, which looks once a second
          downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
          leader-actions-interval = 1s
          unreachable-nodes-reaper-interval = 1s
          gossip-interval = 1s
        }
        """);
    conf.toFile().deleteOnExit();
    return List.of("--config", conf.toString());
  }

  private static Map<String, Duration> measure(List<String> extraArguments, boolean full) throws Exception {
    Map<String, Duration> t = new LinkedHashMap<>();
    Path logs = Files.createTempDirectory("tessera-bench-");
    LocalCluster.Spec spec =
        LocalCluster.Spec.onFreePorts(3, logs).withExtraNodeArguments(extraArguments);
    long start = System.nanoTime();
    try (LocalCluster cluster = LocalCluster.startOnFreePorts(spec)) {
      Await.until("3 Up", LIMIT, () -> cluster.view(1).upCount() == 3);
      if (full) {
        t.put("process start -> 3 nodes Up", Duration.ofNanos(System.nanoTime() - start));
      }

      long kill = System.nanoTime();
      cluster.node(3).kill();
      Await.until("node 3 unreachable", LIMIT, () -> cluster.view(1).isUnreachable(cluster.address(3)));
      t.put("kill -9 -> marked unreachable", Duration.ofNanos(System.nanoTime() - kill));
      Await.until("node 3 removed", LIMIT, () -> gone(cluster, 1, 3) && gone(cluster, 2, 3));
      t.put("kill -9 -> removed by both survivors", Duration.ofNanos(System.nanoTime() - kill));
      if (!full) {
        return t;
      }

      long restart = System.nanoTime();
      cluster.startNode(3);
      Await.until("node 3 back", LIMIT, () -> cluster.view(1).upCount() == 3);
      t.put("restart of killed node -> Up again", Duration.ofNanos(System.nanoTime() - restart));
      // Node 1 shows a joining node Up before that node has processed its Welcome; until it has, a
      // SIGTERM cannot make it leave gracefully (see ComputeNode#leave), and the time below would
      // be failure detection instead. Untimed: wait until node 3 is Up in its own view.
      Await.until("node 3 Up in its own view", LIMIT, () -> cluster.view(3).upCount() == 3);

      long term = System.nanoTime();
      cluster.node(3).terminate();
      Await.until("node 3 left", LIMIT, () -> gone(cluster, 1, 3) && gone(cluster, 2, 3));
      t.put("SIGTERM -> removed by both survivors", Duration.ofNanos(System.nanoTime() - term));
      return t;
    } finally {
      System.out.println("  " + t.entrySet().stream()
          .map(e -> e.getKey() + " " + String.format("%.2f s", seconds(e.getValue()))).toList()
          + (full ? "" : " [pekko defaults]"));
    }
  }

  private static boolean gone(LocalCluster cluster, int observer, int node) throws IOException {
    return cluster.view(observer).member(cluster.address(node)).isEmpty();
  }

  private static Duration median(List<Duration> values) {
    List<Duration> sorted = values.stream().sorted(Comparator.naturalOrder()).toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : sorted.get(n / 2 - 1).plus(sorted.get(n / 2)).dividedBy(2);
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
