package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.ClusterCa;
import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodeConfigLoader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessera status} against a TLS node whose management endpoint is exposed off loopback: it
 * reads the membership over HTTPS with {@code --ca} and {@code --token-file}, and says what is
 * missing when either is left out or wrong.
 */
class StatusCommandTest {

  static final String TOKEN = "status-command-test-token-0123456789";

  @TempDir static Path dir;
  static ComputeNode node;
  static String address;
  static Path ca;
  static Path tokenFile;

  private record Run(int exitCode, String out, String err) {}

  @BeforeAll
  static void exposedTlsNode() throws Exception {
    Path certs = dir.resolve("certs");
    ClusterCa.init(certs, "status-test-ca", 2);
    Path keys = ClusterCa.issue(certs, "127.0.0.1", List.of("localhost"), 2);
    ca = certs.resolve(ClusterCa.CA_CERTIFICATE);
    tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    node = ComputeNode.start(NodeConfigLoader.load(Optional.empty(), Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.port", 0,
        "tessera.node.management.host", "0.0.0.0",
        "tessera.node.management.token", TOKEN,
        "tessera.node.tls.enabled", true,
        "tessera.node.tls.key-store", keys.resolve("node.p12").toString(),
        "tessera.node.tls.trust-store", keys.resolve("trust.p12").toString(),
        "tessera.node.tls.password", Files.readString(keys.resolve(ClusterCa.NODE_PASSWORD)).trim())));
    node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
    address = "127.0.0.1:" + node.managementUri().orElseThrow().getPort();
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
  }

  private static Run run(String command, String... more) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] args = new String[3 + more.length];
    args[0] = command;
    args[1] = "--node";
    args[2] = address;
    System.arraycopy(more, 0, args, 3, more.length);
    int code = TesseraCommand.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void topOnceShowsTheLiveViewOverHttpsWithTheToken() {
    Run run = run("top", "--once", "--ca", ca.toString(), "--token-file", tokenFile.toString());

    assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.OK);
    assertThat(run.out())
        .contains("tessera top: 127.0.0.1:")
        .contains("1 members, 1 Up, 0 unreachable")
        .contains("(no jobs coordinated in the last minutes)")
        .containsPattern("joined\\s+node pekko://\\S+ joined with roles");
  }

  @Test
  void topWithoutTheTokenSaysTheEndpointNeedsOne() {
    Run run = run("top", "--once", "--ca", ca.toString());

    assertThat(run.exitCode()).isEqualTo(ExitCodes.NODE_NOT_REACHABLE);
    assertThat(run.err()).contains("HTTP 401");
  }

  private static Run status(String... more) {
    return run("status", more);
  }

  @Test
  void withTheCaAndTheTokenItPrintsTheMembers() {
    Run run = status("--ca", ca.toString(), "--token-file", tokenFile.toString());

    assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.OK);
    assertThat(run.out()).contains("1 members, 1 Up, 0 unreachable").contains("MEMBER");
  }

  @Test
  void withoutTheTokenItSaysTheEndpointNeedsOne() {
    Run run = status("--ca", ca.toString());

    assertThat(run.exitCode()).isEqualTo(ExitCodes.NODE_NOT_REACHABLE);
    assertThat(run.err()).contains("HTTP 401").contains("it needs the management token");
  }

  @Test
  void aWrongTokenIsRefused() throws Exception {
    Path wrong = Files.writeString(dir.resolve("wrong-token"), "not-the-token-of-this-cluster\n");
    Run run = status("--ca", ca.toString(), "--token-file", wrong.toString());

    assertThat(run.exitCode()).isEqualTo(ExitCodes.NODE_NOT_REACHABLE);
    assertThat(run.err()).contains("HTTP 401").contains("the management token is not this node's");
  }

  @Test
  void anotherCaIsNotTrusted() throws Exception {
    Path other = dir.resolve("other-ca");
    ClusterCa.init(other, "another-ca", 2);
    Run run = status("--ca", other.resolve(ClusterCa.CA_CERTIFICATE).toString(), "--token-file", tokenFile.toString());

    assertThat(run.exitCode()).isEqualTo(ExitCodes.NODE_NOT_REACHABLE);
    assertThat(run.err()).contains("no HTTPS with " + address);
  }

  @Test
  void aTokenWithoutTheCaIsNotSentInPlainText() {
    Run run = status("--token-file", tokenFile.toString());

    assertThat(run.exitCode()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--token-file needs --ca");
  }
}
