package dev.tessera.cli;

import dev.tessera.persistence.jobs.DurableJobs;
import dev.tessera.persistence.jobs.JobRegistry;
import dev.tessera.persistence.jobs.JobStatus;
import dev.tessera.persistence.journal.ResultBlobs;
import dev.tessera.runtime.job.JobProgress;
import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code cluster jobs}: lists durable jobs with their state and progress, cancels one, purges old
 * ones, and prints the journal's schema. It joins the cluster for a moment as a client node (no
 * tasks, no coordinators), so it needs a seed and the cluster's journal settings. It prints only
 * its answer: the client node's log goes to a file, named when the command fails (CliLogging).
 *
 * <pre>
 * cluster jobs list --seeds 127.0.0.1:25520            # a `tessera local` cluster: its data dir is found
 * cluster jobs cancel square-1f0c... --seeds db1:25520 --config cluster.conf
 * cluster jobs purge --older-than 7d --seeds 127.0.0.1:25520
 * cluster jobs schema postgresql > schema.sql
 * </pre>
 */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = "List, cancel and purge durable jobs; print the journal schema.",
    subcommands = {
      JobsCommand.ListJobs.class,
      JobsCommand.CancelJob.class,
      JobsCommand.PurgeJobs.class,
      JobsCommand.Schema.class
    })
final class JobsCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: list, cancel, purge or schema");
  }

  /** How to reach the cluster and its journal. */
  static final class Connection {
    @Option(names = {"-s", "--seeds"}, required = true, split = ",", paramLabel = "HOST:PORT",
        description = "A node of the cluster (or several).")
    List<String> seeds;

    @Option(names = "--config", paramLabel = "FILE",
        description = "The cluster's config (journal settings). Default: DATA_DIR/local-nodes.conf, as `tessera local` writes it.")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "./tessera-data",
        description = "Data directory of a `tessera local` cluster (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
        description = "Give up after this long (default ${DEFAULT-VALUE}).")
    String timeout;

    Duration timeout() {
      try {
        return Duration.parse("PT" + timeout.toUpperCase());
      } catch (RuntimeException e) {
        throw new CommandFailedException(ExitCodes.USAGE, "--timeout: '" + timeout + "' is not a duration like 60s");
      }
    }

    /** Joins the cluster as a client, runs {@code action}, leaves. */
    <T> T withClient(ClientAction<T> action) throws Exception {
      Path file = config != null ? config : dataDir.resolve("local-nodes.conf");
      if (!Files.isRegularFile(file)) {
        throw new CommandFailedException(ExitCodes.USAGE, "no cluster config at " + file
            + ": pass --config FILE with the cluster's journal settings (or --data-dir of a `tessera local` cluster)");
      }
      Map<String, Object> overrides = new HashMap<>(ComputeNode.clientSettings(seeds));
      overrides.put("tessera.persistence.jobs.enabled", true);
      // A client asks questions: it has no use for a GPU, and probing for one costs start-up time.
      overrides.put("tessera.gpu.mode", "off");
      Duration limit = timeout();
      try (ComputeNode node = ComputeNode.start(NodeConfigLoader.load(Optional.of(file), overrides))) {
        try {
          node.whenUp().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          throw new CommandFailedException(ExitCodes.JOIN_GAVE_UP, "could not join the cluster through " + seeds
              + " within " + limit.toSeconds() + " s");
        }
        return action.run(node, limit);
      } catch (ExecutionException e) {
        throw new CommandFailedException(ExitCodes.FAILURE, String.valueOf(e.getCause().getMessage()));
      }
    }
  }

  @FunctionalInterface
  interface ClientAction<T> {
    T run(ComputeNode node, Duration timeout) throws Exception;
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List jobs with their state and progress.")
  static final class ListJobs implements Callable<Integer> {
    @CommandLine.Mixin Connection connection = new Connection();
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      return connection.withClient((node, timeout) -> {
        List<JobRegistry.Entry> jobs = DurableJobs.list(node.system()).toCompletableFuture()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        out.printf("%-48s %-10s %15s %7s  %-19s  %-19s%n", "JOB", "STATE", "DONE/TOTAL", "FAILED", "SUBMITTED", "ENDED");
        for (JobRegistry.Entry job : jobs) {
          String state = job.state();
          int done = job.done();
          int total = job.total();
          int failed = job.failed();
          if (state.equals(JobStatus.RUNNING)) {
            JobStatus now = DurableJobs.status(node.system(), job.jobId()).toCompletableFuture()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (now.state().equals(JobStatus.SUBMITTING)) {
              state = JobStatus.SUBMITTING; // the registry lists it from its registration on
            }
            JobProgress live = now.progress();
            done = live.done();
            total = live.total();
            failed = live.failed();
          }
          out.printf("%-48s %-10s %15s %7d  %-19s  %-19s%n", job.jobId(), state, done + "/" + total, failed,
              time(job.submittedAtMillis()), job.endedAtMillis() == 0 ? "-" : time(job.endedAtMillis()));
        }
        out.printf("%d jobs%n", jobs.size());
        out.flush();
        return ExitCodes.OK;
      });
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a running job (its results so far stay).")
  static final class CancelJob implements Callable<Integer> {
    @CommandLine.Mixin Connection connection = new Connection();
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "JOB", description = "The job's id, as `jobs list` shows it.")
    String jobId;

    @Override
    public Integer call() throws Exception {
      return connection.withClient((node, timeout) -> {
        JobStatus status = DurableJobs.status(node.system(), jobId).toCompletableFuture()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (status.state().equals(JobStatus.UNKNOWN)) {
          throw new CommandFailedException(ExitCodes.FAILURE, "no job " + jobId);
        }
        DurableJobs.cancel(node.system(), jobId).toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        spec.commandLine().getOut().printf("job %s: %s, now cancelled (%d of %d done)%n", jobId, status.state(),
            status.progress().done(), status.progress().total());
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
      });
    }
  }

  @Command(name = "purge", mixinStandardHelpOptions = true,
      description = "Delete the journal entries of jobs that ended longer ago than --older-than.")
  static final class PurgeJobs implements Callable<Integer> {
    @CommandLine.Mixin Connection connection = new Connection();
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--older-than", required = true, paramLabel = "DURATION",
        description = "Retention, e.g. 7d, 12h, 30m (0s: every ended job).")
    String olderThan;

    @Override
    public Integer call() throws Exception {
      Duration retention = parseRetention(olderThan);
      return connection.withClient((node, timeout) -> {
        List<String> purged = DurableJobs.purge(node.system(), retention).toCompletableFuture()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        PrintWriter out = spec.commandLine().getOut();
        purged.forEach(id -> out.println("purged " + id));
        out.printf("%d jobs purged%n", purged.size());
        out.flush();
        return ExitCodes.OK;
      });
    }
  }

  @Command(name = "schema", mixinStandardHelpOptions = true,
      description = "Print the journal's DDL (pekko-persistence-jdbc's, and the table of large job results"
          + " beside it), for an administrator to run.")
  static final class Schema implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "DATABASE", description = "postgresql or h2")
    String database;

    @Override
    public Integer call() throws IOException {
      String resource = switch (database) {
        case "postgresql", "postgres" -> "schema/postgres/postgres-create-schema.sql";
        case "h2" -> "schema/h2/h2-create-schema.sql";
        default -> throw new CommandLine.ParameterException(spec.commandLine(),
            "DATABASE: '" + database + "' is not postgresql or h2");
      };
      try (InputStream in = JobsCommand.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new CommandFailedException(ExitCodes.FAILURE, resource + " is missing from the classpath");
        }
        spec.commandLine().getOut().print(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        // Durable jobs keep results above inline-result-bytes in a table of their own, in the same database.
        spec.commandLine().getOut().printf("%n%s;%n", ResultBlobs.DDL);
        spec.commandLine().getOut().flush();
      }
      return ExitCodes.OK;
    }
  }

  static Duration parseRetention(String text) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([dhms])").matcher(text.trim());
    if (!m.matches()) {
      throw new CommandFailedException(ExitCodes.USAGE, "--older-than: '" + text + "' is not a duration like 7d, 12h or 30m");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "d" -> Duration.ofDays(n);
      case "h" -> Duration.ofHours(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofSeconds(n);
    };
  }

  private static String time(long millis) {
    return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault())
        .format(Instant.ofEpochMilli(millis));
  }
}
