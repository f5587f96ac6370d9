package dev.tessera.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code tessera-bom} names every library module a service can depend on, at the build's own
 * version: a module added to the build but not to the BOM would make a service pick its version by hand.
 */
class BomTest {

  private static final Pattern ARTIFACT = Pattern.compile("<artifactId>(tessera-[a-z-]+)</artifactId>");
  private static final Pattern VERSION = Pattern.compile("<version>([^<$]+)</version>");

  @Test
  void listsEveryLibraryModuleAtTheBuildsVersion() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    String bom = Files.readString(root.resolve("bom/pom.xml"));
    String parent = Files.readString(root.resolve("pom.xml"));
    // The libraries are what the distribution bundles: every module a node runs.
    String distribution = Files.readString(root.resolve("distribution/pom.xml"));
    Set<String> libraries = artifacts(distribution.substring(distribution.indexOf("<dependencies>")));
    assertThat(libraries).contains("tessera-runtime", "tessera-work-patterns", "tessera-persistence", "tessera-gpu-actors");

    Set<String> listed = artifacts(bom.substring(bom.lastIndexOf("<dependencyManagement>"), bom.lastIndexOf("</dependencyManagement>")));
    assertThat(listed).isEqualTo(libraries);
    assertThat(firstVersion(bom)).isEqualTo(firstVersion(parent));
  }

  private static Set<String> artifacts(String pom) {
    Set<String> found = new TreeSet<>();
    Matcher m = ARTIFACT.matcher(pom);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  private static String firstVersion(String pom) {
    Matcher m = VERSION.matcher(pom.substring(pom.indexOf("</artifactId>")));
    assertThat(m.find()).isTrue();
    return m.group(1);
  }
}
