package dev.tessera.runtime.cluster;

import java.time.Duration;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.ClusterLogMarker;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.sbr.DowningStrategy;
import org.apache.pekko.cluster.sbr.SplitBrainResolverBase;
import org.apache.pekko.remote.artery.ThisActorSystemQuarantinedEvent;
import scala.concurrent.duration.FiniteDuration;

/**
 * Pekko's split brain resolver, deciding within a quarter second of {@code stable-after} instead of
 * within a second.
 *
 * <p>Pekko's resolver ({@code org.apache.pekko.cluster.sbr.SplitBrainResolver}) checks whether
 * membership has been stable on a fixed 1 s tick, so a crashed node is downed between 0 and 1 s
 * after {@code stable-after} has passed: on a three-node cluster that was the widest spread in
 * the time a job's coordinator takes to move (chaos-tests/README.md, "Recovery times"). This is
 * the same resolver, every decision made by Pekko's own strategy classes, with only the tick
 * shortened to {@link #TICK}. It is the same class Pekko's (final) resolver extends, and does what
 * that one does on start, stop and downing; {@link PromptDowningProvider} builds it from Pekko's
 * own {@code split-brain-resolver} settings.
 */
public final class PromptSplitBrainResolver extends SplitBrainResolverBase {

  /** How often stability is checked: a decision comes at most this long after it is due. */
  public static final Duration TICK = Duration.ofMillis(250);

  private final Cluster cluster;

  public PromptSplitBrainResolver(FiniteDuration stableAfter, DowningStrategy strategy) {
    super(stableAfter, strategy);
    this.cluster = Cluster.get(context().system());
    log().info(String.format(
        "SBR started (a %d ms tick). Config: strategy [%s], stable-after [%s], down-all-when-unstable [%s], selfUniqueAddress [%s], selfDc [%s].",
        TICK.toMillis(), strategy.getClass().getSimpleName(), stableAfter, downAllWhenUnstable(),
        selfUniqueAddress().address(), selfDc()));
  }

  @Override
  public FiniteDuration tickInterval() {
    // Called from the base class's constructor, before this class's fields are set.
    return FiniteDuration.create(TICK.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  @Override
  public UniqueAddress selfUniqueAddress() {
    return Cluster.get(context().system()).selfUniqueAddress();
  }

  @Override
  public String selfDc() {
    return Cluster.get(context().system()).selfDataCenter();
  }

  @Override
  public void preStart() {
    cluster.subscribe(self(), ClusterEvent.initialStateAsEvents(), ClusterEvent.ClusterDomainEvent.class);
    context().system().eventStream().subscribe(self(), ThisActorSystemQuarantinedEvent.class);
  }

  @Override
  public void postStop() {
    cluster.unsubscribe(self());
    context().system().eventStream().unsubscribe(self(), ThisActorSystemQuarantinedEvent.class);
    super.postStop();
  }

  @Override
  public void down(UniqueAddress node, DowningStrategy.Decision decision) {
    log().info(ClusterLogMarker.sbrDowningNode(node, decision), "SBR is downing [{}]", node);
    cluster.down(node.address());
  }
}
