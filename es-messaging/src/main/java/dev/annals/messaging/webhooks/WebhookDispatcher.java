package dev.annals.messaging.webhooks;

import dev.annals.core.Backoff;
import dev.annals.core.internal.Printable;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.internal.CloudEventCodec;
import dev.annals.messaging.internal.InboxDelivery;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.jdbi.v3.core.Jdbi;

/**
 * One node's delivery rounds for {@link Webhooks}: leases the due subscriptions, POSTs each one's
 * queue in order, and records successes, failures, backoff and parking. Called from the
 * dispatcher thread only, but {@link #close}.
 */
final class WebhookDispatcher implements AutoCloseable {

  private static final int MAX_REDIRECTS = 5;

  private final Jdbi jdbi;
  private final String schema;
  private final String name;
  private final String node;
  private final WebhookTargets targets;
  private final boolean allowRedirects;
  private final Backoff backoff;
  private final Duration parkAfter;
  private final Duration lease;
  private final Clock clock;
  private final WebhookClient http;
  private final BooleanSupplier running;
  private final WebhookSecretKey secretKey;

  WebhookDispatcher(Jdbi jdbi, String schema, String name, String node, WebhookTargets targets,
      boolean allowRedirects, Backoff backoff, Duration parkAfter, Duration requestTimeout, Clock clock,
      BooleanSupplier running, WebhookSecretKey secretKey) {
    this.jdbi = jdbi;
    this.schema = schema;
    this.name = name;
    this.node = node;
    this.targets = targets;
    this.allowRedirects = allowRedirects;
    this.backoff = backoff;
    this.parkAfter = parkAfter;
    // Long enough for a request with every redirect, and then some: a lease must outlive the work.
    this.lease = requestTimeout.multipliedBy(MAX_REDIRECTS + 2).plus(Duration.ofSeconds(30));
    this.clock = clock;
    this.http = new WebhookClient(targets, requestTimeout, defaultTls(),
        "webhooks-" + name + "-" + node + "-deadlines");
    this.running = running;
    this.secretKey = secretKey;
  }

  /** Delivers to every due subscription once; returns how many events were delivered. */
  int deliverRound() {
    List<Claimed> claimed = jdbi.withHandle(h -> h.createQuery("UPDATE " + schema + ".webhook_subscriptions s "
            + "SET lease_owner = :node, lease_until = clock_timestamp() + make_interval(secs => :lease) "
            + "WHERE s.id IN (SELECT c.id FROM " + schema + ".webhook_subscriptions c "
            + "  WHERE c.state = 'ACTIVE' AND c.next_attempt_at <= clock_timestamp() "
            + "  AND (c.lease_until IS NULL OR c.lease_until < clock_timestamp() OR c.lease_owner = :node) "
            + "  AND EXISTS (SELECT 1 FROM " + schema + ".webhook_deliveries d WHERE d.subscription_id = c.id) "
            + "  ORDER BY c.next_attempt_at LIMIT 16 FOR UPDATE SKIP LOCKED) "
            + "RETURNING s.id, s.url, s.sealed_secret, s.failures, s.failing_since")
        .bind("node", node).bind("lease", (double) lease.toSeconds())
        .map((rs, ctx) -> new Claimed(rs.getObject("id", UUID.class), URI.create(rs.getString("url")),
            rs.getString("sealed_secret"), rs.getInt("failures")))
        .list());
    int delivered = 0;
    for (Claimed c : claimed) {
      try {
        delivered += deliver(c);
      } finally {
        jdbi.useHandle(h -> h.createUpdate("UPDATE " + schema + ".webhook_subscriptions SET "
                + "lease_owner = NULL, lease_until = NULL WHERE id = :id AND lease_owner = :node")
            .bind("id", c.id).bind("node", node).execute());
      }
    }
    return delivered;
  }

  private int deliver(Claimed c) {
    int delivered = 0;
    while (running.getAsBoolean()) {
      List<WebhookDelivery> next = jdbi.withHandle(h -> h.createQuery("SELECT seq, subscription_id, "
              + "event_id, event_type, position, body, created_at FROM " + schema + ".webhook_deliveries "
              + "WHERE subscription_id = :id ORDER BY seq LIMIT 100")
          .bind("id", c.id)
          .map((rs, ctx) -> Webhooks.delivery(rs))
          .list());
      if (next.isEmpty()) {
        return delivered;
      }
      for (WebhookDelivery d : next) {
        Optional<String> failure = post(c, d);
        if (failure.isPresent()) {
          failed(c, failure.get());
          return delivered;
        }
        succeeded(c, d);
        delivered++;
      }
    }
    return delivered;
  }

  /** POSTs one event; empty on a 2xx, else what went wrong. */
  private Optional<String> post(Claimed c, WebhookDelivery d) {
    byte[] body = d.body().getBytes(StandardCharsets.UTF_8);
    String id = d.eventId().toString();
    long timestamp = clock.instant().getEpochSecond();
    String secret;
    try {
      secret = secretKey.open(c.id, c.sealedSecret);
    } catch (IllegalStateException wrongKey) {
      return Optional.of(wrongKey.getMessage());
    }
    String signature = WebhookSignature.sign(secret, id, timestamp, body);
    URI target = c.url;
    try {
      for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
        targets.check(target);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("content-type", CloudEventCodec.STRUCTURED_CONTENT_TYPE);
        headers.put(WebhookSignature.ID_HEADER, id);
        headers.put(WebhookSignature.TIMESTAMP_HEADER, Long.toString(timestamp));
        headers.put(WebhookSignature.SIGNATURE_HEADER, signature);
        WebhookClient.Reply reply = http.post(target, headers, body);
        int status = reply.status();
        if (status >= 200 && status < 300) {
          return Optional.empty();
        }
        if (status >= 300 && status < 400) {
          Optional<String> location = reply.location();
          if (!allowRedirects || location.isEmpty()) {
            return Optional.of("HTTP " + status + " redirect to " + Redaction.redact(location.orElse("(no location)"))
                + " refused: give the subscription its final URL, or allowRedirects(true)");
          }
          target = target.resolve(location.get());
          continue;
        }
        return Optional.of("HTTP " + status + " from " + Redaction.redact(target.toString()));
      }
      return Optional.of("more than " + MAX_REDIRECTS + " redirects from " + Redaction.redact(c.url.toString()));
    } catch (IllegalArgumentException refused) {
      return Optional.of(refused.getMessage());
    } catch (IOException e) {
      return Optional.of(Redaction.redact(e.getClass().getSimpleName() + " sending to " + target + ": "
          + e.getMessage()));
    }
  }

  private static SSLContext defaultTls() {
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no default TLS context", e);
    }
  }

  /** Closes the HTTP client's connections; a request in flight is aborted. */
  @Override
  public void close() {
    http.close();
  }

  private void succeeded(Claimed c, WebhookDelivery d) {
    jdbi.useTransaction(h -> {
      h.createUpdate("DELETE FROM " + schema + ".webhook_deliveries WHERE seq = :seq").bind("seq", d.seq()).execute();
      h.createUpdate("UPDATE " + schema + ".webhook_subscriptions SET delivered = delivered + 1, "
              + "failures = 0, failing_since = NULL, last_attempt_at = now() WHERE id = :id")
          .bind("id", c.id).execute();
    });
    c.failures = 0;
  }

  /**
   * Records a failed try and schedules the next after the backoff; parks the subscription when
   * it has been failing for longer than allowed. One statement, so {@code now()} is one instant:
   * the recorded wait is exactly the backoff.
   */
  private void failed(Claimed c, String failure) {
    String error = bounded(Redaction.redact(failure));
    c.failures++;
    Duration wait = backoff.delay(c.failures);
    jdbi.useHandle(h -> h.createUpdate("UPDATE " + schema + ".webhook_subscriptions SET "
            + "failures = failures + 1, failing_since = coalesce(failing_since, now()), "
            + "last_error = :error, last_attempt_at = now(), "
            + "next_attempt_at = now() + make_interval(secs => :wait), "
            + "state = CASE WHEN coalesce(failing_since, now()) <= now() - make_interval(secs => :park) "
            + "  THEN 'PARKED' ELSE state END "
            + "WHERE id = :id")
        .bind("error", error).bind("wait", wait.toNanos() / 1e9).bind("park", parkAfter.toNanos() / 1e9)
        .bind("id", c.id).execute());
    InboxDelivery.LOG.log(System.Logger.Level.WARNING, "webhooks {0}: subscription {1} failed ({2} in a "
        + "row), next try in {3} ms: {4}", name, c.id, c.failures, wait.toMillis(), error);
  }

  /** Longest failure text stored and logged: a receiver's reply must not fill the table or the log. */
  static final int MAX_ERROR = 500;

  /** The failure cut to {@link #MAX_ERROR} characters, control characters (a reply's line breaks) escaped. */
  static String bounded(String failure) {
    return Printable.cut(String.valueOf(failure), MAX_ERROR);
  }

  private static final class Claimed {
    final UUID id;
    final URI url;
    final String sealedSecret;
    int failures;

    Claimed(UUID id, URI url, String sealedSecret, int failures) {
      this.id = id;
      this.url = url;
      this.sealedSecret = sealedSecret;
      this.failures = failures;
    }
  }
}
