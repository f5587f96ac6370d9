package dev.tessera.benchmarks.hosts;

import dev.tessera.chaos.harness.SshTestHosts;
import dev.tessera.cli.TesseraCommand;
import dev.tessera.runtime.launch.FreePorts;
import dev.tessera.runtime.launch.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code bin/bench-up}: how long {@code tessera up} takes for three hosts over real SSH (OpenSSH
 * servers in network namespaces on this machine, as {@code SshClusterTest} makes them): from a
 * cold copy (no archive there, no CA yet), and warm (the archive there, the nodes stopped), with
 * the time until every node is ready. The baseline, measured in the same run: {@code tessera
 * local --nodes 3}, the same three nodes started on this machine without SSH. Needs root,
 * iproute2 and openssh-server.
 *
 * <p>Usage: {@code UpBench ARCHIVE [rounds]} (3 rounds by default; prints each and the medians).
 */
public final class UpBench {

  private static final Pattern READY = Pattern.compile("all ready after ([0-9.]+) s");
  private static final Pattern FORMED = Pattern.compile("\\[\\s*([0-9.]+) s\\] cluster formed");

  private UpBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: UpBench ARCHIVE [rounds]");
      System.exit(2);
    }
    Path archive = Path.of(args[0]).toAbsolutePath();
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    if (SshTestHosts.unavailable().isPresent()) {
      System.err.println("cannot run: " + SshTestHosts.unavailable().get());
      System.exit(2);
    }
    Path dir = Files.createTempDirectory("bench-up");
    List<Double> cold = new ArrayList<>();
    List<Double> warm = new ArrayList<>();
    List<Double> warmReady = new ArrayList<>();
    List<Double> local = new ArrayList<>();
    try (SshTestHosts hosts = SshTestHosts.start(3, dir.resolve("ssh"))) {
      System.out.printf("3 SSH hosts (network namespaces), %d cores, archive %.1f MB%n",
          Runtime.getRuntime().availableProcessors(), Files.size(archive) / 1e6);
      for (int round = 1; round <= rounds; round++) {
        Path roundDir = Files.createDirectories(dir.resolve("round-" + round));
        Path hostsFile = roundDir.resolve("hosts.conf");
        Files.writeString(hostsFile, String.join("\n",
            "defaults " + hosts.sshDefaults() + " java=" + Path.of(System.getProperty("java.home"), "bin", "java")
                + " cluster-name=bench heap=192m",
            hosts.address(1) + " primary,worker dir=" + roundDir.resolve("host-1"),
            hosts.address(2) + " worker dir=" + roundDir.resolve("host-2"),
            hosts.address(3) + " worker dir=" + roundDir.resolve("host-3"), ""));
        double c = timed(roundDir, "up", "--hosts", hostsFile.toString(), "--archive", archive.toString()).seconds();
        timed(roundDir, "down", "--hosts", hostsFile.toString());
        Timed w = timed(roundDir, "up", "--hosts", hostsFile.toString(), "--archive", archive.toString());
        timed(roundDir, "down", "--hosts", hostsFile.toString());
        Matcher ready = READY.matcher(w.output());
        double r = ready.find() ? Double.parseDouble(ready.group(1)) : Double.NaN;
        int port = FreePorts.block(6);
        Timed l = timed(roundDir, "local", "--nodes", "3", "--base-port", String.valueOf(port),
            "--http-port", String.valueOf(port + 3), "--exit-when-formed", "--data-dir", roundDir.resolve("local").toString(),
            "--log-dir", roundDir.resolve("local-logs").toString());
        Matcher formed = FORMED.matcher(l.output());
        double lf = formed.find() ? Double.parseDouble(formed.group(1)) : Double.NaN;
        cold.add(c);
        warm.add(w.seconds());
        warmReady.add(r);
        local.add(lf);
        System.out.printf("round %d: up cold %.1f s, up warm %.1f s (every node ready after %.1f s); baseline: tessera local "
            + "--nodes 3 formed after %.1f s%n", round, c, w.seconds(), r, lf);
      }
    }
    System.out.printf("medians: up cold %.1f s, up warm %.1f s, ready (warm) after %.1f s; local %.1f s; "
        + "up warm / local = %.2f%n", median(cold), median(warm), median(warmReady), median(local),
        median(warm) / median(local));
  }

  private record Timed(double seconds, String output) {}

  private static Timed timed(Path dir, String... args) throws Exception {
    Path log = Files.createTempFile(dir, args[0] + "-", ".log");
    long start = System.nanoTime();
    NodeProcess process = NodeProcess.start("tessera " + args[0], TesseraCommand.class.getName(), List.of(args), "256m", log);
    try {
      if (!process.awaitExit(Duration.ofMinutes(5))) {
        throw new IllegalStateException("tessera " + args[0] + " did not finish: " + log);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      if (process.exitValue() != 0) {
        throw new IllegalStateException("tessera " + String.join(" ", args) + " failed (" + process.exitValue() + "): "
            + process.output());
      }
      return new Timed(seconds, process.output());
    } finally {
      process.stop(Duration.ofSeconds(5));
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    return sorted.get(sorted.size() / 2);
  }
}
