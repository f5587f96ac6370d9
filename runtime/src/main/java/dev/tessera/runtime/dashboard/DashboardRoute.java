package dev.tessera.runtime.dashboard;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.completeWithFuture;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.extractRequest;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathEnd;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * The dashboard on a node's management endpoint, read-only and with the endpoint's access rules:
 * {@code GET /dashboard} (the page), its script and style sheet (served from this jar: no CDN, it
 * works on an offline LAN), and {@code GET /dashboard/state} ({@link DashboardState} as JSON), which
 * the page polls twice a second and {@code tessera top} reads. Loaded by Pekko Management from
 * {@code pekko.management.http.routes.tessera-dashboard}.
 */
public final class DashboardRoute implements ManagementRouteProvider {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(3);
  private static final Map<String, ContentType> FILES = Map.of(
      "index.html", ContentTypes.TEXT_HTML_UTF8,
      "app.js", ContentTypes.parse("text/javascript; charset=utf-8"),
      "style.css", ContentTypes.parse("text/css; charset=utf-8"));

  private final ActorSystem<?> system;

  /** Called by Pekko Management, which loads route providers by class name. */
  public DashboardRoute(ExtendedActorSystem system) {
    this.system = Adapter.toTyped(system);
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return pathPrefix("dashboard", () -> get(() -> concat(
        pathEnd(() -> complete(file("index.html"))),
        path("state", () -> extractRequest(request -> completeWithFuture(state()))),
        path(PathMatchers.segment(), name -> complete(FILES.containsKey(name) ? file(name)
            : HttpResponse.create().withStatus(StatusCodes.NOT_FOUND))))));
  }

  private CompletionStage<HttpResponse> state() {
    return AskPattern.<DashboardActor.Command, DashboardState>ask(Dashboard.get(system).actor(),
            DashboardActor.GetState::new, ASK_TIMEOUT, system.scheduler())
        .thenApply(state -> {
          try {
            return HttpResponse.create().withEntity(ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(state))
                .addHeader(CacheControl.create(CacheDirectives.NO_STORE));
          } catch (JsonProcessingException e) {
            return HttpResponse.create().withStatus(StatusCodes.INTERNAL_SERVER_ERROR).withEntity(e.toString());
          }
        })
        .exceptionally(e -> HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE)
            .withEntity("the dashboard did not answer: " + e.getMessage()));
  }

  private static HttpResponse file(String name) {
    try (InputStream in = DashboardRoute.class.getResourceAsStream(name)) {
      if (in == null) {
        return HttpResponse.create().withStatus(StatusCodes.NOT_FOUND);
      }
      return HttpResponse.create().withEntity(FILES.get(name), in.readAllBytes());
    } catch (IOException e) {
      return HttpResponse.create().withStatus(StatusCodes.INTERNAL_SERVER_ERROR).withEntity(e.toString());
    }
  }
}
