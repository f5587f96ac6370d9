package dev.tessera.runtime.launch;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Something the nodes of {@code cluster local} share, run by the launcher itself and found with
 * {@link java.util.ServiceLoader} (list the class in {@code
 * META-INF/services/dev.tessera.runtime.launch.LocalClusterService}). The persistence module uses
 * it to run one journal server for all local nodes, so that durable jobs survive the loss of any
 * node process. It lives as long as the launcher: killing nodes does not touch it.
 */
public interface LocalClusterService extends AutoCloseable {

  /**
   * Starts the service.
   *
   * @param dataDir where the local cluster keeps its data
   * @return extra command-line arguments for every node (e.g. {@code --config FILE})
   */
  List<String> start(Path dataDir) throws IOException;

  /** One line for the console: what runs where. */
  String describe();

  /** Stops the service, after the nodes have stopped. */
  @Override
  void close();
}
