package dev.tessera.persistence.journal;

import com.typesafe.config.Config;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.sql.SQLException;
import java.util.concurrent.TimeoutException;

/**
 * Reads a journal failure: is it the storage failing (an outage: the database is unreachable, closed,
 * out of disk), or data that cannot be read (damage)? And what is its cause, in words an operator
 * acts on ("No space left on device"), even when the database reported it on another machine?
 *
 * <p>An H2 server sends its exception to the client as text: the client's {@code SQLException} has
 * no Java cause, but its printed stack trace is the server's, with the server's "Caused by" lines
 * (for a full disk: {@code Caused by: java.io.IOException: No space left on device}).
 *
 * <p>Thread safety: stateless.
 */
public final class JournalFailures {

  private JournalFailures() {}

  /**
   * True when the failure is the storage's (a database error, a connection refused, a journal call
   * that timed out or found the journal's circuit breaker open): the same request can succeed once
   * the storage is back. False for anything else, such as an event that cannot be deserialized.
   */
  public static boolean isOutage(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String name = t.getClass().getName();
      if (t instanceof SQLException || t instanceof TimeoutException || t instanceof ConnectException
          || name.equals("org.apache.pekko.pattern.CircuitBreakerOpenException")
          || name.equals("org.apache.pekko.persistence.typed.internal.RecoveryTimedOut")
          || name.startsWith("slick.")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The root cause of a failure, as "message" (or "Class: message" where the message alone says
   * little): the last "Caused by" of the database server's stack trace where there is one.
   */
  public static String rootCause(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String serverCause = lastCausedBy(root);
    if (serverCause != null) {
      return serverCause;
    }
    String message = root.getMessage();
    return message == null || message.isBlank() ? root.getClass().getName() : message.strip();
  }

  /** The last "Caused by: X: message" line of a throwable's printed stack trace, as "message"; null if none. */
  private static String lastCausedBy(Throwable t) {
    StringWriter text = new StringWriter();
    t.printStackTrace(new PrintWriter(text));
    String last = null;
    for (String line : text.toString().split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("Caused by: ")) {
        last = trimmed.substring("Caused by: ".length());
      }
    }
    if (last == null) {
      return null;
    }
    int colon = last.indexOf(": ");
    return colon < 0 ? last : last.substring(colon + 2).strip();
  }

  /**
   * The journal a node writes to, for messages: "H2 at jdbc:h2:tcp://127.0.0.1:9123/journal" (the
   * URL without its parameters, which may hold credentials).
   */
  public static String journalName(Config config) {
    if (!config.hasPath("tessera.persistence.jdbc.url") || config.getIsNull("tessera.persistence.jdbc.url")) {
      return "journal " + config.getString("tessera.persistence.journal-plugin");
    }
    String url = config.getString("tessera.persistence.jdbc.url");
    String bare = url.split("[;?]", 2)[0];
    if (bare.startsWith("jdbc:h2:")) {
      return "H2 at " + bare;
    }
    if (bare.startsWith("jdbc:postgresql:")) {
      return "PostgreSQL at " + bare;
    }
    return "journal at " + bare;
  }
}
