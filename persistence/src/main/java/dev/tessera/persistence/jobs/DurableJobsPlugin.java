package dev.tessera.persistence.jobs;

import dev.tessera.runtime.node.ComputeNode;
import dev.tessera.runtime.node.NodePlugin;

/**
 * Starts durable jobs on nodes with {@code tessera.persistence.jobs.enabled = on}: the journal's
 * schema, this node's share of job coordinators and the job registry singleton.
 *
 * <pre>{@code
 * # application.conf of every node of a cluster that runs durable jobs
 * tessera.persistence.jobs.enabled = on
 * tessera.persistence.jdbc = ${tessera.persistence.presets.postgresql} { url = "jdbc:postgresql://db:5432/tessera" }
 * }</pre>
 */
public final class DurableJobsPlugin implements NodePlugin {

  @Override
  public void start(ComputeNode node) {
    if (node.system().settings().config().getBoolean("tessera.persistence.jobs.enabled")) {
      DurableJobs.get(node.system());
      // Ready once its shard regions are set up (above) and while its journal takes writes.
      dev.tessera.runtime.node.NodeReadiness.get(node.system()).register("durable jobs",
          java.util.concurrent.CompletableFuture.completedFuture(null),
          () -> dev.tessera.persistence.journal.JournalHealth.get(node.system()).failure()
              .map(failure -> "journal: " + failure.describe()));
    }
  }
}
