package dev.tessera.chaos.harness;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The fault patterns of the chaos suite, by the names the {@code chaos} command takes. */
public enum Scenario {
  /** {@code kill -9} a worker node, restart it later; twice, on different nodes when there are several. */
  WORKER_KILL,
  /** SIGSTOP a worker node for a while (a hang with no closed socket), then SIGCONT. */
  WORKER_FREEZE,
  /** {@code kill -9} whichever node runs the job's coordinator, restart it later. */
  COORDINATOR_KILL,
  /** {@code kill -9} every node at once, then start them all again. */
  WHOLE_CLUSTER_RESTART,
  /** Stop (SIGTERM) and start every node, one at a time. */
  ROLLING_RESTART,
  /** Cut the network between two groups of nodes, heal it later. */
  PARTITION;

  /** The command-line name: {@code worker-kill}. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * @throws IllegalArgumentException naming the scenarios there are, for a name that is none of them
   */
  public static Scenario parse(String name) {
    for (Scenario scenario : values()) {
      if (scenario.cliName().equals(name)) {
        return scenario;
      }
    }
    throw new IllegalArgumentException("no scenario '" + name + "'; there are: "
        + Arrays.stream(values()).map(Scenario::cliName).collect(Collectors.joining(", ")));
  }
}
