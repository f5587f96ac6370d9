package dev.tessera.cli;

import dev.tessera.runtime.cluster.ManagementAccess;
import dev.tessera.runtime.cluster.ManagementClient;
import dev.tessera.runtime.launch.ExitCodes;
import dev.tessera.runtime.node.InvalidNodeSettingsException;
import dev.tessera.runtime.node.NetworkExposure;
import dev.tessera.runtime.node.SeedAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The options of a command that reads one node's management endpoint ({@code status}, {@code
 * top}): which node, how long to wait, and, for an endpoint exposed off loopback, the cluster CA
 * and the token. Reads turn every failure into one line saying what to do.
 */
final class ManagementOptions {

  @Option(
      names = {"-n", "--node"},
      paramLabel = "HOST:PORT",
      defaultValue = "127.0.0.1:7626",
      description = "Management address of any node (its --http-port; default ${DEFAULT-VALUE}).")
  String node;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "5", description = "Give up after this many seconds (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      description = "The cluster CA's certificate (ca.pem of tessera certs init): ask over HTTPS, trusting only it. "
          + "For a management endpoint exposed off loopback.")
  Path ca;

  @Option(
      names = "--token-file",
      paramLabel = "FILE",
      description = "File whose first line is the management token (else TESSERA_MANAGEMENT_TOKEN). With --ca.")
  Path tokenFile;

  /** Reads one answer from a node. */
  @FunctionalInterface
  interface Read<T> {
    T from(ManagementClient client, String host, int port) throws IOException;
  }

  /** The node's address, or a usage error. */
  SeedAddress address(CommandLine.Model.CommandSpec spec) {
    try {
      return SeedAddress.parse(node);
    } catch (InvalidNodeSettingsException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--node: '" + node + "' is not host:port");
    }
  }

  /** A client for the node, plain or HTTPS with the token; a usage error for unreadable files. */
  ManagementClient client(CommandLine.Model.CommandSpec spec) {
    if (ca == null && tokenFile != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--token-file needs --ca: the token is sent only over HTTPS");
    }
    try {
      ManagementAccess access =
          ca == null ? ManagementAccess.plain() : ManagementAccess.https(ca, ManagementAccess.token(Optional.ofNullable(tokenFile)));
      return new ManagementClient(Duration.ofSeconds(Math.max(1, timeoutSeconds)), access);
    } catch (IOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  /** Reads from the node; a node that does not answer, or refuses, is one line (exit NODE_NOT_REACHABLE). */
  <T> T read(ManagementClient client, SeedAddress address, Read<T> read) {
    try {
      return read.from(client, address.host(), address.port());
    } catch (ConnectException | HttpConnectTimeoutException e) {
      throw new CommandFailedException(
          ExitCodes.NODE_NOT_REACHABLE,
          "no node answers at " + address + " (is it running? --node takes the management port, 7626 by default)");
    } catch (SSLException e) {
      throw new CommandFailedException(ExitCodes.NODE_NOT_REACHABLE, "no HTTPS with " + address + ": " + e.getMessage()
          + " (without TLS, or on loopback, the endpoint speaks plain HTTP: leave out --ca; with it, --ca must be the "
          + "cluster's ca.pem)");
    } catch (IOException e) {
      throw new CommandFailedException(ExitCodes.NODE_NOT_REACHABLE, e.getMessage()
          + (ca == null && !NetworkExposure.isLoopback(address.host())
              ? " (an endpoint exposed off loopback speaks HTTPS: pass --ca ca.pem and --token-file)" : ""));
    }
  }
}
