package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.launch.NodeArguments;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code cluster node} (picocli, for people) and a node process ({@code NodeMain}, for {@code
 * cluster local}, the samples and the tests) read the same flags: one added to either and not the
 * other would be refused by the other.
 */
class NodeFlagsTest {

  @Test
  void clusterNodeAndANodeProcessAcceptTheSameFlags() {
    CommandLine node = TesseraCommand.commandLine().getSubcommands().get("node");
    List<String> picocliNames = node.getCommandSpec().options().stream()
        .filter(option -> !option.usageHelp() && !option.versionHelp())
        .flatMap(option -> Arrays.stream(option.names()))
        .toList();

    assertThat(NodeArguments.flagNames()).containsExactlyInAnyOrderElementsOf(picocliNames);
  }
}
