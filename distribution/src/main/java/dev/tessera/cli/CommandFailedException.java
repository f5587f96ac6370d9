package dev.tessera.cli;

/** A command ended in a failure a person can understand from one line; carries the exit code. */
public final class CommandFailedException extends RuntimeException {

  private final int exitCode;

  public CommandFailedException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
