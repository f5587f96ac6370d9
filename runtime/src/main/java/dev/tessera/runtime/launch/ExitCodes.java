package dev.tessera.runtime.launch;

import dev.tessera.runtime.node.InvalidNodeSettingsException;
import dev.tessera.runtime.node.NodeStartException;
import java.util.OptionalInt;

/**
 * Exit codes of a node process ({@link NodeMain}) and of the {@code cluster} tool, stable so
 * scripts, supervisors and {@link LocalCluster} can act on them.
 */
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
  /**
   * The node would listen off loopback without TLS, and was not told {@code --insecure-plaintext}:
   * nothing was started ({@code NetworkExposure}).
   */
  public static final int NOT_SECURED = 7;
  /** {@code up}, {@code down}, {@code restart}: some hosts failed (each named on its own line); the others went on. */
  public static final int CLUSTER_INCOMPLETE = 8;

  private ExitCodes() {}

  /**
   * The exit code for a failure a person can fix from its one-line message (bad settings, a taken
   * port, a node that gave up joining or was downed); empty for anything unexpected, which deserves
   * its stack trace.
   */
  public static OptionalInt forFailure(Throwable failure) {
    if (failure instanceof InvalidNodeSettingsException) {
      return OptionalInt.of(USAGE);
    }
    if (failure instanceof NodeStartException start) {
      return OptionalInt.of(
          switch (start.reason()) {
            case UNRESOLVABLE_HOST -> USAGE;
            case ADDRESS_IN_USE, ADDRESS_NOT_LOCAL -> ADDRESS_UNAVAILABLE;
            case NOT_SECURED -> NOT_SECURED;
            case OTHER -> FAILURE;
          });
    }
    if (failure instanceof NodeStoppedException stopped) {
      return OptionalInt.of(stopped.exitCode());
    }
    return OptionalInt.empty();
  }
}
