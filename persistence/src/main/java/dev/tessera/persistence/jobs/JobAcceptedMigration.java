package dev.tessera.persistence.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.pekko.serialization.jackson.JacksonMigration;

/**
 * Reads {@link JobEvent.JobAccepted} events of every version the journal may hold.
 *
 * <ul>
 *   <li>Version 1 (journals written before 2026-11-25's change): no {@code submitter}; read as
 *       {@value #UNKNOWN_SUBMITTER}.
 *   <li>Version 2: {@code submitter}, the submitting node's address.
 * </ul>
 *
 * <p>Registered in reference.conf ({@code pekko.serialization.jackson.migrations}); events written
 * from now on carry {@code #2} in their manifest.
 */
public final class JobAcceptedMigration extends JacksonMigration {

  /** What a version-1 event says of its submitter: it was not recorded then. */
  public static final String UNKNOWN_SUBMITTER = "unknown (recorded before event version 2)";

  @Override
  public int currentVersion() {
    return 2;
  }

  @Override
  public JsonNode transform(int fromVersion, JsonNode json) {
    if (fromVersion < 2 && json instanceof ObjectNode event && !event.has("submitter")) {
      event.put("submitter", UNKNOWN_SUBMITTER);
    }
    return json;
  }
}
