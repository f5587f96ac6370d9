package dev.tessera.runtime.cluster;

import dev.tessera.runtime.logging.OncePerInterval;
import dev.tessera.runtime.serialization.CborSerializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.ActorSelection;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.event.Logging;

/**
 * Deals with nodes of another cluster name, on both sides.
 *
 * <p>On a cluster's node: Pekko drops a handshake addressed to another actor system name with a
 * WARN, several times a second for as long as the stranger retries, and tells the stranger nothing.
 * This actor reads that WARN from the event stream (Pekko publishes no event for it), logs one line
 * per stranger and minute that names it and both cluster names, and sends the stranger a {@link
 * ForeignClusterNotice}: Artery delivers to any system name, only handshakes addressed to this
 * node's own name are refused.
 *
 * <p>On the stranger: it receives the notice, logs it, and records it in {@link JoinRefusals}, so
 * that when it gives up joining it says which cluster the seed belongs to.
 */
public final class ForeignNodeWatch extends AbstractBehavior<ForeignNodeWatch.Command> {

  /** The actor's name under the node's guardian: strangers are sent notices at this path. */
  public static final String NAME = "foreign-node-watch";

  /** Messages this actor handles. */
  public sealed interface Command {}

  /**
   * Sent by a cluster's node to a node that tried to join it under another cluster name.
   *
   * @param seed the address of the node that refused the handshake
   * @param addressedAs the address the stranger used for it
   */
  public record ForeignClusterNotice(String seed, String addressedAs) implements Command, CborSerializable {}

  private record WarningPublished(Logging.Warning warning) implements Command {}

  /** What Pekko's "Dropping Handshake Request" warning says. */
  record DroppedHandshake(Address from, Address addressedAs, Address local) {}

  private static final Pattern ADDRESS = Pattern.compile("pekko(?:\\.[a-z]+)?://[^\\s\\[\\],#()]+");
  private static final String DROPPED = "Dropping Handshake Request from [";

  private final OncePerInterval limit;
  /**
   * Notices sent in the current minute, across all strangers: a handshake's claimed address is not
   * authenticated, so a flood of forged ones must not make this node connect out at will.
   */
  private int noticesThisMinute;
  private long minuteStartedNanos = System.nanoTime();
  private final JoinRefusals refusals;

  public static Behavior<Command> create(OncePerInterval limit) {
    Objects.requireNonNull(limit, "limit");
    return Behaviors.setup(context -> new ForeignNodeWatch(context, limit));
  }

  private ForeignNodeWatch(ActorContext<Command> context, OncePerInterval limit) {
    super(context);
    context.setLoggerName(ForeignNodeWatch.class);
    this.limit = limit;
    this.refusals = JoinRefusals.ID.get(Adapter.toClassic(context.getSystem()));
    ActorRef<Logging.Warning> warnings = context.messageAdapter(Logging.Warning.class, WarningPublished::new);
    context.getSystem().eventStream().tell(new EventStream.Subscribe<>(Logging.Warning.class, warnings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(WarningPublished.class, this::onWarning)
        .onMessage(ForeignClusterNotice.class, this::onNotice)
        .build();
  }

  private Behavior<Command> onWarning(WarningPublished published) {
    Optional<DroppedHandshake> dropped = parse(String.valueOf(published.warning().message()));
    if (dropped.isEmpty()) {
      return this;
    }
    DroppedHandshake d = dropped.get();
    OptionalLong heldBack = limit.occurred("handshake " + d.from());
    if (heldBack.isPresent()) {
      getContext().getLog().warn("{}{}", refusedMessage(d), heldBack.getAsLong() == 0
          ? "" : " (" + heldBack.getAsLong() + " more attempts in the last minute)");
      if (mayNotify()) {
        ActorSelection stranger =
            Adapter.toClassic(getContext()).actorSelection(d.from() + "/user/" + NAME);
        stranger.tell(new ForeignClusterNotice(d.local().toString(), d.addressedAs().toString()),
            org.apache.pekko.actor.ActorRef.noSender());
      }
    }
    return this;
  }

  /** At most {@value #MAX_NOTICES_PER_MINUTE} notices a minute in all. */
  private boolean mayNotify() {
    long now = System.nanoTime();
    if (now - minuteStartedNanos > 60_000_000_000L) {
      minuteStartedNanos = now;
      noticesThisMinute = 0;
    }
    return noticesThisMinute++ < MAX_NOTICES_PER_MINUTE;
  }

  static final int MAX_NOTICES_PER_MINUTE = 10;

  private Behavior<Command> onNotice(ForeignClusterNotice notice) {
    Address seed = AddressFromURIString.parse(notice.seed());
    Address addressedAs = AddressFromURIString.parse(notice.addressedAs());
    String message = strangerMessage(seed, addressedAs);
    String hostPort = seed.getHost().orElse("?") + ":" + seed.getPort().map(String::valueOf).orElse("?");
    refusals.record(hostPort, "name", message);
    if (limit.occurred("notice " + seed).isPresent()) {
      getContext().getLog().warn("{}", message);
    }
    return this;
  }

  /** Reads Pekko's warning; empty for any other warning. */
  static Optional<DroppedHandshake> parse(String warning) {
    if (!warning.startsWith(DROPPED)) {
      return Optional.empty();
    }
    List<Address> addresses = new ArrayList<>();
    Matcher m = ADDRESS.matcher(warning);
    while (m.find() && addresses.size() < 3) {
      try {
        addresses.add(AddressFromURIString.parse(m.group()));
      } catch (RuntimeException e) {
        return Optional.empty();
      }
    }
    return addresses.size() == 3
        ? Optional.of(new DroppedHandshake(addresses.get(0), addresses.get(1), addresses.get(2)))
        : Optional.empty();
  }

  /** The cluster's line about the stranger. */
  static String refusedMessage(DroppedHandshake d) {
    if (!d.addressedAs().system().equals(d.local().system())) {
      return "refused node " + d.from() + ": it tries to join cluster '" + d.addressedAs().system()
          + "', this is cluster '" + d.local().system() + "' (every node of a cluster needs the same "
          + "--cluster-name); it is told so";
    }
    return "refused node " + d.from() + ": it addressed this node as " + d.addressedAs() + ", but this node is "
        + d.local() + " (seeds must be given by the address a node advertises, its --host); it is told so";
  }

  /** The stranger's line and give-up cause. */
  static String strangerMessage(Address seed, Address addressedAs) {
    String at = seed.getHost().orElse("?") + ":" + seed.getPort().map(String::valueOf).orElse("?");
    if (!seed.system().equals(addressedAs.system())) {
      return "the seed at " + at + " belongs to cluster '" + seed.system() + "', not '" + addressedAs.system()
          + "' (set --cluster-name " + seed.system() + " to join it)";
    }
    return "the seed at " + at + " knows itself as " + seed + ", not " + addressedAs
        + " (give seeds by the address each node advertises, its --host)";
  }
}
