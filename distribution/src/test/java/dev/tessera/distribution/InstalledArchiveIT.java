package dev.tessera.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tessera.runtime.launch.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive {@code mvn package} builds, unpacked into an empty folder and run as installed: with
 * a Java runtime and a shell's basic tools on {@code PATH}, and nothing else (no Maven, no javac,
 * no source tree).
 */
class InstalledArchiveIT {

  @TempDir static Path dir;
  static Path home;
  static Path tools;

  @BeforeAll
  static void unpack() throws Exception {
    Path archive = Path.of(System.getProperty("tessera.test.archive", "target/tessera.tar.gz"));
    assertThat(archive).as("the archive mvn package builds").isRegularFile();
    Path install = Files.createDirectories(dir.resolve("install"));
    Process tar = new ProcessBuilder("tar", "xzf", archive.toAbsolutePath().toString(), "-C", install.toString())
        .redirectErrorStream(true).start();
    assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).as(new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
    try (var entries = Files.list(install)) {
      home = entries.findFirst().orElseThrow();
    }
    assertThat(home.getFileName().toString()).startsWith("tessera-");
    for (String part : List.of("bin/tessera", "lib", "conf/node.conf", "conf/logback.xml", "conf/tessera-node.service",
        "LICENSE", "README.md")) {
      assertThat(home.resolve(part)).as(part).exists();
    }
    assertThat(Files.isExecutable(home.resolve("bin/tessera"))).isTrue();
    assertThat(Files.readString(home.resolve("LICENSE"))).contains("Apache License", "Version 2.0");

    // PATH: the Java runtime's launcher and keytool, and the few tools bin/tessera's script uses.
    tools = Files.createDirectories(dir.resolve("tools"));
    Path javaBin = Path.of(System.getProperty("java.home"), "bin");
    Files.createSymbolicLink(tools.resolve("java"), javaBin.resolve("java"));
    Files.createSymbolicLink(tools.resolve("keytool"), javaBin.resolve("keytool"));
    for (String tool : List.of("bash", "env", "sed", "awk", "readlink", "dirname", "nproc", "cat", "tail")) {
      Files.createSymbolicLink(tools.resolve(tool), which(tool));
    }
  }

  @Test
  void printsItsVersionWithOnlyAJavaRuntimeOnPath() throws Exception {
    Result version = tessera(Map.of(), 60, "--version");
    assertThat(version.code()).as(version.output()).isZero();
    assertThat(version.output()).contains("tessera " + home.getFileName().toString().substring("tessera-".length()));
    // What PATH held: no Maven and no compiler could have been used.
    Result shell = run(List.of(tools.resolve("bash").toString(), "-c", "command -v mvn javac || echo none"), Map.of(), 10);
    assertThat(shell.output().trim()).isEqualTo("none");
  }

  @Test
  void startsANodeWithTheHeapItIsGiven() throws Exception {
    int port = FreePorts.block(2);
    Result node = tessera(Map.of("TESSERA_HEAP", "200m"), 120,
        "node", "--port", String.valueOf(port), "--http-port", String.valueOf(port + 1), "--leave-when-up");
    assertThat(node.code()).as(node.output()).isZero();
    assertThat(node.output())
        .containsPattern("maximum heap of 1[5-9][0-9] MiB|maximum heap of 200 MiB")
        .contains("is Up");
  }

  @Test
  void refusesAHeapSizeItCannotRead() throws Exception {
    Result node = tessera(Map.of("TESSERA_HEAP", "lots"), 30, "node");
    assertThat(node.code()).isEqualTo(2);
    assertThat(node.output()).contains("TESSERA_HEAP=lots is not a heap size");
  }

  @Test
  void runsAThreeNodeLocalCluster() throws Exception {
    int port = FreePorts.block(6);
    Result local = tessera(Map.of(), 240,
        "local", "--nodes", "3", "--base-port", String.valueOf(port), "--http-port", String.valueOf(port + 3),
        "--data-dir", dir.resolve("local-data").toString(), "--log-dir", dir.resolve("local-logs").toString(),
        "--exit-when-formed");
    assertThat(local.code()).as(local.output()).isZero();
    assertThat(local.output()).contains("cluster formed: 3 nodes Up");
  }

  record Result(int code, String output) {}

  private static Result tessera(Map<String, String> env, int timeoutSeconds, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/tessera").toString());
    command.addAll(List.of(args));
    return run(command, env, timeoutSeconds);
  }

  private static Result run(List<String> command, Map<String, String> env, int timeoutSeconds) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    Path output = Files.createTempFile(dir, "out", ".txt");
    builder.redirectOutput(output.toFile());
    builder.environment().clear();
    builder.environment().put("PATH", tools.toString());
    builder.environment().put("HOME", dir.toString());
    builder.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
    builder.environment().putAll(env);
    Process process = builder.start();
    try {
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        throw new AssertionError(command + " did not finish within " + timeoutSeconds + " s: " + Files.readString(output));
      }
      return new Result(process.exitValue(), Files.readString(output));
    } finally {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  private static Path which(String tool) throws IOException {
    for (String folder : System.getenv("PATH").split(":")) {
      Path candidate = Path.of(folder, tool);
      if (Files.isExecutable(candidate)) {
        return candidate.toRealPath();
      }
    }
    throw new IOException(tool + " is not on this machine's PATH");
  }
}
