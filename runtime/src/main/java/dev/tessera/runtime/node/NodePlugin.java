package dev.tessera.runtime.node;

import com.typesafe.config.Config;
import java.util.Set;

/**
 * Something that starts with every node that has it on its classpath, found with {@link
 * java.util.ServiceLoader} (list the class in {@code META-INF/services/dev.tessera.runtime.node.NodePlugin}).
 * The work-patterns module uses it to start a task worker on nodes with the worker role, so that
 * `tessera node` needs no code of the application's own.
 *
 * <p>A node calls each plugin twice, on the thread that starts it:
 *
 * <ol>
 *   <li>{@link #rolesToAdvertise} before its actor system exists, because a node's cluster roles
 *       are fixed when the actor system is created;
 *   <li>{@link #start} after the actor system is up and before the node has joined the cluster. It
 *       should return quickly (the durable-jobs plugin waits for its journal's schema, at most a
 *       minute).
 * </ol>
 *
 * <p>An exception from either stops the node from starting, with a {@link NodeStartException}
 * that names the plugin.
 */
public interface NodePlugin {

  /**
   * Roles this node should offer besides those configured in {@code tessera.node.roles}; the node
   * advertises the union of every plugin's roles and its own. A GPU module, for example, returns
   * {@code gpu} when it finds a device, so that jobs needing a GPU are placed on this node without
   * anyone configuring the role by hand. Called once, before {@link #start}; the default adds none.
   *
   * @param config the node's whole config, merged and resolved (as {@link NodeConfigLoader} returns it)
   * @return role names (letters, digits, '-', '_', '.'); never null
   */
  default Set<String> rolesToAdvertise(Config config) {
    return Set.of();
  }

  void start(ComputeNode node);
}
