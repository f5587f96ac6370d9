package dev.tessera.runtime.launch;

import dev.tessera.runtime.node.ClusterCertificates;
import dev.tessera.runtime.node.InvalidNodeSettingsException;
import dev.tessera.runtime.node.SeedAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the flags of one node process say ({@code cluster node --port 25520 --seeds ...}, or the
 * arguments {@link NodeProcess} passes {@link NodeMain}): the settings they override, checked as the
 * record is made, and what the process does around the node. Absent means "as the config file or
 * {@code reference.conf} says".
 *
 * @param config a HOCON file with {@code tessera.node} keys; flags win over it
 * @param leaveWhenUp leave and exit 0 as soon as the node is Up (smoke tests, class-data archives)
 * @param parentPid leave the cluster (within 2 s) once this process exits ({@link ParentWatch})
 * @param httpHost the interface the management endpoint listens on (loopback unless given)
 * @param insecurePlaintext allow cluster, data and management addresses off loopback without TLS
 *     ({@code tessera.node.insecure-plaintext}); warned about at every start
 * @param logLevel the root log level ({@code ERROR} .. {@code TRACE}), set by the process before it logs
 * @throws IllegalArgumentException naming the flag, when a port is out of range or a seed is not
 *     {@code host:port}
 */
public record NodeOptions(
    Optional<Path> config,
    Optional<String> clusterName,
    Optional<String> host,
    Optional<String> bindHost,
    Optional<Integer> port,
    Optional<List<String>> seeds,
    Optional<List<String>> roles,
    Optional<Integer> httpPort,
    Optional<String> joinTimeout,
    Optional<Path> tlsDir,
    boolean leaveWhenUp,
    Optional<Long> parentPid,
    Optional<String> httpHost,
    boolean insecurePlaintext,
    Optional<String> logLevel) {

  /** The levels {@code --log-level} takes. */
  public static final java.util.List<String> LOG_LEVELS = List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");

  public NodeOptions {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(bindHost, "bindHost");
    Objects.requireNonNull(port, "port");
    Objects.requireNonNull(seeds, "seeds");
    Objects.requireNonNull(roles, "roles");
    Objects.requireNonNull(httpPort, "httpPort");
    Objects.requireNonNull(joinTimeout, "joinTimeout");
    Objects.requireNonNull(tlsDir, "tlsDir");
    Objects.requireNonNull(parentPid, "parentPid");
    Objects.requireNonNull(httpHost, "httpHost");
    Objects.requireNonNull(logLevel, "logLevel");
    logLevel = logLevel.map(level -> level.toUpperCase(java.util.Locale.ROOT));
    logLevel.ifPresent(level -> {
      if (!LOG_LEVELS.contains(level)) {
        throw new IllegalArgumentException("--log-level: '" + level + "' is not one of " + String.join(", ", LOG_LEVELS));
      }
    });
    port.ifPresent(p -> checkPort("--port", p));
    httpPort.ifPresent(p -> checkPort("--http-port", p));
    seeds.ifPresent(NodeOptions::checkSeeds);
    seeds = seeds.map(List::copyOf);
    roles = roles.map(List::copyOf);
  }

  /** No flags: every setting as the config says. */
  public static NodeOptions none() {
    return new NodeOptions(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), false, Optional.empty(),
        Optional.empty(), false, Optional.empty());
  }

  /** The {@code tessera.node} keys the flags set, for {@link dev.tessera.runtime.node.NodeConfigLoader}. */
  public Map<String, Object> overrides() {
    Map<String, Object> o = new LinkedHashMap<>();
    String n = "tessera.node.";
    clusterName.ifPresent(v -> o.put(n + "cluster-name", v));
    host.ifPresent(v -> o.put(n + "host", v));
    bindHost.ifPresent(v -> o.put(n + "bind-host", v));
    port.ifPresent(v -> o.put(n + "port", v));
    httpPort.ifPresent(v -> o.put(n + "management.port", v));
    httpHost.ifPresent(v -> o.put(n + "management.host", v));
    if (insecurePlaintext) {
      o.put(n + "insecure-plaintext", true);
    }
    seeds.ifPresent(v -> o.put(n + "seeds", trimmed(v)));
    roles.ifPresent(v -> o.put(n + "roles", trimmed(v)));
    joinTimeout.ifPresent(v -> o.put(n + "join.timeout", v));
    tlsDir.ifPresent(dir -> {
      o.put(n + "tls.enabled", true);
      o.put(n + "tls.key-store", dir.resolve(ClusterCertificates.KEY_STORE_FILE).toString());
      o.put(n + "tls.trust-store", dir.resolve(ClusterCertificates.TRUST_STORE_FILE).toString());
    });
    return o;
  }

  private static List<String> trimmed(List<String> values) {
    return values.stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  private static void checkPort(String flag, int value) {
    if (value < 0 || value > 65535) {
      throw new IllegalArgumentException(
          flag + ": " + value + " is not a port (expected 0..65535, 0 = any free port)");
    }
  }

  private static void checkSeeds(List<String> seeds) {
    for (String seed : seeds) {
      try {
        SeedAddress.parse(seed);
      } catch (InvalidNodeSettingsException e) {
        throw new IllegalArgumentException("--seeds: " + e.getMessage(), e);
      }
    }
  }
}
