package dev.tessera.runtime.cluster;

import java.io.IOException;
import java.time.Duration;

/**
 * Reads membership from a node's management endpoint. Used by {@code cluster status}, {@code
 * cluster local} and the multi-process tests.
 *
 * <p>Thread safety: immutable; one instance may be shared.
 */
public final class MembersClient {

  private final ManagementClient management;

  /** @param timeout limit for connecting and for the whole request */
  public MembersClient(Duration timeout) {
    this.management = new ManagementClient(timeout);
  }

  /**
   * Fetches the membership as the node at {@code host:port} (its management port) sees it.
   *
   * @throws IOException when the node does not answer, or answers with something else than
   *     membership
   */
  public MembersView fetch(String host, int port) throws IOException {
    return management.get(host, port, "/cluster/members", MembersView.class, "cluster membership");
  }
}
