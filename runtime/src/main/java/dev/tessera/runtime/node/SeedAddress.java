package dev.tessera.runtime.node;

import java.util.Objects;

/**
 * The network address of a node that new nodes contact to join the cluster.
 *
 * @param host a host name or IP literal (IPv6 without brackets)
 * @param port the node's cluster (remoting) port, 1..65535
 */
public record SeedAddress(String host, int port) {

  public SeedAddress {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) {
      throw new InvalidNodeSettingsException("seed host must not be empty");
    }
    if (port < 1 || port > 65535) {
      throw new InvalidNodeSettingsException(
          "seed " + host + ":" + port + " has an invalid port (expected 1..65535)");
    }
  }

  /**
   * Parses {@code host:port}, or {@code [v6-address]:port} for IPv6.
   *
   * @throws InvalidNodeSettingsException naming the text when it is not of that form
   */
  public static SeedAddress parse(String text) {
    Objects.requireNonNull(text, "text");
    String trimmed = text.trim();
    String host;
    String portText;
    if (trimmed.startsWith("[")) {
      int close = trimmed.indexOf(']');
      if (close < 0 || close + 1 >= trimmed.length() || trimmed.charAt(close + 1) != ':') {
        throw notHostPort(text);
      }
      host = trimmed.substring(1, close);
      portText = trimmed.substring(close + 2);
    } else {
      int colon = trimmed.lastIndexOf(':');
      if (colon <= 0 || trimmed.indexOf(':') != colon) {
        throw notHostPort(text);
      }
      host = trimmed.substring(0, colon);
      portText = trimmed.substring(colon + 1);
    }
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw notHostPort(text);
    }
    return new SeedAddress(host, port);
  }

  private static InvalidNodeSettingsException notHostPort(String text) {
    return new InvalidNodeSettingsException(
        "seed '" + text + "' is not host:port (for example 192.168.1.10:25520)");
  }

  /** The Pekko address of this seed in a cluster of the given name. */
  public String toPekkoAddress(String clusterName) {
    String hostPart = host.contains(":") ? "[" + host + "]" : host;
    return "pekko://" + clusterName + "@" + hostPart + ":" + port;
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
