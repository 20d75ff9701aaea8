package dev.annals.web.docs;

import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.core.StreamId;
import dev.annals.web.EventFollowing;
import dev.annals.web.FollowRoutes;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/**
 * The example of docs/messaging.md, "Following the log over HTTP": how an application such as
 * the bank mounts the followers of its account events. The event store comes from
 * es-spring-boot-starter, {@link EventFollowing} from es-web's auto-configuration.
 */
@SpringBootApplication
public class FeedApplication {

  /** The one event of the example. */
  public record Deposited(long cents, String note) {}

  @Bean
  EventRegistry events() {
    return EventRegistry.builder().register(Deposited.class, "Deposited").build();
  }

  // tag::web-follow-routes[]
  @Bean
  FollowRoutes accountFeeds(EventFollowing following) {
    return FollowRoutes.builder(following)
        // GET /events: every account event (SSE, long poll or WebSocket, by the request)
        .log("/events", LogFilter.categories("account"))
        // GET /accounts/acc-1/events: one account's history, then live
        .stream("/accounts/{id}/events", id -> StreamId.of("account", id))
        .build();
  }
  // end::web-follow-routes[]
}
