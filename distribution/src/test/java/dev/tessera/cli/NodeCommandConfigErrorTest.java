package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.launch.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster node --config FILE} with a mistake in the file stops before anything starts, with
 * the usage exit code and one line on standard error (no stack trace), even when a flag overrides
 * the wrong value.
 */
class NodeCommandConfigErrorTest {

  @TempDir Path dir;

  private record Run(int exitCode, String err) {}

  private Run node(String fileText, String... flags) throws Exception {
    Path conf = Files.writeString(dir.resolve("node.conf"), fileText);
    StringWriter err = new StringWriter();
    String[] args = new String[3 + flags.length];
    args[0] = "node";
    args[1] = "--config";
    args[2] = conf.toString();
    System.arraycopy(flags, 0, args, 3, flags.length);
    int code = TesseraCommand.commandLine().setErr(new PrintWriter(err)).execute(args);
    return new Run(code, err.toString());
  }

  @Test
  void misspeltSeedNodesKeyStopsTheNodeWithASuggestion() throws Exception {
    Run run = node("pekko.cluster.seed-node = [\"pekko://tessera@127.0.0.1:25520\"]\n");

    assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).hasLineCount(1)
        .startsWith("error: " + dir.resolve("node.conf") + ": 1: unknown config key pekko.cluster.seed-node")
        .contains("(did you mean pekko.cluster.seed-nodes? Tessera sets it from tessera.node.seeds: set that instead)");
  }

  @Test
  void negativeNumberStopsTheNodeNamingKeyValueAndRange() throws Exception {
    Run run = node("tessera.node.failure-detection.threshold = -3\n");

    assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).hasLineCount(1)
        .contains("tessera.node.failure-detection.threshold = -3 is out of range: allowed 1.0 .. 100.0");
  }

  @Test
  void aFlagOverridingTheFilesBadValueStillReportsIt() throws Exception {
    Run run = node("tessera.node.port = 99999\n", "--port", "0");

    assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).hasLineCount(1)
        .contains("tessera.node.port = 99999 is out of range")
        .contains("a command-line flag overrides it this time; fix the file");
  }
}
