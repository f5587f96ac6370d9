package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Secure by default off loopback: a node whose cluster, object store or management address is not
 * a loopback address refuses to start without TLS, because anyone who reaches a plaintext cluster
 * port can join with any roles, submit or cancel jobs and run code on every node (what Ray's
 * default led to, CVE-2023-48022). {@code tessera.node.insecure-plaintext = on} (the flag {@code
 * --insecure-plaintext}) lets it start anyway, with a warning at every start.
 *
 * <p>An exposed management endpoint on a TLS node must also have a token (see {@code
 * tessera.node.management.token-file}); it then serves HTTPS only.
 */
public final class NetworkExposure {

  private static final Logger log = LoggerFactory.getLogger(NetworkExposure.class);

  /** The key that lets a node listen off loopback without TLS. */
  public static final String INSECURE_KEY = "tessera.node.insecure-plaintext";

  private NetworkExposure() {}

  /**
   * Checks where a node would listen and whether that is allowed.
   *
   * @throws NodeStartException with reason {@link NodeStartException.Reason#NOT_SECURED} naming
   *     each exposed address and how to proceed
   */
  public static void check(NodeSettings settings, Config config) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(config, "config");
    List<String> exposed = exposedAddresses(settings, config);
    if (exposed.isEmpty() || settings.tls().enabled()) {
      return;
    }
    if (config.hasPath(INSECURE_KEY) && config.getBoolean(INSECURE_KEY)) {
      log.warn("INSECURE: this node listens on {} in plaintext, without authentication: any machine that reaches it can "
          + "join the cluster and run code here ({} = on). Use TLS: `tessera certs init` and `tessera certs issue HOST`",
          String.join(", ", exposed), INSECURE_KEY);
      return;
    }
    throw new NodeStartException(NodeStartException.Reason.NOT_SECURED,
        "refusing to listen on " + String.join(", ", exposed) + " without TLS: any machine that reaches it could join the "
            + "cluster and run code here. Make the cluster's keys with `tessera certs init --dir certs` and `tessera certs "
            + "issue HOST --dir certs`, then start the node with --tls-dir certs/HOST (tessera up does all of this); or, "
            + "on a network you trust entirely, start it with --insecure-plaintext (" + INSECURE_KEY + " = on)",
        null);
  }

  /** The addresses off loopback the node would listen on, each with the setting that chose it. */
  static List<String> exposedAddresses(NodeSettings settings, Config config) {
    List<String> exposed = new ArrayList<>();
    addIfExposed(exposed, settings.bindHost(), "the cluster port, tessera.node." + (settings.bindHost().equals(settings.host())
        ? "host" : "bind-host"));
    String dataBind = config.hasPath("tessera.data.bind-host") ? config.getString("tessera.data.bind-host") : "";
    if (!dataBind.isBlank()) {
      addIfExposed(exposed, dataBind, "the object store, tessera.data.bind-host");
    }
    if (settings.management().enabled()) {
      addIfExposed(exposed, settings.management().bindHost(), "the management endpoint, tessera.node.management.host");
    }
    return exposed;
  }

  private static void addIfExposed(List<String> exposed, String host, String what) {
    if (!isLoopback(host)) {
      exposed.add(host + " (" + what + ")");
    }
  }

  /** Whether {@code host} resolves only to loopback (an unresolvable name counts as exposed: it is reported elsewhere). */
  public static boolean isLoopback(String host) {
    try {
      InetAddress[] all = InetAddress.getAllByName(host);
      for (InetAddress address : all) {
        if (!address.isLoopbackAddress()) {
          return false;
        }
      }
      return all.length > 0;
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
