package dev.tessera.runtime.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * What {@code --version} prints for every Tessera tool: this build's version, and the Pekko and
 * Java it runs on (nodes of one cluster should agree on the first two).
 */
public final class TesseraVersion implements CommandLine.IVersionProvider {

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

  @Override
  public String[] getVersion() {
    return new String[] {
        "tessera " + version(),
        "Pekko " + org.apache.pekko.Version.current() + ", Java " + Runtime.version() + " ("
            + System.getProperty("java.vm.name") + ")"};
  }
}
