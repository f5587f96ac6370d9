package dev.tessera.runtime.node;

/**
 * Something that starts with every node that has it on its classpath, found with {@link
 * java.util.ServiceLoader} (list the class in {@code META-INF/services/dev.tessera.runtime.node.NodeExtension}).
 * The work-patterns module uses it to start a task worker on nodes with the worker role, so that
 * `cluster node` needs no code of the application's own.
 *
 * <p>{@link #start} runs once, on the thread that starts the node, after its actor system is up and
 * before it has joined the cluster. It should return quickly (the durable-jobs extension waits for
 * its journal's schema, at most a minute); an exception stops the node from starting.
 */
public interface NodeExtension {

  void start(ComputeNode node);
}
