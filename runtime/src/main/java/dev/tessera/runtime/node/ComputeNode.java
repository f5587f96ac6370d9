package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.BindException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running compute node: an actor system that is (or is becoming) a member of a Pekko cluster,
 * with the split brain resolver on, Java serialization off, and a read-only management endpoint.
 *
 * <pre>{@code
 * Config config = NodeConfigLoader.load(ConfigFactory.parseResources("application.conf"));
 * try (ComputeNode node = ComputeNode.start(config)) {
 *   node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
 *   System.out.println(node.members());
 * } // close() leaves the cluster gracefully
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class ComputeNode implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ComputeNode.class);
  /** The role of a node that only submits work and reads results (a CLI command, a sample, a test). */
  public static final String CLIENT_ROLE = "client";
  private static final Duration MANAGEMENT_BIND_TIMEOUT = Duration.ofSeconds(10);

  private final NodeSettings settings;
  private final ActorSystem<NodeGuardian.Command> system;
  private final CompletableFuture<JoinWatchdog.Outcome> joinOutcome;
  private volatile Optional<URI> managementUri = Optional.empty();

  private ComputeNode(
      NodeSettings settings,
      ActorSystem<NodeGuardian.Command> system,
      CompletableFuture<JoinWatchdog.Outcome> joinOutcome) {
    this.settings = settings;
    this.system = system;
    this.joinOutcome = joinOutcome;
  }

  /**
   * The settings that make a node a client of the cluster whose seeds are {@code seeds}: a port of
   * the system's choosing, no management endpoint, and only the role {@link #CLIENT_ROLE}, so it
   * submits work and reads results, and runs no tasks, shards or singletons that need a role.
   * Copy the map and add what else it needs (its host, the cluster's journal), then {@code
   * ComputeNode.start(NodeConfigLoader.load(...))}.
   *
   * @return an unmodifiable map of {@code tessera.node.*} keys
   */
  public static Map<String, Object> clientSettings(List<String> seeds) {
    return Map.of(
        "tessera.node.port", 0,
        "tessera.node.management.enabled", false,
        "tessera.node.roles", List.of(CLIENT_ROLE),
        "tessera.node.seeds", List.copyOf(seeds));
  }

  /**
   * Starts a client of the cluster whose seeds are {@code seeds} (a node with {@link
   * #clientSettings}) and waits until it is {@code Up}: what a CLI command, a sample, a bench or a
   * test does before it submits work.
   *
   * @param seeds {@code host:port} of the cluster's seed nodes; none makes the client a cluster of
   *     its own (a test's one-node cluster)
   * @param extraConfig further keys (the cluster's journal, this machine's host, ...) under the
   *     client settings, which win where both speak; loaded with {@link NodeConfigLoader#load(Config)}
   * @param timeout how long to wait for the node to be {@code Up}
   * @return the node, {@code Up}; close it to leave
   * @throws IllegalStateException when the node is not {@code Up} within {@code timeout}, gives up
   *     joining first, or the wait is interrupted; the node is closed by then
   * @throws InvalidNodeSettingsException when {@code extraConfig} is invalid
   * @throws NodeStartException when the node cannot start (see {@link #start(Config)})
   */
  public static ComputeNode joinAsClient(List<String> seeds, Config extraConfig, Duration timeout) {
    return joinAsClient(seeds, extraConfig, timeout, ComputeNode::start);
  }

  /** {@link #joinAsClient(List, Config, Duration)} with the extra keys as a map of paths to values. */
  public static ComputeNode joinAsClient(List<String> seeds, Map<String, ?> extraConfig, Duration timeout) {
    return joinAsClient(seeds, ConfigFactory.parseMap(Objects.requireNonNull(extraConfig, "extraConfig")), timeout);
  }

  /** {@link #joinAsClient(List, Config, Duration)}, starting the node with {@code starter} (for tests). */
  static ComputeNode joinAsClient(
      List<String> seeds, Config extraConfig, Duration timeout, Function<Config, ComputeNode> starter) {
    Objects.requireNonNull(seeds, "seeds");
    Objects.requireNonNull(extraConfig, "extraConfig");
    Objects.requireNonNull(timeout, "timeout");
    ComputeNode node = starter.apply(NodeConfigLoader.load(ConfigFactory.parseMap(clientSettings(seeds)).withFallback(extraConfig)));
    try {
      node.whenUp().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return node;
    } catch (InterruptedException e) {
      node.close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while joining the cluster through seeds " + seeds, e);
    } catch (ExecutionException e) {
      node.close();
      throw new IllegalStateException("could not join the cluster as a client: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      node.close();
      throw new IllegalStateException("could not join the cluster through seeds " + seeds + " as a client within "
          + timeout.toMillis() / 1000.0 + " s (no seed answered, or none let it in)", e);
    }
  }

  /**
   * Starts a node from a config already loaded with {@link NodeConfigLoader}.
   *
   * @throws InvalidNodeSettingsException when {@code tessera.node} is invalid
   * @throws NodeStartException when the node cannot bind or resolve its addresses, or a {@link
   *     NodePlugin} fails
   */
  public static ComputeNode start(Config config) {
    return start(NodeSettings.create(config), config);
  }

  /**
   * Starts a node. {@code config} supplies everything not covered by {@code settings} (the user's
   * own {@code pekko.*} keys, for example); the settings win where both speak. The roles of every
   * {@link NodePlugin} on the classpath are added to the settings' roles.
   */
  public static ComputeNode start(NodeSettings settings, Config config) {
    List<NodePlugin> plugins = new ArrayList<>();
    ServiceLoader.load(NodePlugin.class).forEach(plugins::add);
    return start(settings, config, plugins);
  }

  /** Starts a node with these plugins instead of those on the classpath (for tests). */
  static ComputeNode start(NodeSettings settings, Config config, List<NodePlugin> plugins) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(plugins, "plugins");
    checkResolvable(settings);
    NetworkExposure.check(settings, config);
    NodeSettings effective = addAdvertisedRoles(settings, config, plugins);
    CompletableFuture<JoinWatchdog.Outcome> joinOutcome = new CompletableFuture<>();
    ActorSystem<NodeGuardian.Command> system;
    try {
      system =
          ActorSystem.create(
              NodeGuardian.create(
                  effective.seeds(), effective.join().timeout(), effective.join().retryLogInterval(), joinOutcome),
              effective.clusterName(),
              PekkoNodeConfig.from(effective).withFallback(PekkoNodeConfig.smallClusterTuning(config)).withFallback(config));
    } catch (RuntimeException e) {
      throw translate(e, effective.bindHost(), effective.port(), "cluster");
    }
    ComputeNode node = new ComputeNode(effective, system, joinOutcome);
    system.getWhenTerminated().thenRun(() -> joinOutcome.completeExceptionally(
        new IllegalStateException("node stopped before it joined the cluster")));
    if (effective.management().enabled()) {
      node.startManagement(config);
    }
    node.startObjectStore();
    // Reports to every node's dashboard (GET /dashboard), whether or not this node serves one.
    dev.tessera.runtime.dashboard.Dashboard.get(system);
    node.startPlugins(plugins);
    log.info(
        "node {} starting with roles {}; {}",
        node.address(),
        effective.roles(),
        effective.startsNewCluster() ? "forming a new cluster" : "joining through seeds " + effective.seeds());
    return node;
  }

  /**
   * The settings with every plugin's {@link NodePlugin#rolesToAdvertise} added to their
   * roles. Runs before the actor system exists: cluster roles cannot change once it does.
   */
  private static NodeSettings addAdvertisedRoles(NodeSettings settings, Config config, List<NodePlugin> plugins) {
    NodeSettings result = settings;
    for (NodePlugin plugin : plugins) {
      String name = plugin.getClass().getName();
      Set<String> added;
      try {
        added = Objects.requireNonNull(plugin.rolesToAdvertise(config), "rolesToAdvertise returned null");
      } catch (RuntimeException e) {
        throw new NodeStartException(
            NodeStartException.Reason.OTHER, "node plugin " + name + " failed to choose its roles: " + e, e);
      }
      Set<String> roles = new LinkedHashSet<>(result.roles());
      if (!roles.addAll(added)) {
        continue;
      }
      try {
        result = result.withRoles(roles);
      } catch (RuntimeException e) {
        throw new NodeStartException(
            NodeStartException.Reason.OTHER, "node plugin " + name + " advertises an invalid role: " + e.getMessage(), e);
      }
      log.info("node plugin {} adds roles {}", name, added);
    }
    return result;
  }

  private void startManagement(Config config) {
    String host = settings.management().bindHost();
    java.util.function.Function<org.apache.pekko.management.javadsl.ManagementRouteProviderSettings,
        org.apache.pekko.management.javadsl.ManagementRouteProviderSettings> security;
    try {
      security = ManagementSecurity.forNode(settings, config, system);
    } catch (RuntimeException e) {
      terminateQuietly();
      throw e;
    }
    try {
      org.apache.pekko.http.javadsl.model.Uri uri =
          PekkoManagement.get(system)
              .start(security)
              .toCompletableFuture()
              .get(MANAGEMENT_BIND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      managementUri = Optional.of(URI.create(uri.toString()));
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      terminateQuietly();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw translate(cause, host, settings.management().port(), "management");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      terminateQuietly();
      throw new NodeStartException(NodeStartException.Reason.OTHER, "interrupted while starting", e);
    }
  }

  /**
   * Every node runs an object store (dev.tessera.runtime.data): it listens before the node joins,
   * so the other nodes learn of it as they learn of the node. A port already taken stops the node.
   */
  private void startObjectStore() {
    try {
      dev.tessera.runtime.data.DataStore.get(system);
    } catch (RuntimeException e) {
      system.terminate();
      boolean taken = e.getCause() instanceof java.net.BindException;
      throw new NodeStartException(taken ? NodeStartException.Reason.ADDRESS_IN_USE : NodeStartException.Reason.OTHER,
          "the object store did not start: " + e.getMessage(), e);
    }
  }

  private void startPlugins(List<NodePlugin> plugins) {
    for (NodePlugin plugin : plugins) {
      try {
        plugin.start(this);
      } catch (RuntimeException | LinkageError | java.util.ServiceConfigurationError e) {
        // Errors too: a class or service provider missing from the classpath must not leave a
        // member running without its plugins (no task worker, no shard region stalls sharding).
        terminateQuietly();
        throw new NodeStartException(
            NodeStartException.Reason.OTHER, "node plugin " + plugin.getClass().getName() + " failed to start: " + e, e);
      }
    }
  }

  /** The settings this node runs with. */
  public NodeSettings settings() {
    return settings;
  }

  /** Where the management endpoint listens (with the real port when 0 was configured), if enabled. */
  public Optional<URI> managementUri() {
    return managementUri;
  }

  /** The actor system, for spawning the application's own actors. */
  public ActorSystem<?> system() {
    return system;
  }

  /** This node's cluster address (with the real port when 0 was configured). */
  public Address address() {
    return Cluster.get(system).selfMember().address();
  }

  /** Completes when this node is {@code Up}; fails if it gives up joining or stops first. */
  public CompletionStage<Address> whenUp() {
    return joinOutcome.thenApply(
        outcome -> {
          if (outcome instanceof JoinWatchdog.Joined joined) {
            return joined.self();
          }
          JoinWatchdog.GaveUp gaveUp = (JoinWatchdog.GaveUp) outcome;
          throw new IllegalStateException(
              "could not join through seeds " + gaveUp.seeds() + " within " + gaveUp.after().toSeconds() + " s"
                  + (gaveUp.causes().isEmpty() ? "" : ": " + String.join("; ", gaveUp.causes())));
        });
  }

  /** Why seeds refused this node, once it has given up joining (see {@link JoinWatchdog.GaveUp}); else empty. */
  public List<String> joinRefusals() {
    JoinWatchdog.Outcome outcome = joinOutcome.getNow(null);
    return outcome instanceof JoinWatchdog.GaveUp gaveUp ? gaveUp.causes() : List.of();
  }

  /** The members this node currently sees, in address order. */
  public List<Member> members() {
    List<Member> members = new ArrayList<>();
    Cluster.get(system).state().getMembers().forEach(members::add);
    return List.copyOf(members);
  }

  /** Completes when the node has stopped, with the reason it stopped for. */
  public CompletionStage<CoordinatedShutdown.Reason> whenTerminated() {
    return system.getWhenTerminated()
        .thenApply(done -> CoordinatedShutdown.get(system).getShutdownReason().orElse(CoordinatedShutdown.unknownReason()));
  }

  /**
   * Leaves the cluster gracefully (its members see it leave at once, rather than after failure
   * detection) and stops the node. Returns once it has stopped.
   *
   * <p>Only a node that is a member in its own view (Joining, WeaklyUp or Up) can leave. While its
   * Join is still in flight (sent, but the Welcome reply not yet processed) Pekko drops the leave
   * request and treats the node as never joined, so the node just stops. The cluster may already
   * count it as a member, and even show it Up (the leader does not wait for the joining node), so
   * it then sees the node become unreachable and the split brain resolver downs and removes it
   * (about 15 s), as for a crashed node. This applies to SIGTERM and Ctrl-C as well.
   */
  public CompletionStage<Done> leave() {
    return CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.clusterLeavingReason());
  }

  /** Leaves the cluster and waits for the node to stop (bounded by the shutdown phase timeouts). */
  @Override
  public void close() {
    try {
      leave().toCompletableFuture().get(60, TimeUnit.SECONDS);
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("node {} did not stop cleanly: {}", settings.clusterName(), e.toString());
    }
  }

  private void terminateQuietly() {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.debug("actor system did not terminate in time", e);
    }
  }

  private static void checkResolvable(NodeSettings settings) {
    resolve(settings.host(), "tessera.node.host");
    resolve(settings.bindHost(), "tessera.node.bind-host");
    for (SeedAddress seed : settings.seeds()) {
      resolve(seed.host(), "seed " + seed);
    }
  }

  private static void resolve(String host, String what) {
    try {
      InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new NodeStartException(
          NodeStartException.Reason.UNRESOLVABLE_HOST, what + ": host '" + host + "' cannot be resolved", e);
    }
  }

  private static NodeStartException translate(Throwable e, String host, int port, String which) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException bind) {
        String message = String.valueOf(bind.getMessage());
        if (message.contains("in use")) {
          return new NodeStartException(
              NodeStartException.Reason.ADDRESS_IN_USE,
              which + " port " + port + " on " + host + " is already in use (is another node running there?)",
              e);
        }
        return new NodeStartException(
            NodeStartException.Reason.ADDRESS_NOT_LOCAL,
            "cannot listen on " + host + ":" + port + " for " + which + ": " + message
                + " (is " + host + " an address of this machine? see tessera.node.bind-host)",
            e);
      }
    }
    return new NodeStartException(
        NodeStartException.Reason.OTHER, which + " could not start on " + host + ":" + port + ": " + e, e);
  }
}
