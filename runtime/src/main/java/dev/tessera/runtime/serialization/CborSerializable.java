package dev.tessera.runtime.serialization;

/**
 * Marker for every message that may cross the network between nodes.
 *
 * <p>It is bound to Pekko's Jackson CBOR serializer in this module's {@code reference.conf}. Java
 * serialization is switched off, and Jackson only deserializes classes bound this way, so a node
 * never instantiates a class merely because a peer named it: that is the guard against
 * deserialization gadgets. A message type that forgets this marker fails loudly in tests, where
 * {@code pekko.actor.serialize-messages} is on, rather than silently in production.
 */
public interface CborSerializable {}
