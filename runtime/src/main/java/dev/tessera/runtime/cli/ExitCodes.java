package dev.tessera.runtime.cli;

/** Exit codes of the {@code cluster} command, stable so scripts and supervisors can act on them. */
public final class ExitCodes {

  /** Finished normally, or the node left the cluster gracefully. */
  public static final int OK = 0;
  /** An unexpected failure; the message says what. */
  public static final int FAILURE = 1;
  /** Bad command line or configuration: nothing was started. */
  public static final int USAGE = 2;
  /** A port the node needs is taken, or its address is not on this machine. */
  public static final int ADDRESS_UNAVAILABLE = 3;
  /** The node gave up joining: no seed answered within {@code tessera.node.join.timeout}. */
  public static final int JOIN_GAVE_UP = 4;
  /** The node was downed (split brain resolver or an operator) and stopped; restart it to rejoin. */
  public static final int DOWNED = 5;
  /** {@code status}: no node answered at the given address. */
  public static final int NODE_NOT_REACHABLE = 6;

  private ExitCodes() {}
}
