package dev.tessera.runtime.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The JDK's {@code keytool}, run with passwords in its environment, never on its command line. */
final class Keytool {

  /** The environment variable the store password is passed in ({@code -storepass:env}). */
  static final String PASSWORD_ENV = "TESSERA_KEYTOOL_PASSWORD";
  /** A second password (the CA's, when it signs): {@code -storepass:env}. */
  static final String SECOND_PASSWORD_ENV = "TESSERA_KEYTOOL_PASSWORD_2";

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private Keytool() {}

  static void run(String password, String... args) throws IOException {
    run(Map.of(PASSWORD_ENV, password), args);
  }

  static void run(Map<String, String> passwords, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    // A short-lived JVM: C1 only and the serial collector about halve its start-up.
    command.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(passwords);
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    try {
      if (!process.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException("keytool did not finish within " + TIMEOUT.toSeconds() + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running keytool", e);
    }
    if (process.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + output);
    }
  }
}
