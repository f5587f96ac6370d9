package dev.tessera.persistence.journal;

import com.typesafe.config.Config;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;

/**
 * The journal plugins every durable part of Tessera writes through. They are our own copies of
 * pekko-persistence-jdbc's plugins, set to our shared database: setting {@code
 * jdbc-journal.use-shared-db} in our reference.conf does not work, because which reference.conf
 * wins a key both define depends on the classpath order (in the runnable jar, theirs won).
 *
 * <p>Thread safety: stateless.
 */
public final class JournalPlugins {

  /** The read journal plugin (persistence query) on the same database. */
  public static final String READ_JOURNAL = "tessera-jdbc-read-journal";

  private JournalPlugins() {}

  /** The journal plugin id ({@code tessera.persistence.journal-plugin}). */
  public static String journal(ActorSystem<?> system) {
    return journal(system.settings().config());
  }

  /** The journal plugin id, from an actor system's config (for classic persistent actors). */
  public static String journal(Config config) {
    return config.getString("tessera.persistence.journal-plugin");
  }

  /** The snapshot store plugin id ({@code tessera.persistence.snapshot-plugin}). */
  public static String snapshotStore(ActorSystem<?> system) {
    return snapshotStore(system.settings().config());
  }

  /** The snapshot store plugin id, from an actor system's config (for classic persistent actors). */
  public static String snapshotStore(Config config) {
    return config.getString("tessera.persistence.snapshot-plugin");
  }

  /**
   * Creates the journal's tables where missing, if {@code tessera.persistence.create-schema} is on
   * and the journal is our JDBC one: pekko-persistence-jdbc's, and the table of large job results
   * beside them ({@link ResultBlobs#DDL}).
   */
  public static CompletionStage<Done> createSchema(ActorSystem<?> system) {
    Config settings = settings(system);
    String plugin = settings.getString("journal-plugin");
    if (!settings.getBoolean("create-schema") || !system.settings().config().hasPath(plugin + ".use-shared-db")) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    ResultBlobs blobs = ResultBlobs.get(system);
    return SchemaUtils.createIfNotExists(plugin, (ClassicActorSystemProvider) system)
        .thenCompose(done -> blobs.enabled() ? blobs.createTable() : CompletableFuture.completedFuture(done));
  }

  private static Config settings(ActorSystem<?> system) {
    return system.settings().config().getConfig("tessera.persistence");
  }
}
