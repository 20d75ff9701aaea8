package dev.annals.bank.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.annals.bank.BankPublishing;
import dev.annals.bank.domain.Account;
import dev.annals.core.LogFilter;
import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.web.EventFollowing;
import dev.annals.web.FollowRoutes;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ProblemDetail;
import org.springframework.web.servlet.function.EntityResponse;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.ServerRequest;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * The bank's live feeds, served by es-web: {@code GET /events} follows the account events of the
 * log, {@code GET /accounts/{id}/events} one account's history and then its new events, each by
 * Server-Sent Events, long polling or WebSocket as the request asks. Events are CloudEvents JSON
 * with the bank's publishing source, as the brokers get them.
 *
 * <p>es-web answers refusals with problem details of its own; the filter here turns them into the
 * bank's ({@code urn:annals:bank:problem:<code>} with {@code error} and {@code message}), so a
 * client reads every error of the API the same way. It also checks the query's %-escapes, which
 * the servlet container would otherwise drop silently, losing a client's {@code after}.
 */
final class BankFeeds {

  private static final LogFilter ACCOUNTS = LogFilter.categories(Account.TYPE.category());

  private BankFeeds() {}

  /**
   * The followers of {@code store}'s account events.
   *
   * @param heartbeat how long a streaming follower may stay silent before a heartbeat
   * @param maxFeeds how many followers may be open at once, of both paths and every kind
   */
  static EventFollowing following(PostgresEventStore store, Duration heartbeat, int maxFeeds) {
    CloudEventMapper mapper = CloudEventMapper.builder(store.registry()).source(BankPublishing.SOURCE).build();
    return EventFollowing.builder(store, mapper).heartbeat(heartbeat).maxFollowers(maxFeeds).build();
  }

  /** The two feed paths, their errors in the bank's problem shape. */
  static RouterFunction<ServerResponse> routes(EventFollowing following, ObjectMapper json) {
    return FollowRoutes.builder(following)
        .log("/events", ACCOUNTS)
        .stream("/accounts/{id}/events", BankFeeds::account)
        .build()
        .filter((request, next) -> {
          try {
            BankApi.query(request.servletRequest().getQueryString());
          } catch (BankApi.ApiException e) {
            return problem(json, request, Problems.of(e.status, e.code, e.getMessage(), path(request), e.details));
          }
          return asBankProblem(json, request, next.handle(request));
        });
  }

  /** An account's stream; a malformed id is es-web's 400. */
  private static StreamId account(String id) {
    return Account.TYPE.streamId(id);
  }

  private static ServerResponse asBankProblem(ObjectMapper json, ServerRequest request, ServerResponse response) {
    // Only es-web's refusals are entity responses; a stream's or a long poll's status is not
    // known yet (asking an async one throws).
    if (!(response instanceof EntityResponse<?> entity) || !response.statusCode().isError()
        || !(entity.entity() instanceof String body)) {
      return response;
    }
    int status = response.statusCode().value();
    String title = "";
    String detail = "";
    try {
      JsonNode node = json.readTree(body);
      title = node.path("title").asText("");
      detail = node.path("detail").asText("");
    } catch (IOException e) {
      // Not es-web's problem JSON after all: the status alone tells the client enough.
    }
    return problem(json, request, Problems.of(status, code(status, title), detail.isEmpty() ? Problems.message(status)
        : detail, path(request), Map.of()));
  }

  /** The bank's code for es-web's refusal: its title in snake case, an unknown account as elsewhere. */
  private static String code(int status, String title) {
    if (status == 404) {
      return "account_not_found";
    }
    String code = title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "_").replaceAll("^_|_$", "");
    return code.isEmpty() ? Problems.code(status) : code;
  }

  private static String path(ServerRequest request) {
    return request.servletRequest().getRequestURI();
  }

  private static ServerResponse problem(ObjectMapper json, ServerRequest request, ProblemDetail problem) {
    ServerResponse.BodyBuilder builder = ServerResponse.status(problem.getStatus())
        .contentType(Problems.PROBLEM_JSON)
        .header(HttpHeaders.CACHE_CONTROL, "no-store");
    if (problem.getStatus() == 503) {
      builder.header(HttpHeaders.RETRY_AFTER, "5");
    }
    return builder.body(Problems.body(json, problem));
  }
}
