package dev.tessera.runtime.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/** Passwords and tokens made here, and files that hold them: readable by their owner only (0600). */
public final class Secrets {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private Secrets() {}

  /** 32 random characters (24 bytes, URL-safe Base64): a password or a token. */
  public static String newPassword() {
    byte[] random = new byte[24];
    RANDOM.nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }

  /**
   * Writes {@code text} to {@code file}, created with mode 0600 before anything is written to it
   * (never readable by others, even for a moment), replacing what it held.
   */
  public static void writePrivate(Path file, String text) throws IOException {
    Files.deleteIfExists(file);
    try {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    } catch (UnsupportedOperationException e) {
      Files.createFile(file);
    }
    Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** Creates {@code dir} if needed and makes it 0700 (where the file system has POSIX modes); returns it. */
  public static Path privateDirectory(Path dir) throws IOException {
    Files.createDirectories(dir);
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: nothing to restrict
    }
    return dir;
  }

  /** Makes {@code file} 0600, where the file system has POSIX modes. */
  public static void restrict(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, OWNER_ONLY);
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system
    }
  }
}
