package dev.tessera.runtime.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each node process a folder of its own under the configured data directory, and clears the
 * folders of processes that died without clearing theirs (a {@code kill -9} leaves its spilled
 * objects behind; nobody can read them again, since refs name a live process's store).
 */
final class StoreDirectories {

  private static final Logger log = LoggerFactory.getLogger(StoreDirectories.class);
  private static final String PID_FILE = "pid";

  private StoreDirectories() {}

  static Path claim(Path parent, String systemName) {
    long pid = ProcessHandle.current().pid();
    try {
      Files.createDirectories(parent);
      clearDead(parent);
      Path mine = Files.createTempDirectory(parent, systemName + "-" + pid + "-");
      Files.writeString(mine.resolve(PID_FILE), Long.toString(pid));
      return mine;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot make the object store's folder in " + parent
          + " (tessera.data.directory): " + e.getMessage(), e);
    }
  }

  private static void clearDead(Path parent) throws IOException {
    try (Stream<Path> folders = Files.list(parent)) {
      for (Path folder : folders.toList()) {
        Path pidFile = folder.resolve(PID_FILE);
        if (!Files.isRegularFile(pidFile)) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(Files.readString(pidFile).trim());
        } catch (IOException | NumberFormatException e) {
          continue;
        }
        if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        log.info("clearing {}, the object store of process {} that is gone", folder, pid);
        try (Stream<Path> all = Files.walk(folder)) {
          all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }
}
