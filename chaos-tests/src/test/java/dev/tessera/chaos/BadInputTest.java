package dev.tessera.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.cli.TesseraCommand;
import dev.tessera.runtime.launch.FreePorts;
import dev.tessera.runtime.launch.LocalCluster;
import dev.tessera.runtime.launch.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every mistake a person can make on the command line ends the real process with one clear line
 * and a documented exit code: 2 for usage and configuration, 3 for an unavailable address, 4 when
 * no seed answers, 6 when status finds no node. Never a stack trace.
 */
class BadInputTest {

  @TempDir Path dir;

  /** Runs {@code cluster <args>} in a new JVM and returns its output, asserting its exit code. */
  private String run(int expectedExit, String... args) throws Exception {
    Path log = Files.createTempFile(dir, "run-", ".log");
    NodeProcess process =
        NodeProcess.start("cluster " + String.join(" ", args), TesseraCommand.class.getName(), List.of(args), "128m", log);
    try {
      assertThat(process.awaitExit(Duration.ofSeconds(60))).as(process + " exited").isTrue();
      String output = process.output();
      assertThat(process.exitValue()).as("exit code of `tessera %s`, output:%n%s", String.join(" ", args), output)
          .isEqualTo(expectedExit);
      assertThat(output).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception in thread");
      return output;
    } finally {
      process.stop(Duration.ofSeconds(5));
    }
  }

  @Test
  void portOutOfRange() throws Exception {
    assertThat(run(2, "node", "--port", "70000"))
        .contains("error: --port: 70000 is not a port (expected 0..65535, 0 = any free port)")
        .contains("try: tessera node --help");
  }

  @Test
  void nodeOffLoopbackWithoutTlsRefusesToStart() throws Exception {
    // 192.0.2.1 is a documentation address (TEST-NET-1): the check comes before any socket.
    String output = run(7, "node", "--host", "192.0.2.1", "--port", "0", "--http-port", "0");
    assertThat(output)
        .contains("error: refusing to listen on 192.0.2.1 (the cluster port, tessera.node.host) without TLS")
        .contains("tessera certs init").contains("--insecure-plaintext");
  }

  @Test
  void managementEndpointOffLoopbackWithoutTlsRefusesToStart() throws Exception {
    String output = run(7, "node", "--port", "0", "--http-port", "0", "--http-host", "0.0.0.0");
    assertThat(output).contains("refusing to listen on 0.0.0.0 (the management endpoint, tessera.node.management.host)");
  }

  @Test
  void portNotANumber() throws Exception {
    assertThat(run(2, "node", "--port", "abc")).contains("error: Invalid value for option '--port': 'abc' is not an int");
  }

  @Test
  void seedWithoutPort() throws Exception {
    assertThat(run(2, "node", "--seeds", "pi-1")).contains("error: --seeds: seed 'pi-1' is not host:port");
  }

  @Test
  void seedThatCannotBeResolved() throws Exception {
    assertThat(run(2, "node", "--port", "0", "--http-port", "0", "--seeds", "no-such-host.invalid:25520"))
        .contains("error: seed no-such-host.invalid:25520: host 'no-such-host.invalid' cannot be resolved");
  }

  @Test
  void malformedConfigFile() throws Exception {
    Path conf = Files.writeString(dir.resolve("broken.conf"), "tessera.node {\n  port = [\n");
    assertThat(run(2, "node", "--config", conf.toString())).contains("error: config file ").contains("broken.conf");
  }

  @Test
  void unknownConfigKey() throws Exception {
    Path conf = Files.writeString(dir.resolve("typo.conf"), "tessera.node.join.timout = 10s\n");
    assertThat(run(2, "node", "--config", conf.toString()))
        .contains("unknown config key tessera.node.join.timout (did you mean tessera.node.join.timeout?)");
  }

  @Test
  void misspeltPekkoKey() throws Exception {
    Path conf = Files.writeString(dir.resolve("pekko.conf"), "pekko.remote.artery.canonical.hostnam = 10.0.0.1\n");
    assertThat(run(2, "node", "--config", conf.toString()))
        .contains("unknown config key pekko.remote.artery.canonical.hostnam (did you mean"
            + " pekko.remote.artery.canonical.hostname? Tessera sets it from tessera.node.host: set that instead)")
        .hasLineCount(1);
  }

  @Test
  void valueOutOfRangeInTheFileIsReportedEvenWhenAFlagOverridesIt() throws Exception {
    Path conf = Files.writeString(dir.resolve("range.conf"), "tessera.node.join.timeout = -3s\n");
    assertThat(run(2, "node", "--config", conf.toString(), "--join-timeout", "10s", "--port", "0", "--http-port", "0"))
        .contains("tessera.node.join.timeout = \"-3s\" is out of range: allowed 1s .. 1d"
            + " (a command-line flag overrides it this time; fix the file)")
        .hasLineCount(1);
  }

  @Test
  void unknownCommand() throws Exception {
    assertThat(run(2, "frobnicate")).contains("error: Unmatched argument at index 0: 'frobnicate'");
  }

  @Test
  void statusWithNoNodeListening() throws Exception {
    int port = FreePorts.block(1);
    assertThat(run(6, "status", "--node", "127.0.0.1:" + port))
        .contains("error: no node answers at 127.0.0.1:" + port);
  }

  @Test
  void seedThatNeverAnswersIsRetriedThenGivenUp() throws Exception {
    int ports = FreePorts.block(3);
    Path conf = Files.writeString(dir.resolve("quick.conf"), "tessera.node.join.retry-log-interval = 1s\n");
    String output = run(4, "node", "--port", String.valueOf(ports), "--http-port", String.valueOf(ports + 1),
        "--seeds", "127.0.0.1:" + (ports + 2), "--join-timeout", "5s", "--config", conf.toString());
    assertThat(output)
        .contains("still trying seed nodes [127.0.0.1:" + (ports + 2) + "]")
        .contains("error: could not join the cluster through seeds [127.0.0.1:" + (ports + 2) + "] within 5 s");
  }

  @Test
  void secondNodeOnTakenPorts() throws Exception {
    try (LocalCluster first = LocalCluster.startOnFreePorts(LocalCluster.Spec.onFreePorts(1, dir.resolve("logs")))) {
      LocalCluster.Spec spec = first.spec();
      Await.until("the first node is Up", Duration.ofSeconds(90), () -> first.view(1).upCount() == 1);
      int otherHttp = FreePorts.block(1);
      int otherPort = FreePorts.block(1);

      assertThat(run(3, "node", "--port", String.valueOf(spec.port(1)), "--http-port", String.valueOf(otherHttp)))
          .contains("error: cluster port " + spec.port(1) + " on 127.0.0.1 is already in use (is another node running there?)");
      assertThat(run(3, "node", "--port", String.valueOf(otherPort), "--http-port", String.valueOf(spec.httpPort(1))))
          .contains("error: management port " + spec.httpPort(1) + " on 127.0.0.1 is already in use");
      assertThat(first.view(1).members()).hasSize(1);
    }
  }
}
