package dev.tessera.benchmarks.jobs;

import dev.tessera.benchmarks.BenchTasks;
import dev.tessera.chaos.Await;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.persistence.journal.JournalServer;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.node.ComputeNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How long a durable job stalls when the node running its coordinator is killed: three node
 * processes (workers and coordinators) share an H2 journal server in this JVM, which joins as a
 * client and submits a job of 1 ms tasks. Each round kills the coordinator's node with SIGKILL once
 * a quarter of that round's job is done, and measures until the job has moved to another node and
 * its done count has grown; then it restarts the node and lets the job finish.
 *
 * <pre>bin/bench-coordinator-failover [rounds]</pre>
 */
public final class CoordinatorFailoverBench {

  private static final int TASKS = 20_000;
  private static final Duration LIMIT = Duration.ofMinutes(5);

  private CoordinatorFailoverBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Path dir = Files.createTempDirectory("tessera-failover-bench-");
    List<Double> seconds = new ArrayList<>();
    try (JournalServer journal = JournalServer.start(dir.resolve("data"))) {
      Path config = dir.resolve("nodes.conf");
      Files.writeString(config, journal.nodeConfig() + "tessera.persistence.jobs.role = coordinator\n");
      LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(3, dir.resolve("logs"))
          .withRoles(List.of("worker", "coordinator"))
          .withExtraNodeArguments(List.of("--config", config.toString()));
      try (LocalCluster cluster = LocalCluster.startOnFreePorts(spec)) {
        Await.until("3 nodes Up", LIMIT, () -> cluster.view(1).upCount() == 3);
        Map<String, Object> journalSettings = new java.util.HashMap<>(journal.jdbcSettings());
        journalSettings.put("tessera.persistence.jobs.enabled", true);
        journalSettings.put("tessera.persistence.jobs.role", "coordinator");
        try (ComputeNode node = ComputeNode.joinAsClient(cluster.spec().seedList(), journalSettings, Duration.ofSeconds(90))) {
          System.out.printf("3 node processes + this client, %d cores; %d tasks of 1 ms per job%n",
              Runtime.getRuntime().availableProcessors(), TASKS);
          for (int round = 1; round <= rounds; round++) {
            double s = round(cluster, node);
            seconds.add(s);
            System.out.printf("round %d: coordinator node killed -> job progressing on another node: %.1f s%n", round, s);
          }
        }
      }
    }
    seconds.sort(null);
    System.out.printf("%nover %d rounds: median %.1f s, min %.1f s, max %.1f s%n", rounds,
        seconds.get(seconds.size() / 2), seconds.get(0), seconds.get(seconds.size() - 1));
    System.exit(0);
  }

  private static double round(LocalCluster cluster, ComputeNode node) throws Exception {
    List<Integer> inputs = new ArrayList<>(TASKS);
    for (int i = 0; i < TASKS; i++) {
      inputs.add(1000);
    }
    DurableJobHandle<Integer> job = DurableJobs.submit(node.system(), BenchTasks.SPIN, inputs, JobOptions.defaults());
    job.submitted().toCompletableFuture().get(2, TimeUnit.MINUTES);
    Await.until("a quarter of the job done", LIMIT,
        () -> job.progress().toCompletableFuture().get(10, TimeUnit.SECONDS).done() >= TASKS / 4);
    JobStatus before = job.status().toCompletableFuture().get(10, TimeUnit.SECONDS);
    int victim = nodeRunning(cluster, before);
    cluster.node(victim).kill();
    long killed = System.nanoTime();
    Await.until("the job progressing on another node", LIMIT, () -> {
      JobStatus now = job.status().toCompletableFuture().get(5, TimeUnit.SECONDS);
      return !now.coordinatorNode().endsWith(":" + cluster.spec().port(victim))
          && now.progress().done() > before.progress().done();
    });
    double seconds = (System.nanoTime() - killed) / 1e9;
    cluster.node(victim).awaitExit(Duration.ofSeconds(30));
    cluster.startNode(victim);
    Await.until("3 nodes Up again", LIMIT, () -> cluster.anyView().map(v -> v.upCount() == 4).orElse(false));
    var result = job.result().toCompletableFuture().get(5, TimeUnit.MINUTES);
    if (!result.succeeded() || result.progress().done() != TASKS) {
      throw new IllegalStateException("the job did not finish with every result: " + result.progress());
    }
    return seconds;
  }

  private static int nodeRunning(LocalCluster cluster, JobStatus status) {
    for (int i = 1; i <= cluster.spec().nodes(); i++) {
      if (status.coordinatorNode().endsWith(":" + cluster.spec().port(i))) {
        return i;
      }
    }
    throw new IllegalStateException("the coordinator runs on no node process: " + status.coordinatorNode());
  }
}
