package dev.tessera.persistence.journal;

import dev.tessera.runtime.serialization.CborSerializable;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.RecoveryFailed;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * Recovers a persistence id that is never written, once, when a node starts running durable jobs,
 * and stops. The first recovery in a JVM loads and compiles the whole read path (the journal and
 * snapshot plugins, their queries, the connection pool's first use): on a small machine that took
 * 1.4 s, which a job paid on the node it failed over to (the job registry's recovery after its node
 * was killed, measured by the chaos suite). Done here, at start-up, it is paid before any job needs
 * it. It writes nothing and reads nothing but the absence of this id.
 *
 * <p>Threading: an actor.
 */
public final class JournalWarmUp
    extends EventSourcedBehavior<JournalWarmUp.Command, JournalWarmUp.Nothing, JournalWarmUp.Nothing> {

  /** Messages it handles: only its own stop. */
  public sealed interface Command {}

  private enum Stop implements Command {
    INSTANCE
  }

  /** Neither an event nor a state is ever made; the type only completes the signature. */
  public enum Nothing implements CborSerializable {
    INSTANCE
  }

  /** The id recovered; nothing is ever persisted under it. */
  static final PersistenceId PERSISTENCE_ID = PersistenceId.ofUniqueId("tessera-journal-warm-up");

  private final ActorContext<Command> context;
  private final long startedNanos = System.nanoTime();

  public static Behavior<Command> create() {
    return Behaviors.setup(JournalWarmUp::new);
  }

  private JournalWarmUp(ActorContext<Command> context) {
    super(PERSISTENCE_ID);
    this.context = context;
  }

  @Override
  public Nothing emptyState() {
    return Nothing.INSTANCE;
  }

  @Override
  public String journalPluginId() {
    return JournalPlugins.journal(context.getSystem());
  }

  @Override
  public String snapshotPluginId() {
    return JournalPlugins.snapshotStore(context.getSystem());
  }

  @Override
  public SignalHandler<Nothing> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          context.getLog().debug("journal read path ready in {} ms",
              (System.nanoTime() - startedNanos) / 1_000_000);
          context.getSelf().tell(Stop.INSTANCE);
        })
        .onSignal(RecoveryFailed.class, (state, failed) ->
            // The real recoveries will say what is wrong, with the job or registry they are for.
            context.getLog().debug("journal warm-up failed: {}", failed.getFailure().toString()))
        .build();
  }

  @Override
  public CommandHandler<Command, Nothing, Nothing> commandHandler() {
    return newCommandHandlerBuilder().forAnyState().onCommand(Stop.class, stop -> Effect().stop()).build();
  }

  @Override
  public EventHandler<Nothing, Nothing> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state);
  }
}
