package dev.tessera.persistence.jobs;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code GET /jobs/coordinating} on a node's management endpoint: which durable jobs this node
 * coordinates, and since when ({@link CoordinatedJobs}), as JSON:
 *
 * <pre>{@code
 * {"node":"pekko://tessera@127.0.0.1:25520","jobs":[{"jobId":"chaos.counted-square-5c1e...","sinceMillis":1764621312345}]}
 * }</pre>
 *
 * <p>Read-only, so it is served with {@code route-providers-read-only} on. Pekko Management loads
 * it from {@code pekko.management.http.routes.tessera-jobs} (this module's {@code reference.conf})
 * when the node starts its endpoint, constructing it with the actor system; {@link
 * CoordinatedJobsClient} reads it.
 *
 * <p>Thread safety: immutable; requests are answered on the endpoint's threads.
 */
public final class CoordinatedJobsRoute implements ManagementRouteProvider {

  /** The path it answers on. */
  public static final String PATH = "/jobs/coordinating";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final CoordinatedJobs jobs;

  /** Called by Pekko Management, which loads route providers by class name. */
  public CoordinatedJobsRoute(ExtendedActorSystem system) {
    this.jobs = CoordinatedJobs.get(Adapter.toTyped(system));
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    // extractRequest: the answer is built per request, not once when the route is.
    return path(PathMatchers.segment("jobs").slash("coordinating"),
        () -> get(() -> extractRequest(request -> complete(answer()))));
  }

  private HttpResponse answer() {
    try {
      return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(jobs.report()));
    } catch (JsonProcessingException e) {
      // Two strings and a list of records: cannot fail, but an HTTP answer is better than a hang.
      return HttpResponse.create().withStatus(StatusCodes.INTERNAL_SERVER_ERROR).withEntity(e.toString());
    }
  }
}
