package dev.tessera.persistence.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local journal server's database has a password of its own, kept where only its owner reads it. */
class JournalServerTest {

  @TempDir Path dir;

  @Test
  void aNewJournalHasAGeneratedPasswordKeptPrivate() throws Exception {
    Path data = dir.resolve("data");
    try (JournalServer server = JournalServer.start(data)) {
      assertThat(server.password()).hasSizeGreaterThanOrEqualTo(32);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx------");
      Path file = data.resolve(JournalServer.PASSWORD_FILE);
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
      try (Connection c = DriverManager.getConnection(server.url(), JournalServer.USER, server.password());
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (x INT)");
      }
      assertThatThrownBy(() -> DriverManager.getConnection(server.url(), JournalServer.USER, "").close())
          .isInstanceOf(SQLException.class).hasMessageContaining("Wrong user name or password");
      assertThat(server.nodeConfig()).contains("password = \"" + server.password() + "\"");
    }
    // The next server on the same folder uses the same password.
    try (JournalServer again = JournalServer.start(data);
        Connection c = DriverManager.getConnection(again.url(), JournalServer.USER, again.password());
        Statement s = c.createStatement();
        ResultSet rows = s.executeQuery("SELECT COUNT(*) FROM t")) {
      assertThat(rows.next()).isTrue();
    }
  }

  @Test
  void aJournalFromBeforePasswordsIsGivenOneAndKeepsItsData() throws Exception {
    Path data = dir.resolve("old");
    Files.createDirectories(data);
    // What an earlier version left: a journal of user sa with no password, and no password file.
    try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + data.resolve("journal"), "sa", "");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE kept (x INT)");
      s.execute("INSERT INTO kept VALUES (42)");
    }
    try (JournalServer server = JournalServer.start(data)) {
      try (Connection c = DriverManager.getConnection(server.url(), JournalServer.USER, server.password());
          Statement s = c.createStatement();
          ResultSet rows = s.executeQuery("SELECT x FROM kept")) {
        assertThat(rows.next()).isTrue();
        assertThat(rows.getInt(1)).isEqualTo(42);
      }
      assertThatThrownBy(() -> DriverManager.getConnection(server.url(), JournalServer.USER, "").close())
          .isInstanceOf(SQLException.class);
    }
  }
}
