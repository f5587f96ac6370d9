package dev.tessera.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TesseraVersionTest {

  @Test
  void versionPrintsThisBuildsVersionAndThePekkoAndJavaItRunsOn() {
    StringWriter printed = new StringWriter();
    CommandLine cluster = new CommandLine(new TesseraCommand());
    cluster.setOut(new PrintWriter(printed));

    int code = cluster.execute("--version");

    assertThat(code).isZero();
    String[] lines = printed.toString().split("\\R");
    assertThat(lines[0]).matches("tessera \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    assertThat(lines[1]).startsWith("Pekko 1.").contains("Java " + Runtime.version().feature());
  }
}
