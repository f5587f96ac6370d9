package dev.tessera.runtime.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code GET /metrics} on a node's management endpoint: every meter of {@link NodeMetrics} in
 * Prometheus' text format (version 0.0.4), for a Prometheus server to scrape. It has the endpoint's
 * access rules: loopback by default; exposed, HTTPS and the management token. Pekko Management
 * loads it from {@code pekko.management.http.routes.tessera-metrics} (this module's {@code
 * reference.conf}).
 */
public final class MetricsRoute implements ManagementRouteProvider {

  /** The content type Prometheus asks for and reads. */
  static final ContentType TEXT_FORMAT = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");

  private final NodeMetrics metrics;

  /** Called by Pekko Management, which loads route providers by class name. */
  public MetricsRoute(ExtendedActorSystem system) {
    this.metrics = NodeMetrics.get(Adapter.toTyped(system));
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return path("metrics", () -> get(() -> extractRequest(request -> complete(answer()))));
  }

  private HttpResponse answer() {
    Optional<String> text = metrics.scrape();
    if (text.isEmpty()) {
      return HttpResponse.create().withStatus(StatusCodes.NOT_FOUND)
          .withEntity(ContentTypes.TEXT_PLAIN_UTF8, "metrics are off on this node (tessera.metrics.enabled = off)\n");
    }
    return HttpResponse.create().withEntity(TEXT_FORMAT, text.get().getBytes(StandardCharsets.UTF_8));
  }
}
