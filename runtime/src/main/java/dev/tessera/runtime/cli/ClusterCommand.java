package dev.tessera.runtime.cli;

import dev.tessera.runtime.node.InvalidNodeSettingsException;
import dev.tessera.runtime.node.NodeStartException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code cluster} command-line tool ({@code bin/cluster}).
 *
 * <p>Errors a person can fix (a bad flag, a bad config key, a taken port) print one line to standard
 * error and exit with a code from {@link ExitCodes}; only unexpected failures print a stack trace.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    versionProvider = TesseraVersion.class,
    description = "Start, inspect and secure Tessera compute nodes.",
    subcommands = {NodeCommand.class, LocalCommand.class, StatusCommand.class, CertsCommand.class})
public final class ClusterCommand implements Runnable {

  /** The logging configuration of the tool, kept out of the library's classpath root on purpose. */
  static final String LOGBACK_CONFIG = "tessera-cli-logback.xml";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
    }
    int code = commandLine().execute(args);
    if (code != NodeCommand.EXIT_ALREADY_UNDER_WAY) {
      System.exit(code);
    }
  }

  /** The configured command line, also used by tests to run commands in-process. */
  static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new ClusterCommand());
    for (CliExtension extension : java.util.ServiceLoader.load(CliExtension.class)) {
      cmd.addSubcommand(extension.command());
    }
    cmd.setParameterExceptionHandler(ClusterCommand::onUsageError);
    cmd.setExecutionExceptionHandler(ClusterCommand::onExecutionError);
    return cmd;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: node, local, status or certs");
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
    int code;
    if (e instanceof InvalidNodeSettingsException) {
      code = ExitCodes.USAGE;
    } else if (e instanceof NodeStartException start) {
      code =
          switch (start.reason()) {
            case UNRESOLVABLE_HOST -> ExitCodes.USAGE;
            case ADDRESS_IN_USE, ADDRESS_NOT_LOCAL -> ExitCodes.ADDRESS_UNAVAILABLE;
            case OTHER -> ExitCodes.FAILURE;
          };
    } else if (e instanceof CommandFailedException failed) {
      code = failed.exitCode();
    } else {
      e.printStackTrace(err);
      code = ExitCodes.FAILURE;
    }
    err.println("error: " + e.getMessage());
    err.flush();
    return code;
  }
}
