package dev.tessera.runtime.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code promtool check metrics} (Debian's prometheus package) for the modules' tests, packaged in
 * this module's test jar: what it says of an exposition text, empty when every name and type
 * follows Prometheus' rules.
 */
public final class Promtool {

  public static final Path BINARY = Path.of("/usr/bin/promtool");

  private Promtool() {}

  public static boolean available() {
    return Files.isExecutable(BINARY);
  }

  /** promtool's complaints about {@code text}; empty when there are none. */
  public static String check(String text) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(BINARY.toString(), "check", "metrics").redirectErrorStream(true).start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(text.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("promtool check metrics did not finish in 60 s");
    }
    return p.exitValue() == 0 ? out : "exit " + p.exitValue() + ": " + out;
  }
}
