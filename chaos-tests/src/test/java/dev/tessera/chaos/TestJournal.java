package dev.tessera.chaos;

import dev.tessera.persistence.journal.JournalServer;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A journal shared by the node processes of one test: an H2 server in this JVM, or a fresh database
 * on the PostgreSQL server named by {@code TESSERA_TEST_POSTGRES_URL} (with {@code _USER} and
 * {@code _PASSWORD}; {@code .ci/run} sets them), dropped afterwards.
 */
final class TestJournal implements AutoCloseable {

  enum Kind {
    H2_SERVER,
    POSTGRESQL
  }

  static final String POSTGRES_URL = System.getenv("TESSERA_TEST_POSTGRES_URL");
  private static final String POSTGRES_USER = System.getenv().getOrDefault("TESSERA_TEST_POSTGRES_USER", "tessera");
  private static final String POSTGRES_PASSWORD = System.getenv().getOrDefault("TESSERA_TEST_POSTGRES_PASSWORD", "");

  private final Kind kind;
  private final JournalServer server;
  private final String database;
  private final String url;

  private TestJournal(Kind kind, JournalServer server, String database, String url) {
    this.kind = kind;
    this.server = server;
    this.database = database;
    this.url = url;
  }

  /** Why the PostgreSQL tests cannot run here, if they cannot. */
  static Optional<String> postgresUnavailable() {
    return POSTGRES_URL == null
        ? Optional.of("TESSERA_TEST_POSTGRES_URL is not set (.ci/run sets it after starting PostgreSQL 15)")
        : Optional.empty();
  }

  static TestJournal start(Kind kind, Path dir) throws IOException, SQLException {
    if (kind == Kind.H2_SERVER) {
      JournalServer server = JournalServer.start(dir);
      return new TestJournal(kind, server, null, server.url());
    }
    String database = "tessera_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection admin = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, POSTGRES_PASSWORD);
        Statement statement = admin.createStatement()) {
      statement.execute("CREATE DATABASE " + database);
    }
    String url = POSTGRES_URL.replaceFirst("/[^/?]*(\\?|$)", "/" + database + "$1");
    return new TestJournal(kind, null, database, url);
  }

  /** HOCON for a node's --config file: this journal, durable jobs on. */
  String nodeConfig() {
    String preset = kind == Kind.H2_SERVER ? "h2-server" : "postgresql";
    String credentials = ", user = \"" + user() + "\", password = \"" + password() + "\"";
    return "tessera.persistence.jobs.enabled = on\n"
        + "tessera.persistence.jdbc = ${tessera.persistence.presets." + preset + "} { url = \"" + url + "\"" + credentials + " }\n";
  }

  /** The same, as config overrides for a node in this JVM. */
  Map<String, Object> clientConfig() {
    Map<String, Object> config = new HashMap<>();
    config.put("tessera.persistence.jobs.enabled", true);
    config.put("tessera.persistence.jdbc.url", url);
    config.put("tessera.persistence.jdbc.user", user());
    config.put("tessera.persistence.jdbc.password", password());
    if (kind == Kind.POSTGRESQL) {
      config.put("tessera.persistence.jdbc.profile", "slick.jdbc.PostgresProfile$");
      config.put("tessera.persistence.jdbc.driver", "org.postgresql.Driver");
    }
    return config;
  }

  String url() {
    return url;
  }

  String user() {
    return kind == Kind.H2_SERVER ? JournalServer.USER : POSTGRES_USER;
  }

  /** The H2 server's generated password, or PostgreSQL's from the environment. */
  String password() {
    return kind == Kind.H2_SERVER ? server.password() : POSTGRES_PASSWORD;
  }

  /** A connection of the test's own to the journal's database. */
  Connection connect() throws SQLException {
    return DriverManager.getConnection(url, user(), password());
  }

  /**
   * The journal after its database server restarted: an H2 server is stopped and a new one started
   * on the same database file (on another port: the nodes need the new {@link #nodeConfig}); a
   * PostgreSQL database, on a server of its own, is the same.
   */
  TestJournal restarted() throws IOException {
    if (server == null) {
      return this;
    }
    server.close();
    JournalServer again = JournalServer.start(server.dataDir());
    return new TestJournal(kind, again, null, again.url());
  }

  @Override
  public void close() throws SQLException {
    if (server != null) {
      server.close();
    } else {
      try (Connection admin = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, POSTGRES_PASSWORD);
          Statement statement = admin.createStatement()) {
        statement.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      }
    }
  }
}
