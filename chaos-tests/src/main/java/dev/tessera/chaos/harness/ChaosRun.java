package dev.tessera.chaos.harness;

import dev.tessera.persistence.jobs.CoordinatedJobs;
import dev.tessera.persistence.jobs.CoordinatedJobsClient;
import dev.tessera.persistence.jobs.DurableJobHandle;
import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobJournalReader;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.persistence.journal.JournalServer;
import dev.tessera.runtime.cluster.MembersView;
import dev.tessera.runtime.job.JobOptions;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.launch.NodeProcess;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.work.JobResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One chaos run: starts {@code nodes} node processes on loopback (workers and job coordinators,
 * sharing an H2 journal server in this JVM; for a partition, each node in a network namespace of
 * its own and the journal server a process on the namespaces' bridge, see {@link
 * NetworkNamespaces}), submits the job as a durable job from a client node
 * in this JVM that then leaves, carries out the fault schedule drawn from the seed, waits for the
 * job to end, gathers what happened (the job's results, the journal's commits, the tasks' own
 * record of their executions, every node's view of the membership) and judges it by the {@link
 * Invariants}. Every process it starts is stopped before it returns.
 *
 * <pre>{@code
 * ChaosReport report = ChaosRun.run(ChaosRun.Settings.of(Scenario.WORKER_KILL, 42, 3, Duration.ofSeconds(40), dir));
 * System.out.println(report.toMarkdown());
 * }</pre>
 *
 * <p>Writes {@code report.json} and {@code report.md} into the run's folder, beside the nodes' logs
 * ({@code logs/node-N.log}), the journal and the tasks' execution records.
 */
public final class ChaosRun {

  private static final Logger log = LoggerFactory.getLogger(ChaosRun.class);

  /**
   * @param job the job to run (see {@link ChaosJob})
   * @param dir the run's folder: logs, journal, work folder and report
   * @param options the durable job's options (its retry budget is what the invariants hold it to)
   * @param nodeConfig extra HOCON for every node (after the harness's own)
   */
  public record Settings(Scenario scenario, long seed, int nodes, Duration duration, ChaosJob<?, ?> job, Path dir,
      JobOptions options, String nodeConfig) {
    public Settings {
      Objects.requireNonNull(scenario, "scenario");
      Objects.requireNonNull(duration, "duration");
      Objects.requireNonNull(job, "job");
      Objects.requireNonNull(dir, "dir");
      Objects.requireNonNull(options, "options");
      Objects.requireNonNull(nodeConfig, "nodeConfig");
    }

    /** The harness's own job ({@link HashChainJob}), default job options. */
    public static Settings of(Scenario scenario, long seed, int nodes, Duration duration, Path dir) {
      return new Settings(scenario, seed, nodes, duration, new HashChainJob(), dir, JobOptions.defaults(), "");
    }

    public Settings withJob(ChaosJob<?, ?> value) {
      return new Settings(scenario, seed, nodes, duration, value, dir, options, nodeConfig);
    }

    public Settings withNodeConfig(String value) {
      return new Settings(scenario, seed, nodes, duration, job, dir, options, value);
    }
  }

  /** How long the job may run on after the schedule's duration before the run gives up on it. */
  static Duration grace(Duration duration) {
    return duration.compareTo(Duration.ofSeconds(90)) > 0 ? duration : Duration.ofSeconds(90);
  }

  private static final Duration NODES_UP = Duration.ofSeconds(120);
  private static final Duration CONVERGE = Duration.ofSeconds(60);

  private final Settings settings;
  private final FaultSchedule schedule;
  private final Path logs;
  private final Path work;
  private LocalCluster cluster;
  /** The journal's JDBC URL, the nodes' HOCON for it, and how to stop it. */
  private String journalUrl;
  /** The journal's password: the H2 server's generated one; none on the namespaces' journal process. */
  private String journalPassword = "";
  private String journalConfig;
  private AutoCloseable journal;
  /** The nodes' own network namespaces, for the partition scenario; null otherwise. */
  private NetworkNamespaces namespaces;
  private Path nodeConfigFile;
  /** The job's journal, read from outside the cluster; open while the schedule is carried out. */
  private JobJournalReader journalReader;
  /** Asks a node's management endpoint which jobs it coordinates: short, a frozen node must not stall a fault. */
  private final CoordinatedJobsClient coordinatedJobs = new CoordinatedJobsClient(Duration.ofSeconds(1));

  private ChaosRun(Settings settings) {
    this.settings = settings;
    this.schedule = FaultSchedule.draw(settings.scenario(), settings.seed(), settings.nodes(), settings.duration());
    this.logs = settings.dir().resolve("logs");
    this.work = settings.dir().resolve("work");
  }

  /** Runs one scenario; see the class comment. */
  public static ChaosReport run(Settings settings) throws Exception {
    return new ChaosRun(settings).execute();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private ChaosReport execute() throws Exception {
    if (settings.scenario() == Scenario.PARTITION) {
      java.util.Optional<String> why = NetworkNamespaces.unavailable();
      if (why.isPresent()) {
        throw new UnsupportedOperationException("the partition scenario needs each node in a network namespace of its own, "
            + "and " + why.get());
      }
    }
    Files.createDirectories(work);
    ChaosJob job = settings.job();
    ChaosJob.Context context = new ChaosJob.Context(work, settings.nodes(), settings.duration(), settings.seed());
    List<Object> inputs = job.inputs(context);
    Set<Integer> poisoned = job.poisoned(inputs);
    Path referenceDir = Files.createDirectories(settings.dir().resolve("reference-work"));
    List<Object> reference = job.reference(job.inputs(new ChaosJob.Context(referenceDir, settings.nodes(),
        settings.duration(), settings.seed())), context);
    String jobName = job.getClass().getSimpleName() + " (" + inputs.size() + " tasks)";
    log.info("{}, seed {}: {} nodes, {} s, {}; schedule: {}", settings.scenario().cliName(), settings.seed(),
        settings.nodes(), settings.duration().toSeconds(), jobName, schedule.faults());

    if (settings.scenario() == Scenario.PARTITION) {
      namespaces = NetworkNamespaces.create(settings.nodes());
    }
    try {
      if (namespaces == null) {
        JournalServer server = JournalServer.start(settings.dir().resolve("journal"));
        journal = server;
        journalUrl = server.url();
        journalPassword = server.password();
        journalConfig = server.nodeConfig();
      } else {
        JournalProcess server = JournalProcess.start(settings.dir().resolve("journal"), namespaces.bridgeAddress(),
            settings.dir().resolve("journal.log"));
        journal = server;
        journalUrl = server.url();
        journalConfig = server.nodeConfig();
      }
      startCluster();
      String jobId;
      try (ComputeNode client = client()) {
        DurableJobHandle<?> handle = DurableJobs.submit(client.system(), job.taskType(), inputs, settings.options());
        handle.submitted().toCompletableFuture().get(60, TimeUnit.SECONDS);
        jobId = handle.id();
      } // the client leaves: the cluster is the node processes alone, as the schedule assumes
      log.info("job {} submitted", jobId);

      List<ChaosReport.FaultOutcome> outcomes;
      boolean finished;
      try (JobJournalReader journalReader = JobJournalReader.open(journalUrl, "sa", journalPassword, jobId)) {
        this.journalReader = journalReader;
        List<Applied> applied = applySchedule(jobId);
        long deadline = System.nanoTime() + grace(settings.duration()).toNanos();
        while (!journalReader.ended() && System.nanoTime() < deadline) {
          Thread.sleep(200);
        }
        finished = journalReader.ended();
        log.info(finished ? "job {} ended" : "job {} had not ended by the deadline", jobId);
        String restarted = restartDowned();
        if (restarted != null) {
          log.info("after the schedule: {}", restarted);
        }
        Map<String, Map<String, String>> membership = convergedMembership();

        try (ComputeNode client = client()) {
          JobJournalReader.Reading reading = journalReader.read(client.system());
          List<Object> results = new ArrayList<>(java.util.Collections.nCopies(inputs.size(), null));
          Map<Integer, String> failures = new TreeMap<>();
          int duplicates = 0;
          if (finished) {
            DurableJobHandle<Object> attached = DurableJobs.attach(client.system(), jobId, job.taskType());
            JobResult<Object> result = attached.result().toCompletableFuture().get(120, TimeUnit.SECONDS);
            results = new ArrayList<>(result.results());
            result.failures().forEach((task, failure) -> failures.put(task, failure.lastCause()));
            JobStatus status = attached.status().toCompletableFuture().get(30, TimeUnit.SECONDS);
            duplicates = status.progress().duplicatesDropped();
          }
          List<ChaosJob.Execution> executions = job.executions(context);
          Map<Integer, Integer> executionCounts = new HashMap<>();
          if (executions.isEmpty()) {
            executionCounts.putAll(reading.attempts()); // the job does not count: the coordinators' count
          } else {
            executions.forEach(e -> executionCounts.merge(e.task(), 1, Integer::sum));
          }
          Map<Integer, Integer> deliveries = new HashMap<>();
          reading.commits().forEach(c -> deliveries.merge(c.task(), 1, Integer::sum));
          List<RunObservation.CoordinatorSpan> coordinators = reading.writers().stream()
              .map(w -> new RunObservation.CoordinatorSpan("writer " + w.writer().substring(0, Math.min(8, w.writer().length())),
                  Instant.ofEpochMilli(w.fromMillis()), Instant.ofEpochMilli(w.toMillis())))
              .toList();
          RunObservation observation = new RunObservation(finished, results, reference, deliveries, failures, executionCounts,
              settings.options().maxAttempts(), poisoned, membership, coordinators);
          outcomes = outcomes(applied, new RecoveryTimes(executions, reading.commits(), poisoned));
          int retried = (int) executionCounts.entrySet().stream()
              .filter(e -> e.getValue() > 1 && !poisoned.contains(e.getKey())).count();
          ChaosReport report = new ChaosReport(settings.scenario(), settings.seed(), settings.nodes(), settings.duration(),
              jobName, outcomes, retried, duplicates, Invariants.check(observation));
          Files.writeString(settings.dir().resolve("report.json"), report.toJson(), StandardCharsets.UTF_8);
          Files.writeString(settings.dir().resolve("report.md"), report.toMarkdown(), StandardCharsets.UTF_8);
          return report;
        }
      }
    } finally {
      if (cluster != null) {
        cluster.stopAll(Duration.ofSeconds(10));
      }
      if (journal != null) {
        journal.close();
      }
      if (namespaces != null) {
        namespaces.close();
      }
    }
  }

  /** Where this JVM is reached from the nodes: loopback, or the namespaces' bridge. */
  private String localAddress() {
    return namespaces == null ? "127.0.0.1" : namespaces.bridgeAddress();
  }

  // ---- the cluster ----

  private void startCluster() throws IOException, InterruptedException {
    nodeConfigFile = settings.dir().resolve("nodes.conf");
    Files.writeString(nodeConfigFile, journalConfig
        + "tessera.persistence.jobs.role = coordinator\n"
        + "tessera.work-pulling.worker.capacity = " + HashChainJob.CAPACITY + "\n"
        + settings.nodeConfig() + "\n"
        // The namespaces' addresses are off loopback but never leave this machine (a bridge of the
        // test's own): plaintext is allowed there, as it is nowhere else by default.
        + (namespaces == null ? "" : "tessera.node.insecure-plaintext = on\n"));
    LocalCluster.Spec spec = LocalCluster.Spec.onFreePorts(settings.nodes(), logs)
        .withRoles(List.of("worker", "coordinator"))
        .withExtraNodeArguments(List.of("--config", nodeConfigFile.toString()));
    if (namespaces != null) {
      spec = spec.withHosts(namespaces.nodeHosts());
    }
    cluster = LocalCluster.startOnFreePorts(spec);
    awaitAllUp(NODES_UP);
  }

  /** Waits until every node process is running and sees every node Up; returns when that was. */
  private long awaitAllUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (allUp()) {
        return System.currentTimeMillis();
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the " + settings.nodes() + " nodes were not all Up within " + timeout.toSeconds()
        + " s; their logs are in " + logs);
  }

  private boolean allUp() {
    for (int i = 1; i <= settings.nodes(); i++) {
      NodeProcess node = cluster.node(i);
      if (node == null || !node.isAlive()) {
        return false;
      }
      try {
        MembersView view = cluster.view(i); // one HTTP request per node and poll
        if (view.upCount() != settings.nodes() || !view.unreachable().isEmpty()) {
          return false;
        }
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  /** This JVM as a client node: submits and reads, coordinates and works on nothing. */
  private ComputeNode client() throws Exception {
    Map<String, Object> config = Map.of(
        "tessera.node.host", localAddress(),
        "tessera.node.insecure-plaintext", namespaces != null,
        "tessera.persistence.jobs.enabled", true,
        "tessera.persistence.jobs.role", "coordinator",
        "tessera.persistence.jdbc.url", journalUrl,
        "tessera.persistence.jdbc.password", journalPassword);
    return ComputeNode.joinAsClient(cluster.spec().seedList(), config, Duration.ofSeconds(90));
  }

  /**
   * Every node's view once they agree (or the views as they are after {@link #CONVERGE}); a node
   * whose process is not running is reported as such.
   */
  private Map<String, Map<String, String>> convergedMembership() throws InterruptedException {
    long deadline = System.nanoTime() + CONVERGE.toNanos();
    while (!allUp() && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    Map<String, Map<String, String>> views = new TreeMap<>();
    for (int i = 1; i <= settings.nodes(); i++) {
      NodeProcess node = cluster.node(i);
      if (node == null || !node.isAlive()) {
        // Every schedule leaves every node running: one that is not is a failure to report.
        views.put("node " + i, Map.of("(its process)", node == null ? "never started"
            : "exited with code " + node.exitValue() + " (log: " + node.logFile() + ")"));
      } else {
        try {
          MembersView view = cluster.view(i);
          Map<String, String> members = new TreeMap<>();
          view.members().forEach(m -> members.put(m.hostPort(), m.status()));
          view.unreachable().forEach(u -> members.put(u.node().replaceFirst("^.*@", ""), "unreachable"));
          views.put("node " + i, members);
        } catch (IOException e) {
          views.put("node " + i, Map.of("(its own view)", "not answering: " + e.getMessage()));
        }
      }
    }
    return views;
  }

  // ---- the faults ----

  /** A fault as it was carried out: when, on which node processes, and what else the reader should know. */
  private record Applied(FaultSchedule.TimedFault planned, long atMillis, Duration at, Set<Long> victims, String note,
      Long allUpMillis) {}

  private List<Applied> applySchedule(String jobId) throws Exception {
    List<Applied> applied = new ArrayList<>();
    long start = System.nanoTime();
    long startMillis = System.currentTimeMillis();
    long shift = 0;
    for (FaultSchedule.TimedFault timed : schedule.faults()) {
      long wait = start + shift + timed.at().toNanos() - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      // The scenarios take out one node at a time: a node started again is back only once its
      // previous incarnation has been removed and it has joined. Until then a second fault would
      // leave a minority, which downs itself. So a fault waits for that, and the rest of the
      // schedule moves by the same time (the order and the spacing stay as drawn).
      String waited = null;
      if (takesANodeOut(timed.fault()) && !allUp()) {
        long before = System.nanoTime();
        awaitAllUp(NODES_UP);
        shift += System.nanoTime() - before;
        waited = "waited " + RecoveryTimes.seconds((System.nanoTime() - before) / 1_000_000) + " for every node to be Up first";
      }
      long at = System.currentTimeMillis();
      Applied done = apply(timed, at, Duration.ofMillis(at - startMillis), jobId);
      if (waited != null) {
        done = new Applied(done.planned(), done.atMillis(), done.at(), done.victims(),
            done.note() == null ? waited : waited + "; " + done.note(), done.allUpMillis());
      }
      log.info("{} at {} s{}", timed.fault().describe(), String.format(java.util.Locale.ROOT, "%.1f", done.at().toMillis() / 1000.0),
          done.note() == null ? "" : " (" + done.note() + ")");
      applied.add(done);
    }
    return applied;
  }

  /** Marks a fault on the node running the job's coordinator: its recovery is a coordinator's. */
  static final String ON_COORDINATOR = "it ran the job's coordinator";

  /**
   * A fault timed from when it took effect (the process reaped, the signal delivered), not from
   * when the harness set about it: a result committed in between (spawning {@code kill -STOP}
   * takes milliseconds) would otherwise read as recovery in 0.0 s.
   */
  private static Applied inEffect(FaultSchedule.TimedFault timed, long began, Duration since, Set<Long> victims, String note) {
    long now = System.currentTimeMillis();
    return new Applied(timed, now, since.plusMillis(now - began), victims, note, null);
  }

  private static boolean takesANodeOut(Fault fault) {
    return fault instanceof Fault.Kill || fault instanceof Fault.Stop || fault instanceof Fault.Freeze
        || fault instanceof Fault.KillCoordinatorNode || fault instanceof Fault.KillAll || fault instanceof Fault.Partition;
  }

  private Applied apply(FaultSchedule.TimedFault timed, long at, Duration since, String jobId) throws Exception {
    Fault fault = timed.fault();
    if (fault instanceof Fault.Kill kill) {
      String note = coordinatorNode(jobId, false) == kill.node() ? ON_COORDINATOR : null;
      return inEffect(timed, at, since, Set.of(kill(kill.node())), note);
    } else if (fault instanceof Fault.Stop stop) {
      String note = coordinatorNode(jobId, false) == stop.node() ? ON_COORDINATOR : null;
      NodeProcess node = cluster.node(stop.node());
      long pid = node.pid();
      node.terminate();
      if (!node.awaitExit(Duration.ofSeconds(30))) {
        node.kill();
        node.awaitExit(Duration.ofSeconds(10));
        note = (note == null ? "" : note + "; ") + "did not stop within 30 s of SIGTERM: killed";
      }
      return new Applied(timed, at, since, Set.of(pid), note, null);
    } else if (fault instanceof Fault.Freeze freeze) {
      String note = coordinatorNode(jobId, false) == freeze.node() ? ON_COORDINATOR : null;
      NodeProcess node = cluster.node(freeze.node());
      node.freeze();
      return inEffect(timed, at, since, Set.of(node.pid()), note);
    } else if (fault instanceof Fault.Resume resume) {
      NodeProcess node = cluster.node(resume.node());
      node.resume();
      // A node frozen long enough to be downed learns so when it wakes, and exits: start it again.
      node.awaitExit(Duration.ofSeconds(3));
      return new Applied(timed, at, since, Set.of(), restartDowned(), null);
    } else if (fault instanceof Fault.Start startFault) {
      if (cluster.node(startFault.node()).isAlive()) {
        return new Applied(timed, at, since, Set.of(), "it was running", null);
      }
      start(startFault.node());
      return new Applied(timed, at, since, Set.of(), null, null);
    } else if (fault instanceof Fault.KillCoordinatorNode) {
      int node = coordinatorNode(jobId, true);
      if (node < 0) {
        return new Applied(timed, at, since, Set.of(), "the job had committed its last result before this fault:"
            + " it had ended, no node coordinates it, and no node was killed", null);
      }
      long pid = kill(node);
      return inEffect(timed, System.currentTimeMillis(), since, Set.of(pid), "node " + node);
    } else if (fault instanceof Fault.KillAll) {
      Set<Long> pids = new HashSet<>();
      for (int i = 1; i <= settings.nodes(); i++) {
        if (cluster.node(i).isAlive()) {
          pids.add(cluster.node(i).pid());
          cluster.node(i).kill();
        }
      }
      for (int i = 1; i <= settings.nodes(); i++) {
        cluster.node(i).awaitExit(Duration.ofSeconds(10));
      }
      return inEffect(timed, at, since, pids, null);
    } else if (fault instanceof Fault.StartStopped) {
      List<Integer> started = new ArrayList<>();
      for (int i = 1; i <= settings.nodes(); i++) {
        if (!cluster.node(i).isAlive()) {
          start(i);
          started.add(i);
        }
      }
      long allUp = awaitAllUp(NODES_UP);
      return new Applied(timed, at, since, Set.of(), "started nodes " + started, allUp);
    } else if (fault instanceof Fault.Partition partition) {
      int coordinator = coordinatorNode(jobId, false);
      namespaces.partition(partition.sideA(), partition.sideB());
      // The cut is made by several commands: it counts from when the last is in place.
      long cut = System.currentTimeMillis();
      Set<Long> minority = new HashSet<>();
      partition.sideB().forEach(i -> minority.add(cluster.node(i).pid()));
      return new Applied(timed, cut, since.plusMillis(cut - at), minority,
          partition.sideB().contains(coordinator) ? ON_COORDINATOR : null, null);
    } else if (fault instanceof Fault.Heal) {
      namespaces.heal();
      return new Applied(timed, at, since, Set.of(), restartDowned(), null);
    }
    // Unreachable: Fault is sealed and each of its kinds is handled above (Java 17 cannot say so
    // with an exhaustive switch).
    throw new IllegalStateException("a kind of fault this harness does not know: " + fault.describe());
  }

  /**
   * Starts again every node that exited because the cluster downed it (exit code 5: a node cut
   * off on the minority side, or frozen past the split brain resolver's patience), as a service
   * manager would. A node that exited otherwise stays down, and the membership invariant says so.
   */
  private String restartDowned() throws IOException {
    List<Integer> restarted = new ArrayList<>();
    for (int i = 1; i <= settings.nodes(); i++) {
      NodeProcess node = cluster.node(i);
      if (node != null && !node.isAlive() && node.exitValue() == DOWNED_EXIT_CODE) {
        start(i);
        restarted.add(i);
      }
    }
    return restarted.isEmpty() ? null : "downed nodes " + restarted + " exited with code 5; started again";
  }

  /** What a node exits with when the cluster downed it ({@code ExitCodes.DOWNED}). */
  private static final int DOWNED_EXIT_CODE = dev.tessera.runtime.launch.ExitCodes.DOWNED;

  private long kill(int i) throws InterruptedException {
    NodeProcess node = cluster.node(i);
    long pid = node.pid();
    node.kill();
    node.awaitExit(Duration.ofSeconds(10));
    return pid;
  }

  private void start(int i) throws IOException {
    cluster.startNode(i);
  }

  /**
   * The running node that coordinates the job, as the nodes' management endpoints say ({@code GET
   * /jobs/coordinating}: the harness is no cluster member, so it asks each node over HTTP); when
   * several say so (one cut off that has not noticed yet), the one that began latest. Without
   * {@code wait}: -1 if none does. With it: waits up to 30 s for one to, and -1 if the job ended
   * meanwhile (its end is in the journal: nobody coordinates it any more).
   */
  private int coordinatorNode(String jobId, boolean wait) throws java.sql.SQLException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      int found = -1;
      long latest = Long.MIN_VALUE;
      for (int i = 1; i <= settings.nodes(); i++) {
        NodeProcess node = cluster.node(i);
        if (node == null || !node.isAlive()) {
          continue;
        }
        CoordinatedJobs.Report report;
        try {
          report = coordinatedJobs.fetch(cluster.spec().host(i), cluster.spec().httpPort(i));
        } catch (IOException e) {
          continue; // starting, stopping or frozen: it coordinates nothing the harness could act on
        }
        for (CoordinatedJobs.CoordinatedJob job : report.jobs()) {
          if (job.jobId().equals(jobId) && job.sinceMillis() >= latest) {
            latest = job.sinceMillis();
            found = i;
          }
        }
      }
      if (found > 0 || !wait || journalReader.ended()) {
        return found;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no running node says it coordinates job " + jobId + " (logs in " + logs + ")");
      }
      Thread.sleep(100);
    }
  }

  // ---- recovery ----

  private static List<ChaosReport.FaultOutcome> outcomes(List<Applied> applied, RecoveryTimes recovery) {
    List<ChaosReport.FaultOutcome> outcomes = new ArrayList<>();
    Applied killedAll = null;
    for (Applied a : applied) {
      Fault fault = a.planned().fault();
      RecoveryTimes.Outcome outcome;
      if (fault instanceof Fault.KillAll) {
        killedAll = a;
        outcome = new RecoveryTimes.Outcome(null, "measured from the restart");
      } else if (fault instanceof Fault.StartStopped && killedAll != null && a.allUpMillis() != null) {
        outcome = recovery.afterRestart(a.atMillis(), a.allUpMillis());
        killedAll = null;
      } else if (!a.victims().isEmpty()) {
        boolean coordinatorMoves = fault instanceof Fault.KillCoordinatorNode
            || (a.note() != null && a.note().contains(ON_COORDINATOR));
        outcome = recovery.afterFault(a.atMillis(), a.victims(), coordinatorMoves);
      } else {
        outcome = new RecoveryTimes.Outcome(null, null);
      }
      String note = a.note() == null ? outcome.note() : outcome.note() == null ? a.note() : a.note() + "; " + outcome.note();
      outcomes.add(new ChaosReport.FaultOutcome(a.at(), fault.describe(), outcome.recovery(), note));
    }
    return outcomes;
  }
}
