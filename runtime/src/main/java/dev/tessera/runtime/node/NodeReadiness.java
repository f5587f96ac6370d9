package dev.tessera.runtime.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

/**
 * What a node's {@code GET /ready} waits for besides being an Up member: each part of the node
 * that serves work (the task worker, durable jobs' shard regions and journal, a plugin's own
 * actors) registers here, and the node is ready only once every part has started and none reports
 * a problem. {@code GET /alive} answers while the node runs, whatever this says.
 *
 * <pre>{@code
 * NodeReadiness.get(system).register("task worker", startedFuture, () -> Optional.empty());
 * }</pre>
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class NodeReadiness implements Extension {

  private record Part(CompletionStage<?> started, Supplier<Optional<String>> problem) {}

  private final Map<String, Part> parts = new ConcurrentHashMap<>();

  private NodeReadiness() {}

  public static NodeReadiness get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /**
   * A part the node waits for: ready once {@code started} has completed normally, and while
   * {@code problem} returns empty (else its message says why the node is not ready).
   */
  public void register(String name, CompletionStage<?> started, Supplier<Optional<String>> problem) {
    parts.put(Objects.requireNonNull(name, "name"),
        new Part(Objects.requireNonNull(started, "started"), Objects.requireNonNull(problem, "problem")));
  }

  /** A part that has started already and reports no problems of its own. */
  public void registerStarted(String name) {
    register(name, CompletableFuture.completedFuture(null), Optional::empty);
  }

  /** Why the node is not ready, part by part; empty when every part is ready. */
  public List<String> notReady() {
    List<String> reasons = new ArrayList<>();
    parts.forEach((name, part) -> {
      CompletableFuture<?> started = part.started().toCompletableFuture();
      if (!started.isDone()) {
        reasons.add(name + " has not started yet");
      } else if (started.isCompletedExceptionally()) {
        reasons.add(name + " failed to start");
      } else {
        Optional<String> problem;
        try {
          problem = part.problem().get();
        } catch (RuntimeException e) {
          problem = Optional.of(String.valueOf(e.getMessage()));
        }
        problem.ifPresent(p -> reasons.add(name + ": " + p));
      }
    });
    reasons.sort(null);
    return reasons;
  }

  /** The parts registered, by name (for logs and tests). */
  public List<String> parts() {
    return parts.keySet().stream().sorted().toList();
  }

  static final class Id extends ExtensionId<NodeReadiness> {
    static final Id INSTANCE = new Id();

    @Override
    public NodeReadiness createExtension(ActorSystem<?> system) {
      return new NodeReadiness();
    }
  }
}
