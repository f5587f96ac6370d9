package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Everything a compute node needs to start, read once from {@code tessera.node} (see this module's
 * {@code reference.conf}, where every key is documented) and checked, so a wrong value fails
 * before any socket is opened, with a message that names the key.
 *
 * @param clusterName name shared by all nodes of one cluster (the Pekko actor system name)
 * @param host the address other nodes reach this node at
 * @param bindHost the local interface to listen on; equal to {@code host} unless configured
 * @param port the cluster (remoting) port; 0 picks a free one
 * @param seeds nodes to contact when joining; empty means this node starts a new cluster
 * @param roles roles this node offers to work placement ({@code worker}, {@code gpu}, ...)
 * @param join how long and how loudly to try joining
 * @param failureDetection failure detector and split brain resolver timings
 * @param management the read-only HTTP endpoint that reports membership
 * @param tls mutual-TLS remoting, off by default
 */
public record NodeSettings(
    String clusterName,
    String host,
    String bindHost,
    int port,
    List<SeedAddress> seeds,
    Set<String> roles,
    Join join,
    FailureDetection failureDetection,
    Management management,
    Tls tls) {

  /** The config path this record is read from. */
  public static final String CONFIG_PATH = "tessera.node";

  private static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]*");
  private static final Pattern ROLE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

  public NodeSettings {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(bindHost, "bindHost");
    Objects.requireNonNull(join, "join");
    Objects.requireNonNull(failureDetection, "failureDetection");
    Objects.requireNonNull(management, "management");
    Objects.requireNonNull(tls, "tls");
    if (!CLUSTER_NAME.matcher(clusterName).matches()) {
      throw invalid("cluster-name", "'" + clusterName + "' may hold only letters, digits, '-' and '_'");
    }
    if (host.isBlank()) {
      throw invalid("host", "must not be empty");
    }
    checkPort("port", port);
    seeds = List.copyOf(Objects.requireNonNull(seeds, "seeds"));
    roles = Set.copyOf(new LinkedHashSet<>(Objects.requireNonNull(roles, "roles")));
    for (String role : roles) {
      if (!ROLE.matcher(role).matches()) {
        throw invalid("roles", "'" + role + "' is not a role name (letters, digits, '-', '_', '.')");
      }
    }
    if (management.enabled()
        && port != 0
        && management.port() == port
        && management.bindHost().equals(bindHost)) {
      throw invalid("management.port", "must differ from port " + port);
    }
  }

  /** Reads and checks {@code tessera.node} from an already merged and resolved config. */
  public static NodeSettings create(Config root) {
    Config c = section(root, CONFIG_PATH);
    String host = read(() -> c.getString("host"), "host");
    String bindHost = read(() -> c.getString("bind-host"), "bind-host");
    List<SeedAddress> seeds = new ArrayList<>();
    for (String seed : read(() -> c.getStringList("seeds"), "seeds")) {
      try {
        seeds.add(SeedAddress.parse(seed));
      } catch (InvalidNodeSettingsException e) {
        throw invalid("seeds", e.getMessage());
      }
    }
    return new NodeSettings(
        read(() -> c.getString("cluster-name"), "cluster-name"),
        host,
        bindHost.isBlank() ? host : bindHost,
        read(() -> c.getInt("port"), "port"),
        seeds,
        new LinkedHashSet<>(read(() -> c.getStringList("roles"), "roles")),
        Join.create(section(c, "join")),
        FailureDetection.create(section(c, "failure-detection")),
        Management.create(section(c, "management")),
        Tls.create(section(c, "tls")));
  }

  /**
   * These settings with {@code roles} instead of their own, checked like configured roles.
   *
   * @throws InvalidNodeSettingsException when a role is not a valid role name
   */
  public NodeSettings withRoles(Set<String> roles) {
    return new NodeSettings(clusterName, host, bindHost, port, seeds, roles, join, failureDetection, management, tls);
  }

  /** True when no other node is named to join through: this node forms a new cluster. */
  public boolean startsNewCluster() {
    return seeds.isEmpty();
  }

  /** How long and how loudly a node tries to join its seeds. */
  public record Join(Duration timeout, Duration retryLogInterval, Duration seedNodeTimeout) {
    public Join {
      checkPositive("join.timeout", timeout);
      checkPositive("join.retry-log-interval", retryLogInterval);
      checkPositive("join.seed-node-timeout", seedNodeTimeout);
    }

    static Join create(Config c) {
      return new Join(
          duration(c, "timeout", "join"),
          duration(c, "retry-log-interval", "join"),
          duration(c, "seed-node-timeout", "join"));
    }
  }

  /** Failure detector and split brain resolver settings (see reference.conf for the reasoning). */
  public record FailureDetection(
      Duration heartbeatInterval,
      Duration acceptableHeartbeatPause,
      Duration clientAcceptableHeartbeatPause,
      double threshold,
      Duration stableAfter,
      Duration handOverMargin,
      Duration downAllWhenUnstable,
      String downingStrategy) {

    private static final Set<String> STRATEGIES = Set.of("keep-majority", "keep-oldest", "down-all");

    public FailureDetection {
      checkPositive("failure-detection.heartbeat-interval", heartbeatInterval);
      checkPositive("failure-detection.acceptable-heartbeat-pause", acceptableHeartbeatPause);
      checkPositive("failure-detection.client-acceptable-heartbeat-pause", clientAcceptableHeartbeatPause);
      checkPositive("failure-detection.stable-after", stableAfter);
      checkPositive("failure-detection.hand-over-margin", handOverMargin);
      checkPositive("failure-detection.down-all-when-unstable", downAllWhenUnstable);
      if (!(threshold > 0)) {
        throw invalid("failure-detection.threshold", "must be > 0, got " + threshold);
      }
      if (acceptableHeartbeatPause.compareTo(heartbeatInterval) < 0) {
        throw invalid(
            "failure-detection.acceptable-heartbeat-pause",
            "must be at least heartbeat-interval (" + heartbeatInterval.toMillis() + " ms)");
      }
      if (!STRATEGIES.contains(downingStrategy)) {
        throw invalid(
            "failure-detection.downing-strategy",
            "'" + downingStrategy + "' is not one of " + String.join(", ", STRATEGIES.stream().sorted().toList()));
      }
    }

    /**
     * How long this node tolerates missing heartbeats from the nodes it watches: a client (a node
     * whose only role is {@code client}) tolerates {@code client-acceptable-heartbeat-pause}, or
     * {@code acceptable-heartbeat-pause} where that is longer.
     */
    public Duration acceptableHeartbeatPauseFor(Set<String> roles) {
      return roles.equals(Set.of(ComputeNode.CLIENT_ROLE)) && clientAcceptableHeartbeatPause.compareTo(acceptableHeartbeatPause) > 0
          ? clientAcceptableHeartbeatPause
          : acceptableHeartbeatPause;
    }

    static FailureDetection create(Config c) {
      String p = "failure-detection";
      return new FailureDetection(
          duration(c, "heartbeat-interval", p),
          duration(c, "acceptable-heartbeat-pause", p),
          duration(c, "client-acceptable-heartbeat-pause", p),
          read(() -> c.getDouble("threshold"), p + ".threshold"),
          duration(c, "stable-after", p),
          duration(c, "hand-over-margin", p),
          duration(c, "down-all-when-unstable", p),
          read(() -> c.getString("downing-strategy"), p + ".downing-strategy"));
    }
  }

  /**
   * The read-only HTTP endpoint ({@code GET /cluster/members}, {@code /ready}, {@code /alive}).
   *
   * @param host interface to listen on; empty means loopback ({@value #LOOPBACK}), whatever the
   *     node's own addresses: the endpoint leaves the machine only when configured to
   */
  public record Management(boolean enabled, String host, int port) {
    public Management {
      Objects.requireNonNull(host, "host");
      checkPort("management.port", port);
    }

    /** Where the endpoint listens when no host is configured. */
    public static final String LOOPBACK = "127.0.0.1";

    /** The host to bind: the configured one, else loopback. */
    public String bindHost() {
      return host.isBlank() ? LOOPBACK : host;
    }

    static Management create(Config c) {
      String p = "management";
      return new Management(
          read(() -> c.getBoolean("enabled"), p + ".enabled"),
          read(() -> c.getString("host"), p + ".host"),
          read(() -> c.getInt("port"), p + ".port"));
    }
  }

  /** Artery TLS with mutual authentication: both sides must present a certificate the other trusts. */
  public record Tls(
      boolean enabled,
      Path keyStore,
      String keyStorePassword,
      String keyPassword,
      Path trustStore,
      String trustStorePassword) {

    public Tls {
      if (enabled) {
        checkStore("tls.key-store", keyStore);
        checkStore("tls.trust-store", trustStore);
        if (keyStorePassword == null || keyStorePassword.isEmpty()) {
          throw invalid("tls.key-store-password", "must be set when TLS is enabled (or set TESSERA_TLS_PASSWORD)");
        }
        if (trustStorePassword == null || trustStorePassword.isEmpty()) {
          throw invalid("tls.trust-store-password", "must be set when TLS is enabled (or set TESSERA_TLS_PASSWORD)");
        }
      }
    }

    /** TLS off. */
    public static Tls disabled() {
      return new Tls(false, null, null, null, null, null);
    }

    static Tls create(Config c) {
      String p = "tls";
      if (!read(() -> c.getBoolean("enabled"), p + ".enabled")) {
        return disabled();
      }
      String keyStorePassword = read(() -> c.getString("key-store-password"), p + ".key-store-password");
      String keyPassword = read(() -> c.getString("key-password"), p + ".key-password");
      return new Tls(
          true,
          path(read(() -> c.getString("key-store"), p + ".key-store")),
          keyStorePassword,
          keyPassword.isEmpty() ? keyStorePassword : keyPassword,
          path(read(() -> c.getString("trust-store"), p + ".trust-store")),
          read(() -> c.getString("trust-store-password"), p + ".trust-store-password"));
    }

    private static Path path(String text) {
      return text.isBlank() ? null : Path.of(text);
    }

    private static void checkStore(String key, Path store) {
      if (store == null) {
        throw invalid(key, "must name a PKCS12 or JKS file when TLS is enabled");
      }
      if (!Files.isRegularFile(store) || !Files.isReadable(store)) {
        throw invalid(key, "cannot read " + store.toAbsolutePath());
      }
    }
  }

  static InvalidNodeSettingsException invalid(String key, String problem) {
    return new InvalidNodeSettingsException(CONFIG_PATH + "." + key + ": " + problem);
  }

  private static void checkPort(String key, int port) {
    if (port < 0 || port > 65535) {
      throw invalid(key, port + " is not a port (expected 0..65535, 0 = any free port)");
    }
  }

  private static void checkPositive(String key, Duration d) {
    Objects.requireNonNull(d, key);
    if (d.isZero() || d.isNegative()) {
      throw invalid(key, "must be positive, got " + d);
    }
  }

  private static Config section(Config c, String path) {
    return read(() -> c.getConfig(path), path);
  }

  private static Duration duration(Config c, String key, String prefix) {
    return read(() -> c.getDuration(key), prefix + "." + key);
  }

  /** Turns Typesafe Config's exceptions into one line naming the key under {@code tessera.node}. */
  private static <T> T read(Supplier<T> getter, String key) {
    try {
      return getter.get();
    } catch (ConfigException.Missing e) {
      throw invalid(key, "is missing");
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      String message = e.getMessage();
      int colon = message.lastIndexOf(": ");
      throw invalid(key, colon >= 0 ? message.substring(colon + 2) : message);
    }
  }
}
