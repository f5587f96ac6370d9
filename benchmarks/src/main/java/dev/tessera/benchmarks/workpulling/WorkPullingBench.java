package dev.tessera.benchmarks.workpulling;

import dev.tessera.benchmarks.BenchTasks;
import dev.tessera.chaos.Await;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import dev.tessera.work.JobHandle;
import dev.tessera.work.JobResult;
import dev.tessera.work.TaskSession;
import dev.tessera.work.WorkPulling;
import dev.tessera.work.protocol.WorkerMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Work-pulling throughput and latency on a 3-node local cluster of this machine: two node
 * processes plus this JVM, each a worker with one thread per core; jobs are submitted here.
 *
 * <ul>
 *   <li>no-op tasks per second, at the default batch size and at batch size 1;
 *   <li>single-task round trip through a {@link TaskSession}, p50 and p99;
 *   <li>Monte Carlo π, 2×10⁹ samples in 200 tasks, as a ratio to a {@link ForkJoinPool} with one
 *       thread per core running the same kernel in this JVM, in the same round;
 *   <li>how soon a job moves a worker's tasks elsewhere after its node process is killed with
 *       {@code kill -9}, and after it is frozen with SIGSTOP: from the signal until the job's
 *       progress first shows retried tasks (the node is restarted or resumed afterwards).
 * </ul>
 *
 * <pre>bin/bench-work-pulling [rounds]</pre>
 */
public final class WorkPullingBench {

  private static final Duration LIMIT = Duration.ofMinutes(5);
  private static final int NO_OP_TASKS = 300_000;
  private static final int NO_OP_TASKS_BATCH_1 = 60_000;
  private static final int ROUND_TRIPS = 5_000;
  private static final int PI_TASKS = 200;
  private static final long PI_SAMPLES = 2_000_000_000L;
  private static final String REMOTE = "remote";

  private WorkPullingBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    Path logs = Files.createTempDirectory("tessera-bench-");
    // The node processes also have the role "remote", so a session can be pinned to them.
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(2, logs).withRoles(List.of("worker", REMOTE));
    try (LocalCluster cluster = LocalCluster.startOnFreePorts(spec)) {
      ComputeNode node = ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
          "tessera.node.port", 0,
          "tessera.node.management.enabled", false,
          "tessera.node.roles", List.of("worker", "coordinator"),
          "tessera.node.seeds", cluster.spec().seedList())));
      try {
        Await.until("3 task workers registered", LIMIT, () -> workers(node) == 3);
        System.out.printf("3 nodes (2 processes with %s heaps + this JVM), %d cores, worker threads per node: %d%n",
            spec.heap(), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().availableProcessors());
        warmUp(node);
        Map<String, List<Double>> results = new LinkedHashMap<>();
        for (int round = 1; round <= rounds; round++) {
          Map<String, Double> r = round(node);
          r.putAll(failover(cluster, node));
          System.out.printf("round %d/%d: %s%n", round, rounds, r);
          r.forEach((k, v) -> results.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
        }
        System.out.printf("%nmedians over %d rounds%n", rounds);
        results.forEach((k, v) -> System.out.printf("  %-44s %14.3f   (runs: %s)%n", k, median(v),
            v.stream().map(x -> String.format("%.3f", x)).toList()));
      } finally {
        node.close();
      }
    }
  }

  private static int workers(ComputeNode node) throws Exception {
    Receptionist.Listing listing = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            node.system().receptionist(), reply -> Receptionist.find(WorkerMessage.SERVICE_KEY, reply),
            Duration.ofSeconds(5), node.system().scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return listing.getServiceInstances(WorkerMessage.SERVICE_KEY).size();
  }

  private static void warmUp(ComputeNode node) throws Exception {
    System.out.println("warming up ...");
    noOpRate(node, 100_000, JobOptions.defaults());
    noOpRate(node, 20_000, JobOptions.defaults().withBatchSize(1));
    roundTrips(node, 2_000, JobOptions.defaults());
    roundTrips(node, 2_000, JobOptions.defaults().withRequiredRole(REMOTE));
    piCluster(node, PI_TASKS, PI_SAMPLES / 10);
    piForkJoin(PI_TASKS, PI_SAMPLES / 10);
  }

  private static Map<String, Double> round(ComputeNode node) throws Exception {
    Map<String, Double> r = new LinkedHashMap<>();
    r.put("no-op tasks/s, batch size 100 (default)", noOpRate(node, NO_OP_TASKS, JobOptions.defaults()));
    r.put("no-op tasks/s, batch size 1", noOpRate(node, NO_OP_TASKS_BATCH_1, JobOptions.defaults().withBatchSize(1)));
    double[] latency = roundTrips(node, ROUND_TRIPS, JobOptions.defaults());
    r.put("single-task round trip p50, ms", latency[0]);
    r.put("single-task round trip p99, ms", latency[1]);
    double[] remote = roundTrips(node, ROUND_TRIPS, JobOptions.defaults().withRequiredRole(REMOTE));
    r.put("round trip to another process p50, ms", remote[0]);
    r.put("round trip to another process p99, ms", remote[1]);
    double cluster = piCluster(node, PI_TASKS, PI_SAMPLES);
    double forkJoin = piForkJoin(PI_TASKS, PI_SAMPLES);
    r.put("pi samples/s, cluster", cluster);
    r.put("pi samples/s, ForkJoinPool in one JVM", forkJoin);
    r.put("pi efficiency, cluster / ForkJoinPool", cluster / forkJoin);
    return r;
  }

  /** Milliseconds from kill -9 and from SIGSTOP of node process 2 to its tasks being handed out again. */
  private static Map<String, Double> failover(LocalCluster cluster, ComputeNode node) throws Exception {
    Map<String, Double> r = new LinkedHashMap<>();
    r.put("kill -9 of a worker node -> its tasks moved, ms", failoverMillis(cluster, node, true));
    r.put("SIGSTOP of a worker node -> its tasks moved, ms", failoverMillis(cluster, node, false));
    return r;
  }

  private static double failoverMillis(LocalCluster cluster, ComputeNode node, boolean kill) throws Exception {
    int tasks = 12_000;
    List<Integer> inputs = IntStream.range(0, tasks).map(i -> 2_000 + i % 7).boxed().toList(); // about 2 ms each
    JobHandle<Integer> job = WorkPulling.submit(node.system(), BenchTasks.SPIN, inputs, JobOptions.defaults());
    Await.until("a tenth of the tasks done", LIMIT, () -> progress(job).done() >= tasks / 10);
    long signal = System.nanoTime();
    if (kill) {
      cluster.node(2).kill();
    } else {
      cluster.node(2).freeze();
    }
    double millis;
    try {
      // Polled every 10 ms (Await's 100 ms would blur the number).
      long deadline = signal + LIMIT.toNanos();
      while (moved(progress(job)) == 0) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no task was moved within " + LIMIT);
        }
        Thread.sleep(10);
      }
      millis = (System.nanoTime() - signal) / 1e6;
    } finally {
      if (!kill) {
        cluster.node(2).resume();
      }
    }
    JobResult<Integer> result = job.result().toCompletableFuture().get(LIMIT.toSeconds(), TimeUnit.SECONDS);
    if (!result.succeeded() || !result.results().equals(inputs)) {
      throw new IllegalStateException("the job did not survive losing a worker: " + result.progress());
    }
    if (kill) {
      cluster.startNode(2);
    }
    // The old incarnation of a killed node leaves the membership (and its worker the receptionist)
    // once the new one has joined.
    Await.until("3 members Up, none unreachable, 3 task workers", LIMIT, () -> cluster.view(1).upCount() == 3
        && !cluster.view(1).isUnreachable(cluster.address(2)) && workers(node) == 3);
    return millis;
  }

  /** Tasks taken back from a worker so far, however they were lost. */
  private static int moved(JobProgress progress) {
    return progress.retried() + progress.lostLeases() + progress.workerDeaths();
  }

  private static JobProgress progress(JobHandle<?> job) throws Exception {
    return job.progress().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static double noOpRate(ComputeNode node, int tasks, JobOptions options) throws Exception {
    List<Integer> inputs = IntStream.range(0, tasks).boxed().toList();
    long start = System.nanoTime();
    JobResult<Integer> result = WorkPulling.submit(node.system(), BenchTasks.NO_OP, inputs, options)
        .result().toCompletableFuture().get(LIMIT.toSeconds(), TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - start) / 1e9;
    if (!result.succeeded() || !result.results().equals(inputs)) {
      throw new IllegalStateException("no-op job did not return its inputs: " + result.progress());
    }
    return tasks / seconds;
  }

  /**
   * p50 and p99 in milliseconds of one task at a time, each waited for before the next. With the
   * default options the first worker with credit takes it, usually this JVM's own.
   */
  private static double[] roundTrips(ComputeNode node, int count, JobOptions options) throws Exception {
    long[] nanos = new long[count];
    try (TaskSession<Integer, Integer> session = TaskSession.open(node.system(), BenchTasks.NO_OP, options)) {
      for (int i = 0; i < count; i++) {
        long start = System.nanoTime();
        int echoed = session.run(i).toCompletableFuture().get(10, TimeUnit.SECONDS);
        nanos[i] = System.nanoTime() - start;
        if (echoed != i) {
          throw new IllegalStateException("round trip " + i + " returned " + echoed);
        }
      }
    }
    Arrays.sort(nanos);
    return new double[] {nanos[count / 2] / 1e6, nanos[(int) (count * 0.99)] / 1e6};
  }

  private static List<BenchTasks.PiChunk> chunks(int tasks, long samples) {
    return IntStream.range(0, tasks).mapToObj(i -> new BenchTasks.PiChunk(1_000_003L * i + 17, samples / tasks)).toList();
  }

  private static double piCluster(ComputeNode node, int tasks, long samples) throws Exception {
    long start = System.nanoTime();
    long inside = WorkPulling.scatterGather(node.system(), BenchTasks.PI, chunks(tasks, samples), JobOptions.defaults(),
            0L, Long::sum)
        .result().toCompletableFuture().get(LIMIT.toSeconds(), TimeUnit.SECONDS).value();
    double seconds = (System.nanoTime() - start) / 1e9;
    check(inside, samples);
    return samples / seconds;
  }

  private static double piForkJoin(int tasks, long samples) throws Exception {
    ForkJoinPool pool = new ForkJoinPool(Runtime.getRuntime().availableProcessors());
    try {
      long start = System.nanoTime();
      List<Future<Long>> parts = new ArrayList<>();
      for (BenchTasks.PiChunk chunk : chunks(tasks, samples)) {
        parts.add(pool.submit(() -> BenchTasks.countInside(chunk)));
      }
      long inside = 0;
      for (Future<Long> part : parts) {
        inside += part.get();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      check(inside, samples);
      return samples / seconds;
    } finally {
      pool.shutdown();
    }
  }

  private static void check(long inside, long samples) {
    double pi = 4.0 * inside / samples;
    if (Math.abs(pi - Math.PI) > 1e-3) {
      throw new IllegalStateException("pi estimate " + pi + " is off: the kernel or the gathering is broken");
    }
  }

  static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
