package dev.tessera.cli;

import dev.tessera.runtime.launch.TesseraVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** What {@code up} and {@code restart} install and how long they wait: the archive, the ready timeout, TLS or not. */
final class InstallOptions {

  @Option(names = "--archive", paramLabel = "FILE", description = "The tessera-VERSION.tar.gz to install (default: the one beside this installation, or the build's).")
  Path archive;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "180", description = "How long each node may take to be ready (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Option(names = "--insecure-plaintext", description = "No TLS: nodes talk in plaintext, unauthenticated (a network you trust entirely); give it to up and restart alike.")
  boolean insecurePlaintext;

  /** The archive to install: the one given, or one beside this installation, or the build's. */
  Path archive(CommandLine.Model.CommandSpec spec) {
    Path given = archive;
    if (given != null) {
      if (!Files.isRegularFile(given)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--archive: " + given + " does not exist");
      }
      return given;
    }
    String name = "tessera-" + TesseraVersion.version() + ".tar.gz";
    List<Path> candidates = new ArrayList<>();
    String home = System.getProperty("tessera.home");
    if (home != null) {
      candidates.add(Path.of(home).toAbsolutePath().getParent().resolve(name));
      candidates.add(Path.of(home).resolve("distribution/target").resolve(name));
    }
    candidates.add(Path.of("distribution/target").resolve(name));
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new CommandLine.ParameterException(spec.commandLine(),
        "no " + name + " to install: give it with --archive (looked in " + candidates + ")");
  }
}
