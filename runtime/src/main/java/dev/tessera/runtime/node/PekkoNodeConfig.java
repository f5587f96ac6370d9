package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigOrigin;
import dev.tessera.runtime.cluster.PromptDowningProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Translates {@link NodeSettings} into the Pekko settings they stand for. Kept in one place so the
 * mapping from our documented keys to Pekko's is easy to audit.
 */
final class PekkoNodeConfig {

  /**
   * Pekko keys that {@link #from} sets from a {@code tessera.node} key, to that key. A user who
   * sets one of them directly is told to set the Tessera key instead (NodeConfigLoader), since
   * {@link #from} would overwrite the value.
   */
  static final Map<String, String> FROM_TESSERA = Map.of(
      "pekko.cluster.seed-nodes", "tessera.node.seeds",
      "pekko.cluster.roles", "tessera.node.roles",
      "pekko.remote.artery.canonical.hostname", "tessera.node.host",
      "pekko.remote.artery.canonical.port", "tessera.node.port",
      "pekko.remote.artery.bind.hostname", "tessera.node.bind-host",
      "pekko.remote.artery.bind.port", "tessera.node.port",
      "pekko.remote.artery.transport", "tessera.node.tls.enabled",
      "pekko.management.http.hostname", "tessera.node.management.host",
      "pekko.management.http.port", "tessera.node.management.port");

  private PekkoNodeConfig() {}

  /**
   * Cluster membership and sharding (which runs durable jobs' coordinators) tuned for clusters of a
   * handful of nodes, for each key the user's config leaves at Pekko's default.
   *
   * <ul>
   *   <li>Pekko writes the shard coordinator's state to a majority plus 3 nodes, with a majority of
   *       at least 5: on 3 nodes, every node. After a node died and was started again, each write
   *       waited for the new one to start sharding and timed out after 5 s, which cost a job 5 to
   *       10 s of its failover (chaos suite, coordinator-kill). Here: a plain majority (2 of 3),
   *       reads and writes retried after 2 s.
   *   <li>A shard coordinator that moved to another node answers nothing until every live region
   *       has registered again, and a region that asked too early asks again only after {@code
   *       retry-interval} (Pekko: 2 s): 250 ms here. The cost is one small message per region per
   *       250 ms while a coordinator is missing or messages wait for a shard's home.
   *   <li>A node's failure detector is read every {@code unreachable-nodes-reaper-interval}
   *       (Pekko: 1 s), so a silent node was marked unreachable up to 1 s after the detector
   *       suspected it; the leader removes a downed node at its next maintenance tick ({@code
   *       leader-actions-interval}, Pekko: 1 s), and only then may singletons and shards move:
   *       250 ms each here. Both ticks do local work only.
   *   <li>A removal needs every member to have seen the node downed, spread by gossip every
   *       {@code gossip-interval} (Pekko: 1 s): 500 ms here. Gossip to one other node per tick,
   *       a few hundred bytes while membership is stable.
   * </ul>
   */
  static Config smallClusterTuning(Config config) {
    Map<String, Object> ours = new LinkedHashMap<>();
    String sharding = "pekko.cluster.sharding.";
    ours.put(sharding + "coordinator-state.write-majority-plus", 0);
    ours.put(sharding + "coordinator-state.read-majority-plus", 0);
    ours.put(sharding + "distributed-data.majority-min-cap", 2);
    ours.put(sharding + "updating-state-timeout", "2s");
    ours.put(sharding + "coordinator-failure-backoff", "2s");
    ours.put(sharding + "retry-interval", "250ms");
    ours.put("pekko.cluster.leader-actions-interval", "250ms");
    ours.put("pekko.cluster.unreachable-nodes-reaper-interval", "250ms");
    ours.put("pekko.cluster.gossip-interval", "500ms");
    // Pekko's split brain resolver, deciding within 250 ms of stable-after rather than 1 s. Pekko's
    // own (org.apache.pekko.cluster.sbr.SplitBrainResolverProvider) where the config names it.
    // Every node of a cluster must name the same one: Pekko refuses a join otherwise.
    ours.put("pekko.cluster.downing-provider-class", PromptDowningProvider.class.getName());
    // A leaving node's task worker drains in this phase (work-patterns' TaskWorkerPlugin).
    ours.put("pekko.coordinated-shutdown.phases.before-service-unbind.timeout",
        millis(config.getDuration("tessera.node.drain-timeout").plusSeconds(5)));
    Map<String, Object> applied = new LinkedHashMap<>();
    ours.forEach((key, value) -> {
      if (!config.hasPath(key) || comesFromAReferenceConf(config.getValue(key).origin())) {
        applied.put(key, value);
      }
    });
    return ConfigFactory.parseMap(applied, "tessera.node tuning for small clusters");
  }

  /**
   * Whether a value is a library's default (a {@code reference.conf} on the classpath) rather than
   * something the user wrote (a config file, {@code -D}, an override), even one equal to Pekko's
   * default: a user who writes Pekko's own value gets it.
   */
  private static boolean comesFromAReferenceConf(ConfigOrigin origin) {
    String resource = origin.resource();
    return resource != null && (resource.equals("reference.conf") || resource.endsWith("/reference.conf"));
  }

  /** The Pekko keys implied by the settings; they take precedence over the user's own pekko keys. */
  static Config from(NodeSettings s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pekko.actor.provider", "cluster");

    String artery = "pekko.remote.artery.";
    m.put(artery + "transport", s.tls().enabled() ? "tls-tcp" : "tcp");
    m.put(artery + "canonical.hostname", s.host());
    m.put(artery + "canonical.port", s.port());
    m.put(artery + "bind.hostname", s.bindHost());
    m.put(artery + "bind.port", "");
    if (s.tls().enabled()) {
      String ssl = artery + "ssl.config-ssl-engine.";
      m.put(artery + "ssl.ssl-engine-provider", "dev.tessera.runtime.tls.TesseraSslEngineProvider");
      m.put(ssl + "key-store", s.tls().keyStore().toAbsolutePath().toString());
      m.put(ssl + "key-store-password", s.tls().keyStorePassword());
      m.put(ssl + "key-password", s.tls().keyPassword());
      m.put(ssl + "trust-store", s.tls().trustStore().toAbsolutePath().toString());
      m.put(ssl + "trust-store-password", s.tls().trustStorePassword());
      m.put(ssl + "protocol", "TLSv1.3");
      m.put(ssl + "enabled-algorithms", List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"));
      m.put(ssl + "require-mutual-authentication", "on");
    }

    String cluster = "pekko.cluster.";
    // Without seeds the node joins itself once started (ComputeNode), forming a new cluster.
    List<String> seeds = new ArrayList<>();
    s.seeds().forEach(seed -> seeds.add(seed.toPekkoAddress(s.clusterName())));
    m.put(cluster + "seed-nodes", seeds);
    m.put(cluster + "roles", new ArrayList<>(s.roles()));
    m.put(cluster + "seed-node-timeout", millis(s.join().seedNodeTimeout()));
    m.put(cluster + "retry-unsuccessful-join-after", millis(s.join().seedNodeTimeout()));
    // Our JoinWatchdog gives up with a clear message and exit code instead.
    m.put(cluster + "shutdown-after-unsuccessful-join-seed-nodes", "off");
    m.put(cluster + "run-coordinated-shutdown-when-down", "on");
    m.put(cluster + "split-brain-resolver.active-strategy", s.failureDetection().downingStrategy());
    m.put(cluster + "split-brain-resolver.stable-after", millis(s.failureDetection().stableAfter()));
    // Without it, the resolver waits stable-after again before singletons and shards move.
    m.put(cluster + "down-removal-margin", millis(s.failureDetection().handOverMargin()));
    m.put(cluster + "split-brain-resolver.down-all-when-unstable", millis(s.failureDetection().downAllWhenUnstable()));
    m.put(cluster + "failure-detector.heartbeat-interval", millis(s.failureDetection().heartbeatInterval()));
    m.put(
        cluster + "failure-detector.acceptable-heartbeat-pause",
        millis(s.failureDetection().acceptableHeartbeatPauseFor(s.roles())));
    m.put(cluster + "failure-detector.threshold", s.failureDetection().threshold());

    // The process decides how to exit (and with which code) once the actor system has terminated.
    m.put("pekko.coordinated-shutdown.exit-jvm", "off");

    String http = "pekko.management.http.";
    m.put(http + "hostname", s.management().bindHost());
    m.put(http + "port", s.management().port());
    m.put(http + "route-providers-read-only", "true");
    return ConfigFactory.parseMap(m, "tessera.node settings");
  }

  private static String millis(Duration d) {
    return d.toMillis() + "ms";
  }
}
