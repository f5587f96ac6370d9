package dev.tessera.runtime.cli;

/** A command ended in a failure a person can understand from one line; carries the exit code. */
final class CommandFailedException extends RuntimeException {

  private final int exitCode;

  CommandFailedException(int exitCode, String message) {
    super(message);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
