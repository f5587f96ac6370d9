package dev.tessera.runtime.cluster;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * Why seeds refused this node, as far as this node could learn it: a seed's certificate it does
 * not trust, a seed that refused its certificate, a seed that belongs to a cluster of another name.
 * The node's {@code JoinWatchdog} puts these in its {@code GaveUp}, so a node that gives up
 * joining says why instead of asking whether the seeds are running.
 *
 * <p>Written from TLS engine threads and actors, read by the watchdog: every method is thread safe.
 * One cause per seed and kind (the latest), so a node retrying for minutes holds a handful.
 */
public final class JoinRefusals implements Extension {

  /** The extension's id: {@code JoinRefusals.ID.get(classicSystem)}. */
  public static final Id ID = new Id();

  /** Creates one {@link JoinRefusals} per actor system. */
  public static final class Id extends AbstractExtensionId<JoinRefusals> implements ExtensionIdProvider {
    private Id() {}

    @Override
    public JoinRefusals createExtension(ExtendedActorSystem system) {
      return new JoinRefusals();
    }

    @Override
    public Id lookup() {
      return ID;
    }
  }

  private final Map<String, String> causes = new LinkedHashMap<>();

  /**
   * Records why a seed refused this node.
   *
   * @param seed the seed's {@code host:port}
   * @param kind what went wrong, so that one kind does not replace another (e.g. {@code "tls"})
   * @param cause a sentence that names the seed and says what to do
   */
  public synchronized void record(String seed, String kind, String cause) {
    Objects.requireNonNull(seed, "seed");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(cause, "cause");
    String key = seed + " " + kind;
    causes.remove(key);
    causes.put(key, cause);
  }

  /** The causes recorded so far, oldest first. */
  public synchronized List<String> causes() {
    return List.copyOf(new ArrayList<>(causes.values()));
  }
}
