package dev.tessera.chaos.harness;

import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.launch.TesseraVersion;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * {@code bin/chaos}: runs chaos scenarios against real node processes on this machine and prints
 * each run's report; with {@code --runs}, the median and longest recovery time of each kind of
 * fault over the runs. Exits 0 when every invariant held in every run, 1 when one did not, 2 on a
 * usage error.
 */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    versionProvider = ChaosCommand.Version.class,
    description = "Kill, freeze and restart real Tessera nodes while a job runs, and check that nothing is lost or done twice.")
public final class ChaosCommand implements Callable<Integer> {

  /** What {@code --version} prints: {@link TesseraVersion#lines()}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return TesseraVersion.lines();
    }
  }

  @Option(names = "--scenario", required = true, paramLabel = "NAME",
      description = "worker-kill, worker-freeze, coordinator-kill, whole-cluster-restart, rolling-restart, partition, or all")
  String scenario;

  @Option(names = "--seed", paramLabel = "S", description = "seed of the fault schedule (default: drawn, and printed)")
  Long seed;

  @Option(names = "--runs", paramLabel = "R", defaultValue = "1",
      description = "runs of each scenario, with seeds S, S+1, ... (default: ${DEFAULT-VALUE})")
  int runs;

  @Option(names = "--nodes", paramLabel = "N", defaultValue = "3", description = "node processes (default: ${DEFAULT-VALUE})")
  int nodes;

  @Option(names = "--duration", paramLabel = "D", defaultValue = "40s",
      description = "how long faults go on, e.g. 40s or 2m (default: ${DEFAULT-VALUE})")
  String duration;

  @Option(names = "--job", paramLabel = "CLASS",
      description = "a ChaosJob class on the classpath (TESSERA_CLASSPATH adds yours); default: the suite's hash-chain job")
  String job;

  @Option(names = "--node-config", paramLabel = "FILE",
      description = "extra HOCON for every node, e.g. failure detection settings to compare")
  Path nodeConfig;

  @Option(names = "--out", paramLabel = "DIR",
      description = "where each run's logs, journal and report go (default: chaos-runs/<date-time>)")
  Path out;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    CommandLine cmd = new CommandLine(new ChaosCommand());
    cmd.setExecutionExceptionHandler(ChaosCommand::onError);
    System.exit(cmd.execute(args));
  }

  /** A mistake in the arguments: one line and exit code 2; anything else: the stack trace and 1. */
  static int onError(Exception e, CommandLine line, CommandLine.ParseResult parsed) {
    if (e instanceof IllegalArgumentException) {
      line.getErr().println("error: " + e.getMessage());
      line.getErr().flush();
      return ExitCodes.USAGE;
    }
    e.printStackTrace(line.getErr());
    line.getErr().flush();
    return ExitCodes.FAILURE;
  }

  @Override
  public Integer call() throws Exception {
    List<Scenario> scenarios = scenario.equals("all")
        ? Arrays.stream(Scenario.values()).toList()
        : List.of(Scenario.parse(scenario));
    Duration length = parseDuration(duration);
    ChaosJob<?, ?> chaosJob = job == null ? new HashChainJob() : loadJob(job);
    long firstSeed = seed != null ? seed : new java.util.Random().nextInt(1_000_000);
    String extraConfig = "";
    if (nodeConfig != null) {
      if (!Files.isReadable(nodeConfig)) {
        throw new IllegalArgumentException("--node-config: cannot read " + nodeConfig);
      }
      extraConfig = Files.readString(nodeConfig);
      try {
        com.typesafe.config.ConfigFactory.parseString(extraConfig);
      } catch (com.typesafe.config.ConfigException e) {
        throw new IllegalArgumentException("--node-config: " + nodeConfig + " is not valid HOCON: " + e.getMessage());
      }
    }
    if (runs < 1) {
      throw new IllegalArgumentException("--runs must be at least 1, got " + runs);
    }
    for (Scenario s : scenarios) { // fail on a bad combination before anything starts
      FaultSchedule.draw(s, firstSeed, nodes, length);
    }
    Path root = out != null ? out
        : Path.of("chaos-runs", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    PrintWriter stdout = spec.commandLine().getOut();
    stdout.printf("chaos: %s, seeds %d..%d, %d nodes, %d s each; runs in %s%n", scenarioNames(scenarios), firstSeed,
        firstSeed + runs - 1, nodes, length.toSeconds(), root.toAbsolutePath());
    stdout.flush();

    List<ChaosReport> reports = new ArrayList<>();
    StringBuilder all = new StringBuilder();
    for (Scenario s : scenarios) {
      for (int r = 0; r < runs; r++) {
        long runSeed = firstSeed + r;
        Path dir = root.resolve(s.cliName() + "-seed-" + runSeed);
        Files.createDirectories(dir);
        ChaosReport report;
        try {
          report = ChaosRun.run(ChaosRun.Settings.of(s, runSeed, nodes, length, dir).withJob(chaosJob).withNodeConfig(extraConfig));
        } catch (UnsupportedOperationException e) {
          stdout.printf("## %s, seed %d: skipped: %s%n%n", s.cliName(), runSeed, e.getMessage());
          stdout.flush();
          continue;
        }
        reports.add(report);
        stdout.println(report.toMarkdown());
        stdout.flush();
        all.append(report.toMarkdown()).append('\n');
      }
    }
    String summary = summary(reports);
    stdout.println(summary);
    stdout.flush();
    Files.createDirectories(root);
    Files.writeString(root.resolve("summary.md"), all + summary, StandardCharsets.UTF_8);
    return reports.stream().allMatch(ChaosReport::passed) ? ExitCodes.OK : ExitCodes.FAILURE;
  }

  /** Median and longest recovery per kind of fault, and how many runs passed. */
  static String summary(List<ChaosReport> reports) {
    Map<String, List<Duration>> byKind = new LinkedHashMap<>();
    for (ChaosReport report : reports) {
      for (ChaosReport.FaultOutcome fault : report.faults()) {
        if (fault.recovery() != null) {
          String kind = kind(report.scenario(), fault.fault(),
              fault.note() != null && fault.note().contains(ChaosRun.ON_COORDINATOR));
          byKind.computeIfAbsent(kind, k -> new ArrayList<>()).add(fault.recovery());
        }
      }
    }
    StringBuilder md = new StringBuilder();
    long passed = reports.stream().filter(ChaosReport::passed).count();
    md.append(String.format(Locale.ROOT, "%d of %d runs passed every invariant.%n%n", passed, reports.size()));
    md.append("| recovery after | faults | median | max |\n|---|---|---|---|\n");
    byKind.forEach((kind, times) -> {
      List<Long> millis = times.stream().map(Duration::toMillis).sorted().toList();
      long median = millis.size() % 2 == 1 ? millis.get(millis.size() / 2)
          : (millis.get(millis.size() / 2 - 1) + millis.get(millis.size() / 2)) / 2;
      md.append(String.format(Locale.ROOT, "| %s | %d | %.1f s | %.1f s |%n", kind, millis.size(), median / 1000.0,
          millis.get(millis.size() - 1) / 1000.0));
    });
    return md.toString();
  }

  /** The kind of fault a recovery time belongs to: a fault on the coordinator's node counts as the coordinator's. */
  static String kind(Scenario scenario, String fault, boolean onCoordinator) {
    String where = onCoordinator ? "the coordinator's node" : "a worker node";
    if (fault.startsWith("start every")) {
      return scenario == Scenario.WHOLE_CLUSTER_RESTART ? "whole-cluster restart (from every node Up)" : "restart";
    }
    if (fault.startsWith("kill -9 the coordinator")) {
      return "kill -9 of the coordinator's node";
    }
    if (fault.startsWith("kill -9 node")) {
      return "kill -9 of " + where;
    }
    if (fault.startsWith("freeze")) {
      return "freeze of " + where;
    }
    if (fault.startsWith("stop")) {
      return "stop (SIGTERM) of " + where;
    }
    return fault.replaceAll("\\d+", "N");
  }

  static Duration parseDuration(String text) {
    try {
      return com.typesafe.config.ConfigFactory.parseString("d = \"" + text.replace("\"", "") + "\"").getDuration("d");
    } catch (com.typesafe.config.ConfigException e) {
      throw new IllegalArgumentException("--duration: not a duration: '" + text + "' (write e.g. 40s or 2m)");
    }
  }

  static ChaosJob<?, ?> loadJob(String className) {
    try {
      Class<?> type = Class.forName(className);
      if (!ChaosJob.class.isAssignableFrom(type)) {
        throw new IllegalArgumentException("--job: " + className + " does not implement " + ChaosJob.class.getName());
      }
      return (ChaosJob<?, ?>) type.getConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("--job: no class " + className + " on the classpath (add yours with TESSERA_CLASSPATH)");
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException("--job: " + className + " needs a public constructor without arguments");
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("--job: cannot create " + className + ": " + e);
    }
  }

  private static String scenarioNames(List<Scenario> scenarios) {
    return String.join(", ", scenarios.stream().map(Scenario::cliName).toList());
  }
}
