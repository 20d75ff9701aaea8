package dev.annals.messaging.webhooks;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A webhook subscription and how delivery to it goes. The secret is not part of it: it is only
 * ever given when subscribing.
 *
 * @param id its id
 * @param url where events are POSTed
 * @param eventTypes the registered type names it gets; empty for all
 * @param state ACTIVE, or PARKED after failing for longer than the configured time
 * @param createdAt when it was made
 * @param delivered how many events it has acknowledged with a 2xx
 * @param pending how many events wait to be delivered to it
 * @param failures failed tries in a row (0 after a success)
 * @param failingSince when the current run of failures began
 * @param lastError the last failure: status code or exception, one line
 * @param lastAttemptAt when it was last tried
 * @param nextAttemptAt when it will be tried next (after a failure: the last try plus the backoff)
 */
public record WebhookSubscription(UUID id, URI url, Set<String> eventTypes, State state,
    Instant createdAt, long delivered, long pending, int failures, Optional<Instant> failingSince,
    Optional<String> lastError, Optional<Instant> lastAttemptAt, Optional<Instant> nextAttemptAt) {

  public WebhookSubscription {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(url, "url");
    eventTypes = Set.copyOf(eventTypes);
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(failingSince, "failingSince");
    Objects.requireNonNull(lastError, "lastError");
    Objects.requireNonNull(lastAttemptAt, "lastAttemptAt");
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
  }

  /** Whether it is delivered to. */
  public enum State {
    /** Events are delivered to it, with retries and backoff on failure. */
    ACTIVE,
    /** It failed for too long; its events wait (see {@link Webhooks#pending}) until {@link Webhooks#replay}. */
    PARKED
  }
}
