package dev.tessera.cli;

import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.launch.NodeRunner;
import dev.tessera.runtime.launch.TesseraVersion;
import java.io.PrintWriter;
import java.util.OptionalInt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * Entry point of the {@code cluster} command-line tool ({@code bin/tessera}).
 *
 * <p>Errors a person can fix (a bad flag, a bad config key, a taken port) print one line to standard
 * error and exit with a code from {@link ExitCodes}; only unexpected failures print a stack trace.
 * Commands that print an answer log to a file, named on that line when they fail ({@link CliLogging}).
 */
@Command(
    name = "tessera",
    mixinStandardHelpOptions = true,
    versionProvider = TesseraCommand.Version.class,
    description = "Start, inspect and secure Tessera compute nodes.",
    subcommands = {
      NodeCommand.class,
      LocalCommand.class,
      StatusCommand.class,
      TopCommand.class,
      CertsCommand.class,
      JobsCommand.class,
      GpusCommand.class,
      UpCommand.class,
      DownCommand.class,
      RestartCommand.class,
      LogsCommand.class
    })
public final class TesseraCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** Log levels {@code --log-level} takes (read before parsing by {@link CliLogging}; declared here for help and checks). */
  enum LogLevel { ERROR, WARN, INFO, DEBUG, TRACE }

  @Option(
      names = CliLogging.LOG_LEVEL_OPTION,
      scope = CommandLine.ScopeType.INHERIT,
      paramLabel = "LEVEL",
      description = "Log level of this command and the nodes it starts: ERROR, WARN, INFO (default), DEBUG or TRACE.")
  LogLevel logLevel;

  /** What {@code --version} prints: {@link TesseraVersion#lines()}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return TesseraVersion.lines();
    }
  }

  public static void main(String[] args) {
    CliLogging logging = CliLogging.configure(args);
    int code = commandLine().execute(args);
    logging.finish(code);
    if (code != NodeRunner.EXIT_ALREADY_UNDER_WAY) {
      System.exit(code);
    }
  }

  /** The configured command line, also used by tests to run commands in-process. */
  static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new TesseraCommand());
    cmd.setParameterExceptionHandler(TesseraCommand::onUsageError);
    cmd.setExecutionExceptionHandler(TesseraCommand::onExecutionError);
    return cmd;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: " + String.join(", ", spec.subcommands().keySet()));
  }

  private static int onUsageError(CommandLine.ParameterException e, String[] args) {
    PrintWriter err = e.getCommandLine().getErr();
    err.println("error: " + e.getMessage());
    err.println("try: " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help");
    err.flush();
    return ExitCodes.USAGE;
  }

  private static int onExecutionError(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
    PrintWriter err = cmd.getErr();
    OptionalInt known = ExitCodes.forFailure(e);
    int code;
    if (known.isPresent()) {
      code = known.getAsInt();
    } else if (e instanceof CommandFailedException failed) {
      code = failed.exitCode();
    } else {
      e.printStackTrace(err);
      code = ExitCodes.FAILURE;
    }
    String log = code == ExitCodes.USAGE ? "" : CliLogging.currentFile().map(f -> " (log: " + f + ")").orElse("");
    err.println("error: " + e.getMessage() + log);
    err.flush();
    return code;
  }
}
