package dev.tessera.persistence.jobs;

import dev.tessera.runtime.cluster.ManagementClient;
import java.io.IOException;
import java.time.Duration;

/**
 * Asks a node's management endpoint which durable jobs it coordinates ({@link
 * CoordinatedJobsRoute}). Needs no cluster membership: the chaos harness asks the nodes it runs
 * while it is none of their members.
 *
 * <pre>{@code
 * CoordinatedJobs.Report report = new CoordinatedJobsClient(Duration.ofSeconds(1)).fetch("127.0.0.1", 7626);
 * }</pre>
 *
 * <p>Thread safety: immutable; one instance may be shared.
 */
public final class CoordinatedJobsClient {

  private final ManagementClient management;

  /** @param timeout limit for connecting and for the whole request */
  public CoordinatedJobsClient(Duration timeout) {
    this.management = new ManagementClient(timeout);
  }

  /**
   * The jobs coordinated on the node whose management endpoint is {@code host:port}.
   *
   * @throws IOException when the node does not answer, or answers with something else
   */
  public CoordinatedJobs.Report fetch(String host, int port) throws IOException {
    return management.get(host, port, CoordinatedJobsRoute.PATH, CoordinatedJobs.Report.class, "the jobs it coordinates");
  }
}
