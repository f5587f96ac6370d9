package dev.tessera.samples;

import dev.tessera.runtime.launch.TesseraVersion;
import dev.tessera.samples.gpt.GptCommand;
import dev.tessera.samples.heat.HeatSimulation;
import dev.tessera.samples.matmul.MatrixMultiply;
import dev.tessera.samples.montecarlo.MonteCarloPi;
import dev.tessera.samples.pipeline.KmerPipeline;
import dev.tessera.samples.wordcount.WordCount;
import java.io.IOException;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * Entry point of {@code bin/sample}: each sample is a subcommand, runs on its own local nodes by
 * default and on your cluster with {@code --seeds}.
 *
 * <p>A mistake in the arguments or in the input (a missing folder, a file that is not text) prints
 * one line and exits with code 2; a sample that fails while running exits with code 1.
 */
@Command(name = "sample", mixinStandardHelpOptions = true,
    versionProvider = SampleCommand.Version.class,
    description = "Run a Tessera sample on local nodes, or on your cluster with --seeds.",
    subcommands = {HeatSimulation.class, MonteCarloPi.class, MatrixMultiply.class, WordCount.class, KmerPipeline.class,
        GptCommand.class})
public final class SampleCommand implements Runnable {

  /** The samples' logging: their own output, and warnings; node processes log to their own files. */
  static final String LOGBACK_CONFIG = "tessera-samples-logback.xml";
  static final int USAGE = 2;
  static final int FAILURE = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** What {@code --version} prints: {@link TesseraVersion#lines()}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return TesseraVersion.lines();
    }
  }

  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
    }
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cmd = new CommandLine(new SampleCommand());
    cmd.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      err.println("error: " + e.getMessage());
      err.println("try: " + e.getCommandLine().getCommandSpec().qualifiedName() + " --help");
      err.flush();
      return USAGE;
    });
    cmd.setExecutionExceptionHandler((e, command, parsed) -> {
      PrintWriter err = command.getErr();
      boolean usersInput = e instanceof IllegalArgumentException || e instanceof IOException;
      if (!usersInput) {
        e.printStackTrace(err);
      }
      err.println("error: " + e.getMessage());
      err.flush();
      return usersInput ? USAGE : FAILURE;
    });
    return cmd;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a sample: "
        + String.join(", ", spec.subcommands().keySet()));
  }
}
