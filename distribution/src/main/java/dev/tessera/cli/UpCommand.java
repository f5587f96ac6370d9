package dev.tessera.cli;

import dev.tessera.cli.hosts.ClusterDeployment;
import dev.tessera.cli.hosts.HostsFile;
import dev.tessera.runtime.launch.ExitCodes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;

/**
 * {@code tessera up --hosts FILE}: a node on every host of the file, over SSH. For each host at
 * once: copy the archive where it lacks it (by hash), write the node's config, install its own
 * TLS key, start it (a systemd user unit where there is systemd, else detached with a pid file
 * and a log); then wait for every node to be ready and print the membership. A node already
 * running with the same archive, config and key is left alone.
 */
@Command(
    name = "up",
    mixinStandardHelpOptions = true,
    description = {
      "Start a node on every host of a hosts file, over SSH, and wait until the cluster has formed.",
      "Exit code 0 when every host's node is ready and Up, 8 when some are missing (each named, with why)."
    })
final class UpCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Mixin HostsOptions hosts;

  @Mixin InstallOptions install;

  @Override
  public Integer call() throws IOException, InterruptedException {
    HostsFile file = hosts.read(spec);
    Path chosen = install.archive(spec);
    String hash = ClusterDeployment.sha256(chosen);
    try (ClusterDeployment cluster = new ClusterDeployment(file, hosts.certsDir(), install.insecurePlaintext, System.out)) {
      cluster.say("bringing up " + file.hosts().size() + " hosts from " + file.file() + " with " + chosen.getFileName());
      cluster.onEveryHost(cluster::probe);
      cluster.issueCertificates();
      List<HostsFile.Host> started = java.util.Collections.synchronizedList(new ArrayList<>());
      Map<HostsFile.Host, Boolean> changes = new java.util.concurrent.ConcurrentHashMap<>();
      cluster.onEveryHost(node -> changes.put(node.host(), cluster.prepare(node, chosen, hash)));
      // Nodes left running as they are: a node started now joins them (and cannot form a cluster of its own).
      List<String> keptRunning = cluster.healthy().stream()
          .filter(h -> cluster.wasRunning(h) && !changes.getOrDefault(h, true))
          .map(h -> h.address() + ":" + h.get("cluster-port")).toList();
      cluster.onEveryHost(node -> {
        boolean changed = changes.getOrDefault(node.host(), true);
        boolean running = cluster.wasRunning(node.host());
        if (running && !changed) {
          cluster.say(node.host().label() + ": already running with this archive, config and key");
          return;
        }
        if (running) {
          cluster.say(node.host().label() + ": restarting (its archive, config or key changed)");
          node.stop(ClusterDeployment.STOP_GRACE);
        }
        node.start(keptRunning);
        cluster.markApplied(node);
        started.add(node.host());
        cluster.say(node.host().label() + ": node started" + (node.probed().systemd() ? " (systemd user unit " + node.unit() + ")" : ""));
      });
      Map<HostsFile.Host, Double> ready = cluster.awaitReady(cluster.healthy(), Duration.ofSeconds(install.timeoutSeconds));
      return summary(cluster, ready);
    }
  }

  static int summary(ClusterDeployment cluster, Map<HostsFile.Host, Double> ready) throws InterruptedException {
    Optional<String> membership = cluster.membership();
    membership.ifPresent(m -> System.out.print(m));
    int total = cluster.hostsFile().hosts().size();
    // The hosts' nodes that are Up and reachable (a client node, a sample's, may be a member too).
    long up = membership.map(m -> cluster.hostsFile().hosts().stream()
        .filter(h -> m.lines().anyMatch(l -> l.matches("pekko://\\S+@" + java.util.regex.Pattern.quote(h.address() + ":"
            + h.get("cluster-port")) + "\\s+Up\\s+yes.*")))
        .count()).orElse(0L);
    if (ready.size() == total && up == total) {
      cluster.say(String.format("cluster formed: %d of %d nodes ready and Up (all ready after %.1f s)", up, total,
          ready.values().stream().mapToDouble(Double::doubleValue).max().orElse(0)));
      return ExitCodes.OK;
    }
    StringBuilder missing = new StringBuilder();
    for (ClusterDeployment.Failure f : cluster.failures()) {
      missing.append("\n  ").append(f.host().label()).append(": ").append(f.cause());
    }
    cluster.say(String.format("cluster incomplete: %d of %d nodes ready, %d Up%s", ready.size(), total, up,
        missing.length() == 0 ? "" : "; missing:" + missing));
    return ExitCodes.CLUSTER_INCOMPLETE;
  }
}
