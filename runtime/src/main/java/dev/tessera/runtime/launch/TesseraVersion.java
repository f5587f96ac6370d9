package dev.tessera.runtime.launch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * What {@code --version} prints for every Tessera tool: this build's version, and the Pekko and
 * Java it runs on (nodes of one cluster should agree on the first two). Plain Java, so that a node
 * process ({@link NodeMain}) prints it without a command-line library; each tool's own parser
 * (picocli's version provider in {@code cluster}, {@code bin/sample}, {@code bin/chaos}) returns
 * {@link #lines()}.
 */
public final class TesseraVersion {

  private static final String RESOURCE = "version.properties";

  /** This build's version, as Maven built it (e.g. {@code 0.1.0-SNAPSHOT}). */
  public static String version() {
    try (InputStream in = TesseraVersion.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing beside " + TesseraVersion.class.getName()
            + ": a build that skipped Maven's resources phase");
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private TesseraVersion() {}

  /** The lines {@code --version} prints. */
  public static String[] lines() {
    return new String[] {
        "tessera " + version(),
        "Pekko " + org.apache.pekko.Version.current() + ", Java " + Runtime.version() + " ("
            + System.getProperty("java.vm.name") + ")"};
  }
}
