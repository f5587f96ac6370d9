package dev.tessera.persistence.journal;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Objects;
import dev.tessera.runtime.node.Secrets;
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
 * hosts unless told otherwise. Other users of the machine could still connect, so the database's
 * user has a password made when the folder is first used, kept in {@value #PASSWORD_FILE} there
 * (mode 0600; the folder is made 0700). A journal made before there was a password (user {@code
 * sa}, no password) is given one the first time this server opens it. Thread safety: start and
 * close from one thread.
 */
public final class JournalServer implements AutoCloseable {

  /** The file under the data folder holding the database user's password. */
  public static final String PASSWORD_FILE = "journal.password";
  /** The database user (H2's default administrator). */
  public static final String USER = "sa";

  private final Server server;
  private final Path dataDir;
  private final String password;

  private JournalServer(Server server, Path dataDir, String password) {
    this.server = server;
    this.dataDir = dataDir;
    this.password = password;
  }

  /** Starts a server on a free loopback port for the databases under {@code dataDir}. */
  public static JournalServer start(Path dataDir) throws IOException {
    Objects.requireNonNull(dataDir, "dataDir");
    Path dir = dataDir.toAbsolutePath();
    Secrets.privateDirectory(dir);
    Path passwordFile = dir.resolve(PASSWORD_FILE);
    boolean legacy = !Files.exists(passwordFile) && Files.exists(dir.resolve("journal.mv.db"));
    if (!Files.exists(passwordFile)) {
      Secrets.writePrivate(passwordFile, Secrets.newPassword() + "\n");
    }
    String password = Files.readString(passwordFile).trim();
    // H2 reads its bind address from this property when a server starts.
    System.setProperty("h2.bindAddress", "127.0.0.1");
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    try {
      Server server = Server.createTcpServer(
          "-tcpPort", Integer.toString(port), "-baseDir", dir.toString(), "-ifNotExists", "-tcpDaemon").start();
      JournalServer started = new JournalServer(server, dir, password);
      if (legacy) {
        started.setPasswordOfLegacyJournal();
      }
      return started;
    } catch (SQLException e) {
      throw new IOException("cannot start the journal server on 127.0.0.1:" + port + ": " + e.getMessage(), e);
    }
  }

  /** A journal written before this server set passwords has none: give it this server's. */
  private void setPasswordOfLegacyJournal() throws IOException {
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(url(), USER, "");
        java.sql.PreparedStatement set = c.prepareStatement("ALTER USER " + USER + " SET PASSWORD ?")) {
      set.setString(1, password);
      set.execute();
    } catch (SQLException e) {
      server.stop();
      throw new IOException("the journal in " + dataDir + " has a password, but " + dataDir.resolve(PASSWORD_FILE)
          + " is missing: restore that file (" + e.getMessage() + ")", e);
    }
  }

  /** The database user's password (connect as {@link #USER}). */
  public String password() {
    return password;
  }

  /** The {@code tessera.persistence.jdbc} keys that reach this journal: its URL, user and password. */
  public java.util.Map<String, Object> jdbcSettings() {
    return java.util.Map.of(
        "tessera.persistence.jdbc.url", url(),
        "tessera.persistence.jdbc.user", USER,
        "tessera.persistence.jdbc.password", password);
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
   * node's {@code --config} file). It holds the password: write it to a file only this user reads.
   */
  public String nodeConfig() {
    return "tessera.persistence.jobs.enabled = on\n"
        + "tessera.persistence.jdbc = ${tessera.persistence.presets.h2-server} { url = \"" + url() + "\", user = \""
        + USER + "\", password = \"" + password + "\" }\n";
  }

  @Override
  public void close() {
    server.stop();
  }
}
