package dev.annals.web;

import dev.annals.core.LogFilter;
import dev.annals.core.StreamId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.springframework.web.servlet.function.HandlerFunction;
import org.springframework.web.servlet.function.RequestPredicates;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The paths at which clients follow the log or a stream: a Spring MVC router function, so an
 * application mounts it by returning it from a {@code @Bean} method. Each path serves the same
 * events three ways, chosen by the request:
 *
 * <ul>
 *   <li>a WebSocket upgrade ({@code Upgrade: websocket}): one text message per event;</li>
 *   <li>{@code Accept: text/event-stream}: Server-Sent Events, resuming after
 *       {@code Last-Event-ID};</li>
 *   <li>anything else: a long poll, {@code GET path?after=P&wait=30s&limit=100}, answered with
 *       {@code {"events":[...],"next":P}} as soon as there are events, or with none at the
 *       deadline.</li>
 * </ul>
 *
 * <p>Every event is a CloudEvent in structured JSON, its global position in the
 * {@code position} extension; {@code after=P} resumes after the event at position {@code P}.
 * Immutable and thread-safe.
 */
public final class FollowRoutes implements RouterFunction<ServerResponse> {

  private final RouterFunction<ServerResponse> routes;

  private FollowRoutes(RouterFunction<ServerResponse> routes) {
    this.routes = routes;
  }

  /** Starts mounting followers of {@code following}'s store. */
  public static Builder builder(EventFollowing following) {
    return new Builder(Objects.requireNonNull(following, "following must not be null"));
  }

  @Override
  public Optional<HandlerFunction<ServerResponse>> route(ServerRequest request) {
    return routes.route(request);
  }

  @Override
  public void accept(RouterFunctions.Visitor visitor) {
    routes.accept(visitor);
  }

  /** Collects the paths; each is checked when added. */
  public static final class Builder {
    private final EventFollowing following;
    private final Map<String, Function<List<String>, FollowHandler>> paths = new LinkedHashMap<>();
    private List<String> allowedOrigins = List.of();

    private Builder(EventFollowing following) {
      this.following = following;
    }

    /**
     * Follows the whole log at {@code path}, the events passing {@code filter}. Without
     * {@code after} a follower starts with the next event appended; {@code after=0} replays the
     * whole log.
     *
     * @throws IllegalArgumentException if the path does not start with {@code /} or is taken
     */
    public Builder log(String path, LogFilter filter) {
      Objects.requireNonNull(filter, "filter must not be null (use LogFilter.all())");
      return add(path, origins -> FollowHandler.log(following, filter, origins));
    }

    /** {@link #log(String, LogFilter)} of every event. */
    public Builder log(String path) {
      return log(path, LogFilter.all());
    }

    /**
     * Follows one stream at {@code path}, which holds the variable {@code {id}}, for example
     * {@code /accounts/{id}/events}; {@code streams} turns the id into the stream (an
     * {@code IllegalArgumentException} from it answers 400, a stream without events 404).
     * Without {@code after} a follower starts with the stream's first event.
     *
     * @throws IllegalArgumentException if the path has no {@code {id}}, does not start with
     *     {@code /}, or is taken
     */
    public Builder stream(String path, Function<String, StreamId> streams) {
      Objects.requireNonNull(streams, "streams must not be null");
      if (path == null || !path.contains("{id}")) {
        throw new IllegalArgumentException("a stream path must hold the variable {id}, for example "
            + "/accounts/{id}/events; was " + path);
      }
      return add(path, origins -> FollowHandler.stream(following, streams, origins));
    }

    private Builder add(String path, Function<List<String>, FollowHandler> handler) {
      Objects.requireNonNull(path, "path must not be null");
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("path must start with /, was '" + path + "'");
      }
      if (paths.putIfAbsent(path, handler) != null) {
        throw new IllegalArgumentException("path '" + path + "' is already mounted");
      }
      return this;
    }

    /**
     * The origins, besides the application's own, from which browsers may open WebSockets to
     * these paths, for example {@code https://app.example.com}, or {@code *} for any. None by
     * default: a WebSocket handshake with another {@code Origin} is refused with 403, as
     * Spring's own WebSocket endpoints do (browsers apply no same-origin policy to WebSockets).
     * SSE and long polls are ordinary requests, governed by the application's CORS settings.
     */
    public Builder allowedOrigins(String... origins) {
      this.allowedOrigins = List.of(origins);
      return this;
    }

    /** @throws IllegalStateException if no path was added */
    public FollowRoutes build() {
      if (paths.isEmpty()) {
        throw new IllegalStateException("FollowRoutes needs at least one log(...) or stream(...) path");
      }
      RouterFunctions.Builder routes = RouterFunctions.route();
      paths.forEach((path, handler) -> routes.route(RequestPredicates.GET(path), handler.apply(allowedOrigins)));
      return new FollowRoutes(routes.build());
    }
  }
}
