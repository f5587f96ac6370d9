package dev.tessera.persistence.journal;

import dev.tessera.runtime.serialization.CborSerializable;
import java.util.Objects;

/**
 * A task result kept in {@link ResultBlobs}' table instead of in the journal's event: what the
 * event records of it, so that reading it back checks it is the result that was committed.
 *
 * @param bytes its size
 * @param sha256 its SHA-256, as 64 lowercase hex digits
 */
public record StoredResult(long bytes, String sha256) implements CborSerializable {
  public StoredResult {
    Objects.requireNonNull(sha256, "sha256");
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must not be negative, got " + bytes);
    }
  }
}
