package dev.tessera.cli;

import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.launch.NodeMain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Where the {@code cluster} tool logs, chosen from its command line before the first logger exists.
 *
 * <ul>
 *   <li>{@code node} and {@code local} run nodes: their log is their output, on standard output.
 *   <li>Every other command ({@code jobs list}, {@code gpus}, {@code status}, ...) prints only its
 *       answer; its log (the client node joining and leaving, the journal's pool) goes to {@code
 *       $TMPDIR/tessera-cli/COMMAND-PID.log}, or to the file {@code TESSERA_CLI_LOG} names. The
 *       file is named on standard error when the command fails, and deleted when it succeeds or
 *       stays empty (unless {@code TESSERA_CLI_LOG} chose it).
 * </ul>
 *
 * A {@code -Dlogback.configurationFile} of the user's own wins over both.
 */
final class CliLogging {

  /** System property holding the log file of a command that logs to a file (read by the logback config). */
  static final String LOG_FILE_PROPERTY = "tessera.cli.log-file";
  /** The option that sets the log level, of the tool and of the nodes it starts. */
  static final String LOG_LEVEL_OPTION = "--log-level";
  /**
   * System property the Logback configurations read the root level from; node processes started
   * by {@code local} are given it too ({@code NodeProcess.classArguments}).
   */
  static final String LOG_LEVEL_PROPERTY = dev.tessera.runtime.launch.NodeProcess.LOG_LEVEL_PROPERTY;
  /** Environment variable naming a log file to use (and keep) instead of a temporary one. */
  static final String LOG_FILE_ENV = "TESSERA_CLI_LOG";

  private static final Set<String> LOG_TO_STDOUT = Set.of("node", "local");
  private static final String STDOUT_CONFIG = NodeMain.LOGGING_CONFIG;
  private static final String FILE_CONFIG = "tessera-cli-file-logback.xml";

  private final Optional<Path> file;
  private final boolean temporary;

  private CliLogging(Optional<Path> file, boolean temporary) {
    this.file = file;
    this.temporary = temporary;
  }

  /** Chooses the logging of the command {@code args} run; call before anything logs. */
  static CliLogging configure(String[] args) {
    logLevel(args).ifPresent(level -> System.setProperty(LOG_LEVEL_PROPERTY, level));
    if (System.getProperty("logback.configurationFile") != null) {
      return new CliLogging(Optional.empty(), false);
    }
    String command = command(args);
    if (command.isEmpty() || LOG_TO_STDOUT.contains(command)) {
      System.setProperty("logback.configurationFile", STDOUT_CONFIG);
      return new CliLogging(Optional.empty(), false);
    }
    String chosen = System.getenv(LOG_FILE_ENV);
    Path path = chosen != null && !chosen.isBlank()
        ? Path.of(chosen)
        : Path.of(System.getProperty("java.io.tmpdir"), "tessera-cli",
            command.replaceAll("[^A-Za-z0-9_-]", "_") + "-" + ProcessHandle.current().pid() + ".log");
    try {
      Files.createDirectories(path.toAbsolutePath().getParent());
    } catch (IOException e) {
      // logback reports a file it cannot open on standard error; the command still runs
    }
    System.setProperty(LOG_FILE_PROPERTY, path.toString());
    System.setProperty("logback.configurationFile", FILE_CONFIG);
    return new CliLogging(Optional.of(path), chosen == null || chosen.isBlank());
  }

  /** The subcommand's name: the first argument that is neither an option nor {@code --log-level}'s value. */
  static String command(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals(LOG_LEVEL_OPTION)) {
        i++;
      } else if (!args[i].startsWith("-")) {
        return args[i];
      }
    }
    return "";
  }

  /**
   * The level {@code --log-level LEVEL} (or {@code --log-level=LEVEL}) asks for, if it names one;
   * picocli reports a value that names none, before anything runs.
   */
  static Optional<String> logLevel(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String value = null;
      if (args[i].equals(LOG_LEVEL_OPTION) && i + 1 < args.length) {
        value = args[i + 1];
      } else if (args[i].startsWith(LOG_LEVEL_OPTION + "=")) {
        value = args[i].substring(LOG_LEVEL_OPTION.length() + 1);
      }
      if (value != null) {
        String upper = value.toUpperCase(java.util.Locale.ROOT);
        return Arrays.stream(TesseraCommand.LogLevel.values()).anyMatch(l -> l.name().equals(upper))
            ? Optional.of(upper) : Optional.empty();
      }
    }
    return Optional.empty();
  }

  /** The log file of this command, when it logs to one that holds anything. */
  static Optional<Path> currentFile() {
    String path = System.getProperty(LOG_FILE_PROPERTY);
    if (path == null) {
      return Optional.empty();
    }
    Path file = Path.of(path);
    try {
      return Files.size(file) > 0 ? Optional.of(file) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** After the command: a temporary log is deleted when the command succeeded or it holds nothing. */
  void finish(int exitCode) {
    if (temporary && file.isPresent() && (exitCode == ExitCodes.OK || currentFile().isEmpty())) {
      try {
        Files.deleteIfExists(file.get());
      } catch (IOException e) {
        // left in the temporary directory
      }
    }
  }
}
