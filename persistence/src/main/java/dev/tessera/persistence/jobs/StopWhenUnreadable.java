package dev.tessera.persistence.jobs;

import java.util.function.BooleanSupplier;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Stops an event-sourced actor once its journal turned out unreadable. With {@code
 * onPersistFailure} a failed recovery restarts the actor with backoff: right for an outage (the
 * journal's storage failing), but damage (an event that cannot be deserialized) no restart repairs,
 * and Pekko offers no way to stop from the signal handler that learns of it. This interceptor sees
 * every message, the restart's own timer included, and stops the actor at the first one after the
 * damage was found.
 *
 * <p>Threading: runs in the actor it wraps.
 */
final class StopWhenUnreadable {

  private StopWhenUnreadable() {}

  /** {@code behavior}, stopped at its next message once {@code unreadable} is true. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static <T> Behavior<T> wrap(Behavior<T> behavior, BooleanSupplier unreadable) {
    BehaviorInterceptor<Object, Object> stopper = new BehaviorInterceptor<>(Object.class) {
      @Override
      public Behavior<Object> aroundReceive(TypedActorContext<Object> ctx, Object message, ReceiveTarget<Object> target) {
        return unreadable.getAsBoolean() ? Behaviors.stopped() : target.apply(ctx, message);
      }
    };
    // Object, not T: journal replies and the supervisor's timer are not of the actor's own type.
    return (Behavior) Behaviors.intercept(() -> stopper, (Behavior) behavior);
  }
}
