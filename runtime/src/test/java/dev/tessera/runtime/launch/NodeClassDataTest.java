package dev.tessera.runtime.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeClassDataTest {

  @TempDir Path dir;

  @Test
  void aClassFolderIsPackedOnceAndAgainWhenAFileInItChanges() throws IOException {
    Path classes = dir.resolve("module/classes");
    Files.createDirectories(classes.resolve("dev/example"));
    Files.writeString(classes.resolve("dev/example/A.class"), "not really a class", StandardCharsets.UTF_8);
    Files.writeString(classes.resolve("reference.conf"), "a = 1", StandardCharsets.UTF_8);
    Path cache = dir.resolve("cache");
    Files.createDirectories(cache);

    Path first = NodeClassData.packed(classes, cache);
    assertThat(NodeClassData.packed(classes, cache)).isEqualTo(first);
    try (JarFile jar = new JarFile(first.toFile())) {
      assertThat(jar.stream().map(e -> e.getName()).toList())
          .containsExactlyInAnyOrder("dev/", "dev/example/", "dev/example/A.class", "reference.conf");
      assertThat(new String(jar.getInputStream(jar.getEntry("reference.conf")).readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("a = 1");
    }

    Files.writeString(classes.resolve("reference.conf"), "a = 2", StandardCharsets.UTF_8);
    Files.setLastModifiedTime(classes.resolve("reference.conf"), FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    Path second = NodeClassData.packed(classes, cache);
    assertThat(second).isNotEqualTo(first);
    try (JarFile jar = new JarFile(second.toFile())) {
      assertThat(new String(jar.getInputStream(jar.getEntry("reference.conf")).readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("a = 2");
    }
  }

  /**
   * This test's own classpath (class folders and jars) becomes jars only, and the archive recorded
   * for it is one a JVM maps: with {@code -Xshare:on} a JVM that cannot use it does not start, and
   * Pekko's classes come from it.
   */
  @Test
  void theRecordedArchiveServesPekkosClassesToAJvmOnTheJarsOnlyClasspath() throws Exception {
    String classpath = System.getProperty("java.class.path");
    assertThat(classpath.split(File.pathSeparator)).anyMatch(entry -> Files.isDirectory(Path.of(entry)));

    NodeClassData.Prepared prepared = NodeClassData.prepare(classpath, dir.resolve("cache"));

    assertThat(prepared.classpath().split(File.pathSeparator))
        .noneMatch(entry -> Files.isDirectory(Path.of(entry)) && !isEmptyFolder(Path.of(entry)));
    assertThat(prepared.archive()).isPresent();
    assertThat(NodeClassData.prepare(classpath, dir.resolve("cache"))).isEqualTo(prepared);

    List<String> command = new ArrayList<>(Arrays.asList(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xshare:on", "-XX:SharedArchiveFile=" + prepared.archive().get(), "-Xlog:class+load=info",
        "-cp", prepared.classpath(), NodeProcess.MAIN_CLASS, "--version"));
    Path out = dir.resolve("version.log");
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String printed = Files.readString(out);
    assertThat(process.exitValue()).as(printed).isZero();
    assertThat(printed).containsPattern("org\\.apache\\.pekko\\.Version\\S* source: shared objects file \\(top\\)")
        .contains("tessera ");
  }

  private static boolean isEmptyFolder(Path folder) {
    try (var files = Files.walk(folder)) {
      return files.noneMatch(Files::isRegularFile);
    } catch (IOException e) {
      return false;
    }
  }
}
