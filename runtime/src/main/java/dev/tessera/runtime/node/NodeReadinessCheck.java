package dev.tessera.runtime.node;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The readiness check behind {@code GET /ready} (with Pekko Management's own, that the node is an
 * Up member): every part registered in {@link NodeReadiness} has started and reports no problem. A
 * node that is not ready answers 500 with the reasons in the body.
 */
public final class NodeReadinessCheck implements Supplier<CompletionStage<Boolean>> {

  private final NodeReadiness readiness;

  /** Made by Pekko Management, with the node's (classic) actor system. */
  public NodeReadinessCheck(ActorSystem system) {
    this.readiness = NodeReadiness.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    List<String> reasons = readiness.notReady();
    if (reasons.isEmpty()) {
      return CompletableFuture.completedFuture(true);
    }
    return CompletableFuture.failedFuture(new IllegalStateException("not ready: " + String.join("; ", reasons)));
  }
}
