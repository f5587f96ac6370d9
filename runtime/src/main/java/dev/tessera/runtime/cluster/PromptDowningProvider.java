package dev.tessera.runtime.cluster;

import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.DowningProvider;
import org.apache.pekko.cluster.UniqueAddress;
import org.apache.pekko.cluster.sbr.DownAllNodes;
import org.apache.pekko.cluster.sbr.DowningStrategy;
import org.apache.pekko.cluster.sbr.KeepMajority;
import org.apache.pekko.cluster.sbr.KeepOldest;
import org.apache.pekko.cluster.sbr.KeepOldestSettings;
import org.apache.pekko.cluster.sbr.SplitBrainResolverProvider;
import org.apache.pekko.cluster.sbr.SplitBrainResolverSettings;
import org.apache.pekko.cluster.sbr.StaticQuorum;
import org.apache.pekko.cluster.sbr.StaticQuorumSettings;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * The downing provider every Tessera node uses ({@code pekko.cluster.downing-provider-class}):
 * Pekko's split brain resolver, configured by Pekko's own {@code pekko.cluster.split-brain-resolver}
 * settings (strategy, stable-after, roles, down-all-when-unstable, down-removal-margin), run as a
 * {@link PromptSplitBrainResolver} that decides within 250 ms of stable-after instead of within a
 * second.
 *
 * <p>The settings are read and checked by Pekko's {@code SplitBrainResolverSettings}, and each
 * strategy is Pekko's own class, built as Pekko's provider builds it. {@code lease-majority} needs
 * a lease implementation and is refused here with a clear message: a cluster that wants it sets
 * Pekko's {@code org.apache.pekko.cluster.sbr.SplitBrainResolverProvider} itself.
 */
public final class PromptDowningProvider extends DowningProvider {

  private final ActorSystem system;
  private final SplitBrainResolverProvider pekkos;
  private final SplitBrainResolverSettings settings;

  public PromptDowningProvider(ActorSystem system) {
    this.system = system;
    this.pekkos = new SplitBrainResolverProvider(system);
    this.settings = new SplitBrainResolverSettings(system.settings().config());
  }

  @Override
  public FiniteDuration downRemovalMargin() {
    return pekkos.downRemovalMargin();
  }

  @Override
  public Option<Props> downingActorProps() {
    Cluster cluster = Cluster.get(system);
    String dc = cluster.selfDataCenter();
    UniqueAddress self = cluster.selfUniqueAddress();
    String name = settings.DowningStrategy();
    DowningStrategy strategy;
    if (name.equals(SplitBrainResolverSettings.KeepMajorityName())) {
      strategy = new KeepMajority(dc, settings.keepMajorityRole(), self);
    } else if (name.equals(SplitBrainResolverSettings.KeepOldestName())) {
      KeepOldestSettings oldest = settings.keepOldestSettings();
      strategy = new KeepOldest(dc, oldest.downIfAlone(), oldest.role(), self);
    } else if (name.equals(SplitBrainResolverSettings.StaticQuorumName())) {
      StaticQuorumSettings quorum = settings.staticQuorumSettings();
      strategy = new StaticQuorum(dc, quorum.size(), quorum.role(), self);
    } else if (name.equals(SplitBrainResolverSettings.DownAllName())) {
      strategy = new DownAllNodes(dc, self);
    } else {
      throw new IllegalArgumentException("pekko.cluster.split-brain-resolver.active-strategy = " + name
          + " is not supported by " + PromptDowningProvider.class.getName()
          + " (keep-majority, keep-oldest, static-quorum and down-all are); for it, set "
          + "pekko.cluster.downing-provider-class = org.apache.pekko.cluster.sbr.SplitBrainResolverProvider");
    }
    FiniteDuration stableAfter = settings.DowningStableAfter();
    return Option.apply(Props.create(PromptSplitBrainResolver.class, stableAfter, strategy));
  }
}
