package dev.tessera.benchmarks.jobs;

import dev.tessera.benchmarks.BenchTasks;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobJournalReader;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import dev.tessera.work.JobResult;
import dev.tessera.work.WorkPulling;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * Durable jobs against in-memory jobs, on one node (this JVM, a worker with one thread per core)
 * and a real journal: the embedded H2 file by default, or PostgreSQL.
 *
 * <ul>
 *   <li>100,000 no-op tasks: an in-memory job and a durable job, in the same round, tasks per second
 *       and their ratio; a durable job's time runs from submit (inputs made durable) to its results;
 *   <li>journal writes: the durable job's events per second, and tasks per event (group commit);
 *   <li>recovery of a finished 100,000-task job on a restarted node, with snapshots (every 100
 *       events, so the ~500 events of such a job are covered) and without (a job run with snapshots
 *       off): the first status answer, which starts and recovers its coordinator, after a warm-up
 *       question about a job that does not exist.
 * </ul>
 *
 * <pre>bin/bench-durable-jobs [rounds] [h2|postgresql]   (PostgreSQL from TESSERA_BENCH_POSTGRES_URL, _USER, _PASSWORD)</pre>
 */
public final class DurableJobBench {

  private static final int TASKS = 100_000;
  private static final int NO_SNAPSHOTS = 1_000_000_000;
  private static final int SNAPSHOT_EVERY = 100;

  private DurableJobBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    String journal = args.length > 1 ? args[1] : "h2";
    if (!journal.equals("h2") && !journal.equals("postgresql")) {
      throw new IllegalArgumentException("journal must be h2 or postgresql, got " + journal);
    }
    System.out.printf("journal: %s, %d cores, %d no-op tasks per job%n", journal,
        Runtime.getRuntime().availableProcessors(), TASKS);
    Map<String, List<Double>> all = new LinkedHashMap<>();
    for (int round = 1; round <= rounds; round++) {
      Map<String, Double> r = round(journal);
      System.out.printf("round %d: %s%n", round, r);
      r.forEach((k, v) -> all.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }
    System.out.printf("%nmedians of %d rounds:%n", rounds);
    all.forEach((k, v) -> System.out.printf("  %-40s %12.2f%n", k, median(v)));
    System.exit(0);
  }

  private static Map<String, Double> round(String journal) throws Exception {
    Path dataDir = Files.createTempDirectory("tessera-durable-bench-");
    Map<String, Object> config = journalConfig(journal, dataDir);
    List<Integer> inputs = IntStream.range(0, TASKS).boxed().toList();
    Map<String, Double> r = new LinkedHashMap<>();
    String withSnapshots;
    String withoutSnapshots;
    try (ComputeNode node = start(config, SNAPSHOT_EVERY)) {
      WorkPulling.submit(node.system(), BenchTasks.NO_OP, inputs.subList(0, 20_000), JobOptions.defaults())
          .result().toCompletableFuture().get(5, TimeUnit.MINUTES); // warm-up
      long t0 = System.nanoTime();
      JobResult<Integer> memory = WorkPulling.submit(node.system(), BenchTasks.NO_OP, inputs, JobOptions.defaults())
          .result().toCompletableFuture().get(5, TimeUnit.MINUTES);
      double memorySeconds = (System.nanoTime() - t0) / 1e9;
      check(memory);
      long t1 = System.nanoTime();
      DurableJobHandle<Integer> job = DurableJobs.submit(node.system(), BenchTasks.NO_OP, inputs, JobOptions.defaults());
      JobResult<Integer> durable = job.result().toCompletableFuture().get(10, TimeUnit.MINUTES);
      double durableSeconds = (System.nanoTime() - t1) / 1e9;
      check(durable);
      withSnapshots = job.id();
      long events = events(config, withSnapshots);
      r.put("in-memory tasks/s", TASKS / memorySeconds);
      r.put("durable tasks/s", TASKS / durableSeconds);
      r.put("durable / in-memory", memorySeconds / durableSeconds);
      r.put("journal events/s", events / durableSeconds);
      r.put("tasks per event", (double) TASKS / events);
    }
    try (ComputeNode node = start(config, NO_SNAPSHOTS)) {
      DurableJobHandle<Integer> job = DurableJobs.submit(node.system(), BenchTasks.NO_OP, inputs, JobOptions.defaults());
      check(job.result().toCompletableFuture().get(10, TimeUnit.MINUTES));
      withoutSnapshots = job.id();
    }
    try (ComputeNode node = start(config, SNAPSHOT_EVERY)) {
      DurableJobs.status(node.system(), "warm-up").toCompletableFuture().get(1, TimeUnit.MINUTES);
      r.put("recovery ms, with snapshots", recoveryMillis(node, withSnapshots));
      r.put("recovery ms, without snapshots", recoveryMillis(node, withoutSnapshots));
    }
    if (journal.equals("postgresql")) {
      String url = System.getenv("TESSERA_BENCH_POSTGRES_URL");
      String database = ((String) config.get("tessera.persistence.jdbc.url")).replaceAll(".*/([^/?]+).*", "$1");
      try (Connection admin = DriverManager.getConnection(url, (String) config.get("tessera.persistence.jdbc.user"),
          (String) config.get("tessera.persistence.jdbc.password"))) {
        admin.createStatement().execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      }
    }
    return r;
  }

  private static double recoveryMillis(ComputeNode node, String jobId) throws Exception {
    long t = System.nanoTime();
    JobStatus status = DurableJobs.status(node.system(), jobId).toCompletableFuture().get(5, TimeUnit.MINUTES);
    double ms = (System.nanoTime() - t) / 1e6;
    if (!status.state().equals(JobStatus.FINISHED) || status.progress().done() != TASKS) {
      throw new IllegalStateException("recovered job " + jobId + " is not the finished job: " + status);
    }
    return ms;
  }

  private static void check(JobResult<Integer> result) {
    if (!result.succeeded() || result.results().size() != TASKS) {
      throw new IllegalStateException("a job did not finish with every result: " + result.progress());
    }
    for (int i = 0; i < TASKS; i++) {
      if (result.results().get(i) != i) {
        throw new IllegalStateException("task " + i + " returned " + result.results().get(i));
      }
    }
  }

  private static Map<String, Object> journalConfig(String journal, Path dataDir) throws Exception {
    Map<String, Object> config = new HashMap<>();
    config.put("tessera.persistence.data-dir", dataDir.toString());
    if (journal.equals("postgresql")) {
      String url = System.getenv("TESSERA_BENCH_POSTGRES_URL");
      if (url == null) {
        throw new IllegalStateException("set TESSERA_BENCH_POSTGRES_URL (and _USER, _PASSWORD) to bench PostgreSQL");
      }
      String user = System.getenv().getOrDefault("TESSERA_BENCH_POSTGRES_USER", "tessera");
      String password = System.getenv().getOrDefault("TESSERA_BENCH_POSTGRES_PASSWORD", "");
      String database = "tessera_bench_" + System.nanoTime();
      try (Connection admin = DriverManager.getConnection(url, user, password)) {
        admin.createStatement().execute("CREATE DATABASE " + database);
      }
      config.put("tessera.persistence.jdbc.url", url.replaceFirst("/[^/?]*(\\?|$)", "/" + database + "$1"));
      config.put("tessera.persistence.jdbc.profile", "slick.jdbc.PostgresProfile$");
      config.put("tessera.persistence.jdbc.driver", "org.postgresql.Driver");
      config.put("tessera.persistence.jdbc.user", user);
      config.put("tessera.persistence.jdbc.password", password);
    }
    return config;
  }

  private static ComputeNode start(Map<String, Object> journal, int snapshotEvery) throws Exception {
    Map<String, Object> config = new HashMap<>(journal);
    config.put("tessera.node.port", 0);
    config.put("tessera.node.management.enabled", false);
    config.put("tessera.node.roles", List.of("worker"));
    config.put("tessera.persistence.jobs.enabled", true);
    config.put("tessera.persistence.jobs.snapshot-every", snapshotEvery);
    ComputeNode node = ComputeNode.start(NodeConfigLoader.load(com.typesafe.config.ConfigFactory.parseMap(config)));
    node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return node;
  }

  /** Rows the job's coordinator wrote to the journal, read from the database itself. */
  private static long events(Map<String, Object> config, String jobId) throws Exception {
    String url = (String) config.getOrDefault("tessera.persistence.jdbc.url",
        "jdbc:h2:file:" + config.get("tessera.persistence.data-dir") + "/journal;WRITE_DELAY=0");
    String user = (String) config.getOrDefault("tessera.persistence.jdbc.user", "sa");
    String password = (String) config.getOrDefault("tessera.persistence.jdbc.password", "");
    try (JobJournalReader journal = JobJournalReader.open(url, user, password, jobId)) {
      return journal.eventCount();
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
