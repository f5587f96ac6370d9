package dev.tessera.runtime.launch;

import java.io.PrintStream;
import java.util.List;
import java.util.OptionalInt;

/**
 * The entry point of a node process: {@code java -cp ... dev.tessera.runtime.launch.NodeMain node
 * --port 25521 --seeds 127.0.0.1:25520 ...}, as {@link NodeProcess} (and so {@code cluster local},
 * the samples and the multi-process tests) starts it; {@code --version} prints the version. It
 * needs nothing but the runtime on the classpath, no command-line library: the flags are those of
 * {@code cluster node} ({@link NodeArguments}), and a mistake ends the process as {@code cluster
 * node} would, with one line on standard error and an exit code from {@link ExitCodes}.
 *
 * <p>The node logs to standard output through {@value #LOGGING_CONFIG} (where Logback is on the
 * classpath), unless {@code -Dlogback.configurationFile} names another.
 */
public final class NodeMain {

  /** The Logback configuration node processes (and {@code cluster node}) log with. */
  public static final String LOGGING_CONFIG = "tessera-cli-logback.xml";

  private NodeMain() {}

  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", LOGGING_CONFIG);
    }
    // --log-level before anything logs (a mistake in the flags is reported by run below).
    try {
      NodeArguments.parse(List.of(args)).logLevel()
          .ifPresent(level -> System.setProperty(NodeProcess.LOG_LEVEL_PROPERTY, level));
    } catch (IllegalArgumentException e) {
      // run reports it
    }
    int code = run(List.of(args), System.out, System.err);
    if (code != NodeRunner.EXIT_ALREADY_UNDER_WAY) {
      System.exit(code);
    }
  }

  /** Runs the process's arguments; returns its exit code. */
  static int run(List<String> args, PrintStream out, PrintStream err) {
    if (args.equals(List.of("--version")) || args.equals(List.of("-V"))) {
      for (String line : TesseraVersion.lines()) {
        out.println(line);
      }
      return ExitCodes.OK;
    }
    NodeOptions options;
    try {
      options = NodeArguments.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    try {
      return NodeRunner.run(options);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("error: interrupted while the node ran");
      return ExitCodes.FAILURE;
    } catch (RuntimeException e) {
      OptionalInt known = ExitCodes.forFailure(e);
      if (known.isEmpty()) {
        e.printStackTrace(err);
      }
      err.println("error: " + e.getMessage());
      return known.orElse(ExitCodes.FAILURE);
    }
  }
}
