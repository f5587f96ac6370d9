package dev.tessera.runtime.launch;

/**
 * A node process ended for a reason a person can understand from one line (it gave up joining, it
 * was downed); carries the process's exit code from {@link ExitCodes}.
 */
public final class NodeStoppedException extends RuntimeException {

  private final int exitCode;

  public NodeStoppedException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
