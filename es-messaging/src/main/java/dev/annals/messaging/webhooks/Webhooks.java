package dev.annals.messaging.webhooks;

import dev.annals.core.Backoff;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.CloudEventMapper;
import dev.annals.messaging.MessagingSchema;
import dev.annals.messaging.internal.Checks;
import dev.annals.messaging.internal.InboxDelivery;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import io.cloudevents.jackson.JsonFormat;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * Webhooks: subscriptions stored in Postgres, and delivery of the log to them as signed HTTP
 * POSTs of CloudEvents (structured JSON).
 *
 * <pre>{@code
 * Webhooks webhooks = Webhooks.builder(store, mapper).secretKey(key).build();
 * runner = ProjectionRunner.builder(store).projector(webhooks.projector()).build();
 * runner.start();
 * webhooks.start();
 * webhooks.subscribe(URI.create("https://partner.example/hooks"), Set.of("Deposited"), secret);
 * }</pre>
 *
 * <h2>How it works</h2>
 * The {@link #projector()} (a read-model projector, so exactly once) puts every event into the
 * queue of each subscription that wants its type, in the transaction that moves its checkpoint.
 * The dispatcher thread takes each subscription's queue in order: it POSTs the oldest event,
 * deletes it on a 2xx and goes on; on anything else it records the failure and tries the same
 * event again after a backoff (doubling, capped), so a subscriber sees events in log order. A
 * subscription failing for longer than {@link Builder#parkAfter} is parked: its queue keeps
 * filling and is delivered again, in order, after {@link #replay}. Delivery is at-least-once:
 * a receiver drops duplicates by {@code webhook-id} (the event id).
 *
 * <p>Each request carries {@code content-type: application/cloudevents+json} and the headers of
 * {@link WebhookSignature}. Redirects are not followed and private-network targets are refused,
 * unless allowed. Several nodes may run dispatchers: a subscription is leased to one at a time.
 *
 * <p>Secrets are stored encrypted with the application's {@link WebhookSecretKey}: the
 * {@code sealed_secret} column holds no secret in plain text.
 *
 * <p>Thread-safe.
 */
public final class Webhooks implements AutoCloseable {

  private static final JsonFormat FORMAT = new JsonFormat();

  private final Jdbi jdbi;
  private final String schema;
  private final String name;
  private final CloudEventMapper mapper;
  private final WebhookTargets targets;
  private final Duration requestTimeout;
  private final Duration pollInterval;
  private final String node;
  private final WebhookDispatcher rounds;
  private final WebhookSecretKey secretKey;
  private final String selectSubscriptions;
  private Thread dispatcher;
  private volatile boolean closed;

  private Webhooks(Builder b) {
    this.jdbi = b.store.jdbi();
    this.schema = b.store.schema();
    this.name = b.name;
    this.mapper = b.mapper;
    this.targets = new WebhookTargets(b.allowLoopback, b.allowPrivateNetworks);
    this.requestTimeout = b.requestTimeout;
    this.pollInterval = b.pollInterval;
    this.node = b.nodeId != null ? b.nodeId : "node-" + UUID.randomUUID().toString().substring(0, 8);
    this.rounds = new WebhookDispatcher(jdbi, schema, name, node, targets, b.allowRedirects, b.backoff,
        b.parkAfter, requestTimeout, b.clock, () -> !closed, b.secretKey);
    this.secretKey = b.secretKey;
    this.selectSubscriptions = "SELECT s.*, (SELECT count(*) FROM " + schema + ".webhook_deliveries d "
        + "WHERE d.subscription_id = s.id) AS pending FROM " + schema + ".webhook_subscriptions s";
  }

  /**
   * Starts configuring webhooks over the event store's database; the tables are installed in
   * its schema when built.
   */
  public static Builder builder(PostgresEventStore store, CloudEventMapper mapper) {
    return new Builder(Objects.requireNonNull(store, "store must not be null"),
        Objects.requireNonNull(mapper, "mapper must not be null"));
  }

  /**
   * The projector that queues events for the subscriptions; register it in a
   * {@link ProjectionRunner}. Events are queued for the subscriptions that exist when the
   * projector reaches them.
   */
  public Projector projector() {
    return Projector.builder(name).handler((event, ctx) -> {
      String body = new String(FORMAT.serialize(mapper.toCloudEvent(event)), StandardCharsets.UTF_8);
      ctx.handle().createUpdate("INSERT INTO " + schema + ".webhook_deliveries "
              + "(subscription_id, event_id, event_type, position, body) "
              + "SELECT id, :event, :type, :position, :body FROM " + schema + ".webhook_subscriptions "
              + "WHERE cardinality(event_types) = 0 OR :type = ANY(event_types) "
              + "ON CONFLICT (subscription_id, event_id) DO NOTHING")
          .bind("event", event.eventId()).bind("type", event.type())
          .bind("position", event.position()).bind("body", body)
          .execute();
    }).build();
  }

  // ------------------------------------------------------------------ subscriptions

  /**
   * Subscribes {@code url} to events of {@code eventTypes} (registered type names; empty for
   * all), from the events the projector reaches next on.
   *
   * @param secret the shared secret requests are signed with ({@link WebhookSignature#newSecret()});
   *     stored encrypted with the {@link Builder#secretKey}
   * @throws IllegalArgumentException if the URL is not http(s), does not resolve, is a loopback
   *     or private-network target that is not allowed, or is never a target (multicast, broadcast,
   *     reserved); the message names the address and its category
   */
  public WebhookSubscription subscribe(URI url, Set<String> eventTypes, String secret) {
    Objects.requireNonNull(url, "url must not be null");
    Objects.requireNonNull(eventTypes, "event types must not be null (use Set.of() for all)");
    Objects.requireNonNull(secret, "secret must not be null");
    if (secret.length() < 16) {
      throw new IllegalArgumentException("webhook secret must have at least 16 characters, had "
          + secret.length() + "; use WebhookSignature.newSecret()");
    }
    targets.check(url);
    UUID id = UUID.randomUUID();
    jdbi.useHandle(h -> h.createUpdate("INSERT INTO " + schema + ".webhook_subscriptions "
            + "(id, url, event_types, sealed_secret, state) VALUES (:id, :url, :types, :secret, 'ACTIVE')")
        .bind("id", id).bind("url", url.toString())
        .bind("types", eventTypes.toArray(String[]::new)).bind("secret", secretKey.seal(id, secret)).execute());
    return find(id).orElseThrow();
  }

  /** Deletes a subscription and its queue. @return false if there was none */
  public boolean unsubscribe(UUID id) {
    return jdbi.withHandle(h -> h.createUpdate("DELETE FROM " + schema + ".webhook_subscriptions "
        + "WHERE id = :id").bind("id", id).execute()) > 0;
  }

  /** A subscription, if it exists. */
  public Optional<WebhookSubscription> find(UUID id) {
    return jdbi.withHandle(h -> h.createQuery(selectSubscriptions + " WHERE s.id = :id")
        .bind("id", id).map((rs, ctx) -> subscription(rs)).findOne());
  }

  /** Every subscription, oldest first. */
  public List<WebhookSubscription> subscriptions() {
    return jdbi.withHandle(h -> h.createQuery(selectSubscriptions + " ORDER BY s.created_at, s.id")
        .map((rs, ctx) -> subscription(rs)).list());
  }

  /** The events waiting for a subscription, in delivery order (for a parked one: its dead letters). */
  public List<WebhookDelivery> pending(UUID subscription) {
    return jdbi.withHandle(h -> h.createQuery("SELECT seq, subscription_id, event_id, event_type, "
            + "position, body, created_at FROM " + schema + ".webhook_deliveries "
            + "WHERE subscription_id = :id ORDER BY seq")
        .bind("id", subscription)
        .map((rs, ctx) -> delivery(rs))
        .list());
  }

  /**
   * Makes a parked subscription active again: its waiting events are delivered, in order, from
   * the next dispatcher round on.
   *
   * @throws IllegalArgumentException if there is no such subscription
   */
  public void replay(UUID subscription) {
    int updated = jdbi.withHandle(h -> h.createUpdate("UPDATE " + schema + ".webhook_subscriptions "
            + "SET state = 'ACTIVE', failures = 0, failing_since = NULL, next_attempt_at = '-infinity' "
            + "WHERE id = :id").bind("id", subscription).execute());
    if (updated == 0) {
      throw new IllegalArgumentException("no webhook subscription " + subscription + " in schema " + schema);
    }
  }

  // ------------------------------------------------------------------ delivery

  /**
   * Starts the dispatcher thread ({@code webhooks-<name>-<node>}). Idempotent.
   *
   * @throws IllegalStateException if closed
   */
  public synchronized void start() {
    if (closed) {
      throw new IllegalStateException("webhooks " + name + " are closed");
    }
    if (dispatcher != null) {
      return;
    }
    dispatcher = new Thread(this::dispatch, "webhooks-" + name + "-" + node);
    dispatcher.setDaemon(true);
    dispatcher.start();
  }

  private void dispatch() {
    while (!closed) {
      boolean busy = false;
      try {
        busy = rounds.deliverRound() > 0;
      } catch (RuntimeException e) {
        InboxDelivery.LOG.log(System.Logger.Level.WARNING, "webhooks " + name
            + ": a delivery round failed; trying again", Redaction.redacted(e));
      }
      if (!busy && !Backoff.sleep(pollInterval, () -> !closed)) {
        return;
      }
    }
  }

  /** Stops the dispatcher after the request in flight, then closes its HTTP connections. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      closed = true;
      t = dispatcher;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(requestTimeout.toMillis() + 5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    rounds.close();
  }

  // ------------------------------------------------------------------ rows

  private static WebhookSubscription subscription(ResultSet rs) throws SQLException {
    Array types = rs.getArray("event_types");
    Set<String> eventTypes = new LinkedHashSet<>(Arrays.asList((String[]) types.getArray()));
    Instant next = instant(rs, "next_attempt_at");
    return new WebhookSubscription(rs.getObject("id", UUID.class), URI.create(rs.getString("url")),
        eventTypes, WebhookSubscription.State.valueOf(rs.getString("state")), instant(rs, "created_at"),
        rs.getLong("delivered"), rs.getLong("pending"), rs.getInt("failures"),
        Optional.ofNullable(instant(rs, "failing_since")), Optional.ofNullable(Redaction.redact(rs.getString("last_error"))),
        Optional.ofNullable(instant(rs, "last_attempt_at")), Optional.ofNullable(next));
  }

  /** A row of {@code webhook_deliveries}. */
  static WebhookDelivery delivery(ResultSet rs) throws SQLException {
    return new WebhookDelivery(rs.getLong("seq"), rs.getObject("subscription_id", UUID.class),
        rs.getObject("event_id", UUID.class), rs.getString("event_type"), rs.getLong("position"),
        rs.getString("body"), instant(rs, "created_at"));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    // The driver reads -infinity ("due at once") as OffsetDateTime.MIN: no particular instant.
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null || t.equals(OffsetDateTime.MIN) ? null : t.toInstant();
  }

  /** Configures {@link Webhooks}; each setter checks its value. */
  public static final class Builder {
    private final PostgresEventStore store;
    private final CloudEventMapper mapper;
    private String name = "webhooks";
    private boolean allowLoopback;
    private boolean allowPrivateNetworks;
    private boolean allowRedirects;
    private Backoff backoff = Backoff.of(Duration.ofSeconds(1), Duration.ofMinutes(5));
    private Duration parkAfter = Duration.ofHours(24);
    private Duration requestTimeout = Duration.ofSeconds(10);
    private Duration pollInterval = Duration.ofMillis(250);
    private String nodeId;
    private Clock clock = Clock.systemUTC();
    private WebhookSecretKey secretKey;

    private Builder(PostgresEventStore store, CloudEventMapper mapper) {
      this.store = store;
      this.mapper = mapper;
    }

    /** The projector's name ({@code [a-z][a-z0-9_]{0,40}}); {@code webhooks} by default. */
    public Builder name(String name) {
      Objects.requireNonNull(name, "name must not be null");
      if (!name.matches("[a-z][a-z0-9_]{0,40}")) {
        throw new IllegalArgumentException("invalid webhooks name '" + name + "': use a lower-case "
            + "letter followed by up to 40 lower-case letters, digits or underscores");
      }
      this.name = name;
      return this;
    }

    /**
     * Whether URLs on loopback addresses (127.0.0.0/8, ::1, and the unspecified 0.0.0.0 and ::,
     * which reach this host) are accepted; false by default.
     */
    public Builder allowLoopback(boolean allow) {
      this.allowLoopback = allow;
      return this;
    }

    /**
     * Whether URLs on private (10/8, 172.16/12, 192.168/16), link-local, shared (100.64/10) or
     * unique-local networks are accepted; false by default.
     */
    public Builder allowPrivateNetworks(boolean allow) {
      this.allowPrivateNetworks = allow;
      return this;
    }

    /** Whether redirects are followed (each target checked like the URL); false by default. */
    public Builder allowRedirects(boolean allow) {
      this.allowRedirects = allow;
      return this;
    }

    /**
     * The wait after a failed request: {@code first}, doubled per failure in a row up to
     * {@code max}; 1 s to 5 min by default.
     *
     * @throws IllegalArgumentException if {@code first} is not positive or {@code max} is shorter
     */
    public Builder retries(Duration first, Duration max) {
      this.backoff = Backoff.of(first, max);
      return this;
    }

    /** How long a subscription may fail without a success before it is parked; 24 h by default. */
    public Builder parkAfter(Duration duration) {
      this.parkAfter = Checks.positive(duration, "parkAfter");
      return this;
    }

    /** Timeout of one request, from connecting to the reply's headers; 10 s by default. */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = Checks.positive(timeout, "request timeout");
      return this;
    }

    /** How often the dispatcher looks for due subscriptions when idle; 250 ms by default. */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = Checks.positive(interval, "poll interval");
      return this;
    }

    /** This node's id for leases; random by default. */
    public Builder nodeId(String nodeId) {
      this.nodeId = Objects.requireNonNull(nodeId, "node id must not be null");
      return this;
    }

    /** The clock for signature timestamps; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      return this;
    }

    /**
     * The key subscription secrets are encrypted with at rest (required). Every node of the
     * application must use the same key; rotating it is not supported.
     */
    public Builder secretKey(WebhookSecretKey key) {
      this.secretKey = Objects.requireNonNull(key, "webhook secret key must not be null");
      return this;
    }

    /**
     * Installs the messaging tables in the store's schema if needed, encrypts secrets still
     * stored in plain text (subscriptions made before schema version 2) and builds.
     *
     * @throws IllegalStateException if no {@link #secretKey} was given, or the stored secrets
     *     were encrypted with another key
     * @throws dev.annals.postgres.SchemaException if installing fails
     */
    public Webhooks build() {
      if (secretKey == null) {
        throw new IllegalStateException("webhooks need a secretKey(...): subscription secrets are "
            + "stored encrypted with it; make one with WebhookSecretKey.generate(), keep it outside "
            + "the database and give every node the same");
      }
      MessagingSchema.install(store.dataSource(), store.schema());
      secretKey.sealPlainRows(store.jdbi(), store.schema());
      return new Webhooks(this);
    }
  }
}
