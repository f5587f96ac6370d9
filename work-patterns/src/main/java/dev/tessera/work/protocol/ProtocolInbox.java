package dev.tessera.work.protocol;

import java.util.Objects;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * How an actor with a message type of its own also takes one of the protocol's message types.
 *
 * <p>A worker or a coordinator has commands of its own (its timers, its owner's requests) besides
 * the protocol's messages, and the protocol cannot list them: it names no implementation. So the
 * actor declares its own sealed {@code Command} type with one record that carries a protocol
 * message, and {@link #accepting} wraps each protocol message that arrives into that record (a
 * Pekko message interceptor). Every other message, the actor's own, passes through untouched.
 *
 * <p>The actor keeps a single address: {@link #of} is the same actor, typed for the senders of
 * protocol messages, so remote workers and coordinators reach it, and watch it, as before.
 *
 * <pre>{@code
 * // In the actor's create(): protocol messages arrive as FromWorker(message)
 * return ProtocolInbox.accepting(CoordinatorMessage.class, FromWorker::new, Behaviors.setup(...));
 * // Where a worker must be told where to send:
 * ActorRef<CoordinatorMessage> forWorkers = ProtocolInbox.of(CoordinatorMessage.class, context.getSelf());
 * }</pre>
 */
public final class ProtocolInbox {

  private ProtocolInbox() {}

  /**
   * {@code behavior}, taking messages of {@code protocol} as {@code wrap} makes them, and its own
   * messages as they are.
   */
  public static <P, C> Behavior<C> accepting(Class<P> protocol, Function<P, C> wrap, Behavior<C> behavior) {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(wrap, "wrap");
    Objects.requireNonNull(behavior, "behavior");
    // Messages that are not of the protocol's class bypass the interceptor (Pekko's documented rule).
    Behavior<P> intercepted = Behaviors.transformMessages(protocol, behavior, match -> match.match(protocol, wrap::apply));
    return intercepted.unsafeCast();
  }

  /** The actor behind {@code actor}, addressed by senders of {@code protocol}'s messages. */
  public static <P> ActorRef<P> of(Class<P> protocol, ActorRef<?> actor) {
    Objects.requireNonNull(protocol, "protocol");
    return actor.unsafeUpcast();
  }
}
