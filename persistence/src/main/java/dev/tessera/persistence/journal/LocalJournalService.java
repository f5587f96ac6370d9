package dev.tessera.persistence.journal;

import dev.tessera.runtime.launch.LocalClusterService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs one {@link JournalServer} for the nodes of {@code cluster local} and turns durable jobs on
 * for them, through a config file it writes into the data directory.
 */
public final class LocalJournalService implements LocalClusterService {

  private JournalServer server;

  @Override
  public List<String> start(Path dataDir) throws IOException {
    server = JournalServer.start(dataDir);
    Path config = server.dataDir().resolve("local-nodes.conf");
    // It holds the journal's password: readable by this user only.
    dev.tessera.runtime.node.Secrets.writePrivate(config, "# Written by `tessera local` for its nodes; rewritten at every start.\n"
        + server.nodeConfig());
    return List.of("--config", config.toString());
  }

  /**
   * The config lines that point a node at this journal server and turn durable jobs on, for a
   * node this process starts itself (a sample's client node, say); the same lines the node
   * processes get in their config file.
   *
   * @throws IllegalStateException before {@link #start}
   */
  public String nodeConfig() {
    if (server == null) {
      throw new IllegalStateException("the journal server has not been started");
    }
    return server.nodeConfig();
  }

  @Override
  public String describe() {
    return "journal: H2 server on 127.0.0.1:" + server.port() + " (" + server.dataDir().resolve("journal.mv.db") + ")";
  }

  @Override
  public void close() {
    if (server != null) {
      server.close();
    }
  }
}
