package dev.tessera.runtime.data;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A node's object store settings, read once from {@code tessera.data} (the runtime's
 * reference.conf documents each key).
 *
 * @param bindHost the interface the store's server listens on
 * @param advertisedHost the host other nodes connect to (the node's {@code tessera.node.host})
 * @param port the server's TCP port; 0 picks a free one (refs carry it, so nobody needs to know it)
 * @param memoryLimit bytes of objects kept in (direct) memory before they spill to files
 * @param diskLimit bytes of objects kept in files
 * @param directory where object files go (this node makes a folder of its own inside)
 * @param chunkSize bytes per chunk: the unit of transfer, of checking (CRC-32C) and of re-fetching
 * @param connectTimeout how long connecting to a holder may take before it counts as gone
 * @param idleTimeout how long a transfer may go without a byte before it counts as broken
 * @param chunkRetries how often a damaged chunk is fetched again before the read fails
 * @param serverThreads connections served at once (more wait in the accept queue)
 * @param maxServeRate bytes per second this node's store sends at most, over all connections; 0: no cap
 */
public record DataSettings(
    String bindHost,
    String advertisedHost,
    int port,
    long memoryLimit,
    long diskLimit,
    Path directory,
    int chunkSize,
    Duration connectTimeout,
    Duration idleTimeout,
    int chunkRetries,
    int serverThreads,
    long maxServeRate) {

  public DataSettings {
    Objects.requireNonNull(bindHost, "bindHost");
    Objects.requireNonNull(advertisedHost, "advertisedHost");
    Objects.requireNonNull(directory, "directory");
    if (chunkSize < 4096) {
      throw new IllegalArgumentException("chunk-size must be at least 4 KiB, got " + chunkSize);
    }
  }

  /** Reads {@code tessera.data}, with the node's host and bind host from {@code tessera.node}. */
  public static DataSettings create(Config config) {
    Config data = config.getConfig("tessera.data");
    String host = config.getString("tessera.node.host");
    String nodeBind = config.getString("tessera.node.bind-host");
    String bind = data.getString("bind-host");
    long memory = data.getBytes("memory-limit");
    if (memory == 0) {
      memory = Runtime.getRuntime().maxMemory() / 4;
    }
    String dir = data.getString("directory");
    Path directory = dir.isEmpty() ? Path.of(System.getProperty("java.io.tmpdir"), "tessera-data") : Path.of(dir);
    long disk = data.getBytes("disk-limit");
    if (disk == 0) {
      disk = usableSpaceHalf(directory);
    }
    return new DataSettings(
        bind.isEmpty() ? (nodeBind.isEmpty() ? host : nodeBind) : bind,
        host,
        data.getInt("port"),
        memory,
        disk,
        directory,
        (int) data.getBytes("chunk-size").longValue(),
        data.getDuration("connect-timeout"),
        data.getDuration("idle-timeout"),
        data.getInt("chunk-retries"),
        data.getInt("server-threads"),
        data.getBytes("max-serve-rate"));
  }

  private static long usableSpaceHalf(Path directory) {
    Path existing = directory.toAbsolutePath();
    while (existing != null && !existing.toFile().exists()) {
      existing = existing.getParent();
    }
    return existing == null ? Long.MAX_VALUE : existing.toFile().getUsableSpace() / 2;
  }
}
