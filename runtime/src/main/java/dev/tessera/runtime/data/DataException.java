package dev.tessera.runtime.data;

import java.util.Objects;

/**
 * Why an object could not be stored or read, naming the object (and the node, where one is at
 * fault). {@link Data}'s futures fail with it; {@link Data#put} throws it.
 */
public final class DataException extends RuntimeException {

  /** What went wrong. */
  public enum Reason {
    /** No holder knows the object: it was never made, or it was released. */
    UNKNOWN,
    /** Every node holding it is gone (or refused the connection), and it cannot be made again. */
    LOST,
    /** The store has no room for it within its configured disk limit; nothing else was touched. */
    STORE_FULL,
    /** Its chunks kept arriving damaged (checked against their CRC-32C) after every retry. */
    CORRUPT,
    /** It is larger than one Java array can hold: read it with {@link Data#getToFile} instead. */
    TOO_LARGE_FOR_HEAP,
    /** Reading or writing it failed on this node (a disk error, a closed store). */
    IO
  }

  private final Reason reason;
  private final String objectId;

  public DataException(Reason reason, String objectId, String message) {
    this(reason, objectId, message, null);
  }

  public DataException(Reason reason, String objectId, String message, Throwable cause) {
    super("object " + objectId + ": " + message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.objectId = Objects.requireNonNull(objectId, "objectId");
  }

  public Reason reason() {
    return reason;
  }

  public String objectId() {
    return objectId;
  }
}
