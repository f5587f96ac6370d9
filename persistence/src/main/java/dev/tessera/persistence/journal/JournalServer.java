package dev.tessera.persistence.journal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Objects;
import org.h2.tools.Server;

/**
 * An H2 database server bound to loopback, so that several node processes on one machine share one
 * journal (the embedded H2 file is open by one process only). {@code cluster local} runs one; tests
 * that kill node processes run one in the test JVM.
 *
 * <pre>{@code
 * try (JournalServer server = JournalServer.start(Path.of("./tessera-data"))) {
 *   String url = server.url();   // jdbc:h2:tcp://127.0.0.1:PORT/journal;WRITE_DELAY=0
 * }
 * }</pre>
 *
 * <p>It accepts connections from this machine only: it listens on 127.0.0.1, and H2 refuses other
 * hosts unless told otherwise. Thread safety: start and close from one thread.
 */
public final class JournalServer implements AutoCloseable {

  private final Server server;
  private final Path dataDir;

  private JournalServer(Server server, Path dataDir) {
    this.server = server;
    this.dataDir = dataDir;
  }

  /** Starts a server on a free loopback port for the databases under {@code dataDir}. */
  public static JournalServer start(Path dataDir) throws IOException {
    Objects.requireNonNull(dataDir, "dataDir");
    Path dir = dataDir.toAbsolutePath();
    Files.createDirectories(dir);
    // H2 reads its bind address from this property when a server starts.
    System.setProperty("h2.bindAddress", "127.0.0.1");
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    try {
      Server server = Server.createTcpServer(
          "-tcpPort", Integer.toString(port), "-baseDir", dir.toString(), "-ifNotExists", "-tcpDaemon").start();
      return new JournalServer(server, dir);
    } catch (SQLException e) {
      throw new IOException("cannot start the journal server on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
  }

  public int port() {
    return server.getPort();
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The JDBC URL of the journal database on this server. */
  public String url() {
    return "jdbc:h2:tcp://127.0.0.1:" + port() + "/journal;WRITE_DELAY=0";
  }

  /**
   * Configuration for a node that uses this server's journal and runs durable jobs (HOCON, for a
   * node's {@code --config} file).
   */
  public String nodeConfig() {
    return "tessera.persistence.jobs.enabled = on\n"
        + "tessera.persistence.jdbc = ${tessera.persistence.presets.h2-server} { url = \"" + url() + "\" }\n";
  }

  @Override
  public void close() {
    server.stop();
  }
}
