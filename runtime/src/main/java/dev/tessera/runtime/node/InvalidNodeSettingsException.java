package dev.tessera.runtime.node;

/**
 * A node's configuration is wrong in a way a person must fix: a malformed value, an unknown key, a
 * missing key-store. The message is one line that names the key and says what is expected, so the
 * command-line tool can print it as it is.
 */
public final class InvalidNodeSettingsException extends IllegalArgumentException {

  public InvalidNodeSettingsException(String message) {
    super(message);
  }

  public InvalidNodeSettingsException(String message, Throwable cause) {
    super(message, cause);
  }
}
