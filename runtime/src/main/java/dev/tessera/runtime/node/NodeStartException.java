package dev.tessera.runtime.node;

/**
 * A node could not start for a reason outside its configuration's syntax: an address already in
 * use, a host name that does not resolve. The message is one line fit to show a person.
 */
public final class NodeStartException extends RuntimeException {

  /** Why the node could not start; the command-line tool maps each to an exit code. */
  public enum Reason {
    /** A host name (the node's own or a seed's) does not resolve. */
    UNRESOLVABLE_HOST,
    /** The address to listen on is not one of this machine's. */
    ADDRESS_NOT_LOCAL,
    /** The cluster or management port is taken, most often by another node. */
    ADDRESS_IN_USE,
    /** It would listen off loopback without TLS (see {@link NetworkExposure}). */
    NOT_SECURED,
    /** Anything else; the cause says what. */
    OTHER
  }

  private final Reason reason;

  public NodeStartException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
