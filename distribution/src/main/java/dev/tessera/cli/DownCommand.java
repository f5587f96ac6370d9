package dev.tessera.cli;

import dev.tessera.cli.hosts.ClusterDeployment;
import dev.tessera.cli.hosts.HostsFile;
import dev.tessera.runtime.launch.ExitCodes;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;

/**
 * {@code tessera down --hosts FILE}: stops every host's node: SIGTERM (it drains its tasks and
 * leaves the cluster), SIGKILL only if it has not exited after {@link ClusterDeployment#STOP_GRACE}.
 */
@Command(
    name = "down",
    mixinStandardHelpOptions = true,
    description = {
      "Stop the node on every host of a hosts file: each drains its tasks and leaves the cluster.",
      "Exit code 0 when every node has stopped (or was not running), 8 when a host could not be reached."
    })
final class DownCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin HostsOptions hosts;

  @Override
  public Integer call() throws IOException, InterruptedException {
    HostsFile file = hosts.read(spec);
    try (ClusterDeployment cluster = new ClusterDeployment(file, hosts.certsDir(), false, System.out)) {
      cluster.onEveryHost(node -> {
        node.probe();
        String how = node.stop(ClusterDeployment.STOP_GRACE);
        cluster.say(node.host().label() + ": " + switch (how) {
          case "none" -> "no node was running";
          case "left" -> "node stopped (it left the cluster)";
          case "killed" -> "node killed (it had not stopped " + ClusterDeployment.STOP_GRACE.toSeconds() + " s after SIGTERM)";
          default -> "node stop: " + how;
        });
      });
      if (cluster.failures().isEmpty()) {
        cluster.say("all " + file.hosts().size() + " nodes are down");
        return ExitCodes.OK;
      }
      cluster.say(cluster.failures().size() + " of " + file.hosts().size() + " hosts could not be stopped (above)");
      return ExitCodes.CLUSTER_INCOMPLETE;
    }
  }
}
