package dev.tessera.runtime.data;

import dev.tessera.runtime.serialization.CborSerializable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Makes this node's object store known to the other nodes, and knows theirs: each node's store
 * registers one of these with the receptionist and asks every other for its endpoint. A put with
 * replicas asks it for {@link Peers} to copy to.
 */
public final class DataNode extends AbstractBehavior<DataNode.Command> {

  public static final ServiceKey<Command> SERVICE_KEY = ServiceKey.create(Command.class, "tessera-data-node");

  public sealed interface Command extends CborSerializable {}

  /** Asks for this node's store's endpoint; answered with an {@link Endpoint}. */
  public record GetEndpoint(ActorRef<Endpoint> replyTo) implements Command {}

  /** A node's store: its cluster address and where it serves objects. */
  public record Endpoint(DataRef.Holder holder) implements CborSerializable {}

  /** Asks for the other nodes' stores known now. */
  public record Peers(ActorRef<List<DataRef.Holder>> replyTo) implements Command {}

  private record Listed(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {}

  private record Learned(ActorRef<Command> node, DataRef.Holder holder)
      implements Command, NoSerializationVerificationNeeded {}

  private final DataRef.Holder self;
  private final Map<ActorRef<Command>, DataRef.Holder> peers = new HashMap<>();

  public static Behavior<Command> create(DataRef.Holder self) {
    return Behaviors.setup(context -> new DataNode(context, self));
  }

  private DataNode(ActorContext<Command> context, DataRef.Holder self) {
    super(context);
    this.self = Objects.requireNonNull(self, "self");
    ActorRef<Receptionist.Listing> listings = context.messageAdapter(Receptionist.Listing.class, Listed::new);
    context.getSystem().receptionist().tell(Receptionist.register(SERVICE_KEY, context.getSelf()));
    context.getSystem().receptionist().tell(Receptionist.subscribe(SERVICE_KEY, listings));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(GetEndpoint.class, this::onGetEndpoint)
        .onMessage(Peers.class, this::onPeers)
        .onMessage(Listed.class, this::onListed)
        .onMessage(Learned.class, this::onLearned)
        .build();
  }

  private Behavior<Command> onGetEndpoint(GetEndpoint get) {
    get.replyTo().tell(new Endpoint(self));
    return this;
  }

  private Behavior<Command> onPeers(Peers ask) {
    ask.replyTo().tell(List.copyOf(peers.values()));
    return this;
  }

  private Behavior<Command> onListed(Listed listed) {
    Set<ActorRef<Command>> now = listed.listing().getServiceInstances(SERVICE_KEY);
    peers.keySet().retainAll(now);
    for (ActorRef<Command> node : now) {
      if (!node.equals(getContext().getSelf()) && !peers.containsKey(node)) {
        getContext().ask(Endpoint.class, node, java.time.Duration.ofSeconds(10), GetEndpoint::new,
            (endpoint, failure) -> new Learned(node, endpoint == null ? null : endpoint.holder()));
      }
    }
    return this;
  }

  private Behavior<Command> onLearned(Learned learned) {
    if (learned.holder() != null) {
      peers.put(learned.node(), learned.holder());
    }
    return this;
  }
}
