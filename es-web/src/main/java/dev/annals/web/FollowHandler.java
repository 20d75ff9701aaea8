package dev.annals.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.core.LogFilter;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.PostgresEventStore;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.servlet.ModelAndView;
import org.springframework.web.servlet.function.HandlerFunction;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;
import org.springframework.web.socket.CloseStatus;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import org.springframework.web.socket.handler.TextWebSocketHandler;
import org.springframework.web.socket.server.HandshakeFailureException;
import org.springframework.web.socket.handler.ExceptionWebSocketHandlerDecorator;
import org.springframework.web.socket.server.support.DefaultHandshakeHandler;
import org.springframework.web.util.WebUtils;

/**
 * One mounted path: checks the request (resume position, wait, limit, stream), takes a
 * follower's slot, and starts the transport the request asks for. Everything wrong with a request
 * is found before anything is streamed, and answered as problem JSON. Thread-safe.
 */
final class FollowHandler implements HandlerFunction<ServerResponse> {

  private static final Pattern WHOLE_NUMBER = Pattern.compile("\\d{1,18}");
  private static final Pattern WAIT = Pattern.compile("(\\d{1,7})(ms|s)?");
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final EventFollowing following;
  private final LogFilter filter;
  private final Function<String, StreamId> streams;
  private final List<String> allowedOrigins;
  private final DefaultHandshakeHandler handshake = new DefaultHandshakeHandler();

  private FollowHandler(EventFollowing following, LogFilter filter, Function<String, StreamId> streams,
      List<String> allowedOrigins) {
    this.following = following;
    this.filter = filter;
    this.streams = streams;
    this.allowedOrigins = allowedOrigins;
  }

  static FollowHandler log(EventFollowing following, LogFilter filter, List<String> allowedOrigins) {
    return new FollowHandler(following, filter, null, allowedOrigins);
  }

  static FollowHandler stream(EventFollowing following, Function<String, StreamId> streams,
      List<String> allowedOrigins) {
    return new FollowHandler(following, null, streams, allowedOrigins);
  }

  /** Where a follower starts: after {@code position}; for a log follower, from {@code cursor}. */
  private record Start(StreamId stream, long position, LogCursor cursor) {}

  @Override
  public ServerResponse handle(ServerRequest request) {
    try {
      StreamId stream = streams == null ? null : stream(request.pathVariable("id"));
      if (isUpgrade(request)) {
        // Browsers apply no same-origin policy to WebSockets: without this check any page could
        // read the events with its visitor's cookies. Spring's own endpoints check the same way.
        if (!WebUtils.isValidOrigin(new ServletServerHttpRequest(request.servletRequest()), allowedOrigins)) {
          throw new Problems.Refused(403, "Origin not allowed", "WebSocket connections from origin "
              + shown(String.valueOf(request.headers().firstHeader(HttpHeaders.ORIGIN))) + " are not allowed here");
        }
        String after = request.param("after").orElse(null);
        Start start = after == null ? null : start(stream, after, "after");
        return new Upgrade(new FollowSocket(stream, start, following.acquire()));
      }
      if (request.headers().accept().stream().anyMatch(MediaType.TEXT_EVENT_STREAM::equalsTypeAndSubtype)) {
        List<String> lastId = request.headers().header("Last-Event-ID");
        Start start = !lastId.isEmpty() ? start(stream, lastId.get(0), "Last-Event-ID")
            : start(stream, request.param("after").orElse(null), "after");
        return sse(start);
      }
      Start start = start(stream, request.param("after").orElse(null), "after");
      Duration wait = wait(request.param("wait").orElse(null));
      int limit = limit(request.param("limit").orElse(null));
      return longPoll(start, wait, limit);
    } catch (Problems.Refused refused) {
      return Problems.response(refused, request.path());
    } catch (StoreUnavailableException e) {
      return Problems.response(new Problems.Refused(503, "Events unavailable",
          "the event store cannot be reached; try again later"), request.path());
    }
  }

  private static boolean isUpgrade(ServerRequest request) {
    return request.headers().header(HttpHeaders.UPGRADE).stream().anyMatch("websocket"::equalsIgnoreCase);
  }

  private StreamId stream(String id) {
    StreamId stream;
    try {
      stream = streams.apply(id);
    } catch (IllegalArgumentException e) {
      // The application's message may hold the input: cut short as well.
      String why = String.valueOf(e.getMessage());
      throw Problems.badRequest("'" + shown(id) + "' is not a stream id here: "
          + (why.length() <= 160 ? why : why.substring(0, 160) + "..."));
    }
    if (following.store().streamVersion(stream) == 0) {
      throw new Problems.Refused(404, "Unknown stream", "stream " + stream + " has no events");
    }
    return stream;
  }

  /** The start of a follower; {@code after} null for the default. */
  private Start start(StreamId stream, String after, String name) {
    PostgresEventStore store = following.store();
    LogReader reader = store.logReader();
    if (after == null) {
      if (stream != null) {
        return new Start(stream, 0, following.hub().now(reader));
      }
      LogCursor now = following.hub().now(reader);
      return new Start(null, now.position(), now);
    }
    if (!WHOLE_NUMBER.matcher(after).matches()) {
      throw Problems.badRequest(name + " must be a log position, a whole number 0 or more; was '"
          + shown(after) + "'");
    }
    long position = Long.parseLong(after);
    long head = store.headPosition();
    if (position > head) {
      throw Problems.badRequest(name + " " + position + " is beyond the end of the log, position "
          + head + "; use a position the server sent");
    }
    if (stream != null) {
      // Taken before the history is read: see LogHub.followStream.
      return new Start(stream, position, following.hub().now(reader));
    }
    if (position == 0) {
      return new Start(null, 0, LogCursor.START);
    }
    try {
      return new Start(null, position, reader.cursorAfter(position));
    } catch (IllegalArgumentException e) {
      throw Problems.badRequest(name + " " + position + " is not the position of an event; use a "
          + "position the server sent, or 0 for the whole log");
    }
  }

  private Duration wait(String text) {
    if (text == null) {
      return Duration.ZERO;
    }
    Matcher m = WAIT.matcher(text);
    if (!m.matches()) {
      throw Problems.badRequest("wait must be a duration such as 30s or 500ms; was '" + shown(text) + "'");
    }
    long amount = Long.parseLong(m.group(1));
    Duration wait = "ms".equals(m.group(2)) ? Duration.ofMillis(amount) : Duration.ofSeconds(amount);
    if (wait.compareTo(following.maxWait()) > 0) {
      throw Problems.badRequest("wait " + text + " is longer than the most this server waits, "
          + following.maxWait().toSeconds() + "s");
    }
    return wait;
  }

  private static int limit(String text) {
    if (text == null) {
      return DEFAULT_LIMIT;
    }
    if (!WHOLE_NUMBER.matcher(text).matches() || Long.parseLong(text) < 1 || Long.parseLong(text) > MAX_LIMIT) {
      throw Problems.badRequest("limit must be a whole number from 1 to " + MAX_LIMIT + "; was '"
          + shown(text) + "'");
    }
    return Integer.parseInt(text);
  }

  /** Input echoed in a message, cut short: a reply no larger than the request deserves. */
  private static String shown(String input) {
    return input.length() <= 40 ? input : input.substring(0, 40) + "...";
  }

  private void follow(Start start, Subscriber subscriber) {
    if (start.stream() != null) {
      following.hub().followStream(start.stream(), start.position(), start.cursor(), subscriber);
    } else {
      following.hub().follow(start.cursor(), e -> filter.matches(e.streamId().category(), e.type()), subscriber);
    }
  }

  // ------------------------------------------------------------------------------ long poll

  private ServerResponse longPoll(Start start, Duration wait, int limit) {
    Runnable release = following.acquire();
    // Without a wait, the answer is what is there once the follower has caught up.
    LongPoll[] poll = new LongPoll[1];
    poll[0] = new LongPoll(start.position(), limit, wait.isZero(), () -> {
      following.untrack(poll[0]);
      release.run();
    });
    LongPoll waiting = poll[0];
    following.track(waiting);
    if (!wait.isZero()) {
      ScheduledFuture<?> deadline = following.timer().schedule(waiting::expire, wait.toMillis(),
          TimeUnit.MILLISECONDS);
      waiting.answer().whenComplete((r, e) -> deadline.cancel(false));
    }
    follow(start, waiting);
    return ServerResponse.async(waiting.answer(), wait.plusSeconds(60));
  }

  // ------------------------------------------------------------------------------------ SSE

  private ServerResponse sse(Start start) {
    Runnable release = following.acquire();
    try {
      return ServerResponse.sse(sse -> {
        SseClient[] client = new SseClient[1];
        client[0] = new SseClient(sse, following.bufferSize(), following.writers(), () -> {
          following.untrack(client[0]);
          release.run();
        }, following::countDropped);
        sse.onComplete(() -> client[0].end(Client.Ending.GONE, "completed"));
        sse.onError(e -> client[0].end(Client.Ending.GONE, "failed"));
        try {
          // Sends the headers at once, and tells browsers how soon to reconnect.
          sse.retry(Duration.ofSeconds(2)).comment("following").send();
        } catch (IOException e) {
          release.run();
          return;
        }
        following.track(client[0]);
        follow(start, client[0]);
      }, Duration.ZERO);
    } catch (RuntimeException e) {
      release.run();
      throw e;
    }
  }

  // ------------------------------------------------------------------------------ WebSocket

  /** The handshake, answered as Spring's WebSocket support does for its own endpoints. */
  private final class Upgrade implements ServerResponse {
    private final FollowSocket socket;

    Upgrade(FollowSocket socket) {
      this.socket = socket;
    }

    @Override
    public HttpStatusCode statusCode() {
      return HttpStatus.SWITCHING_PROTOCOLS;
    }

    @Override
    public HttpHeaders headers() {
      return new HttpHeaders();
    }

    @Override
    public MultiValueMap<String, jakarta.servlet.http.Cookie> cookies() {
      return new LinkedMultiValueMap<>();
    }

    @Override
    public ModelAndView writeTo(HttpServletRequest request, HttpServletResponse response, Context context)
        throws IOException {
      ServletServerHttpResponse out = new ServletServerHttpResponse(response);
      boolean upgraded = false;
      try {
        upgraded = handshake.doHandshake(new ServletServerHttpRequest(request), out,
            new ExceptionWebSocketHandlerDecorator(socket), new HashMap<>());
      } catch (HandshakeFailureException e) {
        response.setStatus(400);
      } finally {
        if (!upgraded) {
          socket.release.run();
        }
        out.close();
      }
      return null;
    }
  }

  /**
   * One WebSocket follower. Its start is in the URL ({@code ?after=P}) or, when the URL has none,
   * in the client's first message, {@code {"after":P}} or {@code {}} for the default start.
   */
  private final class FollowSocket extends TextWebSocketHandler {
    private final StreamId stream;
    private final Runnable release;
    private volatile Start start;
    private volatile SocketClient client;
    private volatile ScheduledFuture<?> noStart;

    FollowSocket(StreamId stream, Start start, Runnable release) {
      this.stream = stream;
      this.start = start;
      this.release = release;
    }

    @Override
    public void afterConnectionEstablished(WebSocketSession session) {
      SocketClient c = new SocketClient(session, following.bufferSize(), following.writers(), () -> {
        following.untrack(client);
        release.run();
      }, following::countDropped);
      client = c;
      following.track(c);
      if (start != null) {
        follow(start, c);
      } else {
        long wait = following.maxWait().toMillis();
        noStart = following.timer().schedule(() -> c.end(Client.Ending.REFUSED,
            "no start message {\"after\":P} within " + wait + " ms"), wait, TimeUnit.MILLISECONDS);
      }
    }

    @Override
    protected void handleTextMessage(WebSocketSession session, TextMessage message) {
      if (start != null) {
        return;
      }
      noStart.cancel(false);
      try {
        JsonNode first = JSON.readTree(message.getPayload());
        if (first == null || !first.isObject()) {
          throw Problems.badRequest("the first message must be {\"after\":P} or {}");
        }
        JsonNode after = first.get("after");
        String text = after == null || after.isNull() ? null : after.asText();
        start = start(stream, text, "after");
        follow(start, client);
      } catch (IOException e) {
        client.end(Client.Ending.REFUSED, "the first message must be JSON, {\"after\":P} or {}");
      } catch (Problems.Refused refused) {
        client.end(Client.Ending.REFUSED, refused.getMessage());
      }
    }

    @Override
    public void handleTransportError(WebSocketSession session, Throwable exception) {
      client.end(Client.Ending.GONE, "transport error");
    }

    @Override
    public void afterConnectionClosed(WebSocketSession session, CloseStatus status) {
      client.end(Client.Ending.GONE, "closed by the client");
    }
  }
}
