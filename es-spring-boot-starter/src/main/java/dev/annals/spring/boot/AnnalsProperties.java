package dev.annals.spring.boot;

import dev.annals.postgres.PostgresSchema;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The starter's settings, under {@code annals}. Bound once at start-up and checked as they are
 * bound: a bad value stops the application with a message naming the property.
 *
 * @param store The event and snapshot stores and their schema
 * @param repositories The settings every auto-configured repository shares
 * @param projections The projection runner
 * @param health When projectors and publishers count as unhealthy
 * @param publishers Publishers of the log to message sinks, by publisher name
 */
@ConfigurationProperties("annals")
public record AnnalsProperties(@DefaultValue Store store, @DefaultValue Repositories repositories,
    @DefaultValue Projections projections, @DefaultValue Health health, Map<String, Publisher> publishers) {

  /** Nulls become defaults; publisher names are checked like projector names. */
  public AnnalsProperties {
    publishers = publishers == null ? Map.of() : Map.copyOf(publishers);
    for (String name : publishers.keySet()) {
      if (!name.matches("[a-z][a-z0-9_]{0,40}")) {
        throw new IllegalArgumentException("annals.publishers." + name + ": a publisher name must be a lower-case "
            + "letter followed by up to 40 lower-case letters, digits or underscores (it names the checkpoint)");
      }
    }
  }

  /**
   * The event and snapshot stores, on the application's {@code DataSource}.
   *
   * @param schema The PostgreSQL schema holding the tables
   * @param installSchema Whether start-up installs or upgrades the tables (under an advisory lock);
   *     when false it only checks them and fails saying what to run
   * @param notifyInterval How often at most a NOTIFY wakes readers after appends; 0 for none
   * @param maxEventSize The largest serialized event (payload and metadata)
   * @param owner The login that installs the tables, when the application's own login must not
   *     own them
   * @param applicationRole The role granted what the stores and projectors need after the owner
   *     installed the tables; usually the application's login
   * @param horizonLag How far the horizon fence trails the newest transaction ids, 10ms to 1m, or
   *     0 for no fence: while a transaction that never appends stays open, readers trail the
   *     newest commits by about this much instead of waiting for it (docs/postgres.md, "The
   *     horizon"). Every node of a schema should use the same value
   * @param groupCommit Whether concurrent appends share a transaction; off by default
   * @param personalData How the personal data the registry declares is encrypted
   */
  public record Store(@DefaultValue("annals") String schema, @DefaultValue("true") boolean installSchema,
      @DefaultValue("20ms") Duration notifyInterval, @DefaultValue("1MB") DataSize maxEventSize,
      @DefaultValue Owner owner, String applicationRole, @DefaultValue("300ms") Duration horizonLag,
      @DefaultValue GroupCommit groupCommit, @DefaultValue PersonalDataKeys personalData) {

    /** Checks the names and sizes. */
    public Store {
      if (!horizonLag.isZero() && (horizonLag.toMillis() < 10 || horizonLag.compareTo(Duration.ofMinutes(1)) > 0)) {
        throw new IllegalArgumentException("annals.store.horizon-lag must be 0 (no fence) or 10ms to 1m, was "
            + horizonLag);
      }
      try {
        PostgresSchema.checkName(schema);
      } catch (IllegalArgumentException e) {
        // The library's message, named for the property; its own trace adds nothing.
        throw new IllegalArgumentException("annals.store.schema: " + e.getMessage());
      }
      if (notifyInterval.isNegative()) {
        throw new IllegalArgumentException("annals.store.notify-interval must not be negative, was " + notifyInterval);
      }
      if (maxEventSize.toBytes() < 1 || maxEventSize.toBytes() > 256L * 1024 * 1024) {
        throw new IllegalArgumentException("annals.store.max-event-size must be 1B to 256MB, was " + maxEventSize);
      }
      if (applicationRole != null) {
        checkRole("annals.store.application-role", applicationRole);
        if (!owner.isSet()) {
          throw new IllegalArgumentException("annals.store.application-role (" + applicationRole + ") is granted by "
              + "the owner: set annals.store.owner.url, .username or .role too");
        }
        if (!installSchema) {
          throw new IllegalArgumentException("annals.store.application-role (" + applicationRole + ") is granted "
              + "after installing the schema: set annals.store.install-schema=true too");
        }
      }
    }

    /** The application role, if set. */
    public Optional<String> applicationRoleName() {
      return Optional.ofNullable(applicationRole);
    }
  }

  /**
   * Group commit of the event store (es-postgres {@code GroupCommit}): appends outside a caller's
   * transaction that arrive while a group is being written share one transaction. Off by default:
   * with the horizon fence a group measured slower than its appends alone (docs/performance.md).
   *
   * @param enabled Whether appends are grouped at all
   * @param maxWait How long a group may wait for more appends when none is in flight, 0 to 10ms
   * @param maxGroup The most appends in one group, 1 to 10000
   * @param maxInFlight How many groups may be written at once, each on its own connection, 1 to 64
   */
  public record GroupCommit(@DefaultValue("false") boolean enabled, @DefaultValue("0ms") Duration maxWait,
      @DefaultValue("64") int maxGroup, @DefaultValue("1") int maxInFlight) {

    /** Checks the ranges the store accepts. */
    public GroupCommit {
      try {
        settings(maxWait, maxGroup, maxInFlight);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("annals.store.group-commit: " + e.getMessage());
      }
    }

    /** The store's setting: {@code GroupCommit.off()} unless enabled. */
    public dev.annals.postgres.GroupCommit toStoreSetting() {
      return enabled ? settings(maxWait, maxGroup, maxInFlight) : dev.annals.postgres.GroupCommit.off();
    }

    private static dev.annals.postgres.GroupCommit settings(Duration maxWait, int maxGroup, int maxInFlight) {
      return dev.annals.postgres.GroupCommit.of(maxWait, maxGroup, maxInFlight);
    }
  }

  /**
   * The owner's login, used only to install the tables and grant the application role (see
   * docs/postgres.md, "Owner and application roles").
   *
   * @param url Its JDBC URL; {@code spring.datasource.url} when not set
   * @param username Its user, if not in the URL
   * @param password Its password, if not in the URL; never logged
   * @param role A role to act as after logging in ({@code SET ROLE}), such as a NOLOGIN owner
   */
  public record Owner(String url, String username, String password, String role) {

    /** Checks the URL and role name. */
    public Owner {
      if (url != null && !url.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("annals.store.owner.url must start with jdbc:postgresql:");
      }
      if (role != null) {
        checkRole("annals.store.owner.role", role);
      }
    }

    /** Whether any owner setting is given, so that the owner installs the tables. */
    public boolean isSet() {
      return url != null || username != null || role != null;
    }

    @Override
    public String toString() {
      // The record's own would print the password, and a URL may hold one too.
      return "Owner[url=" + (url == null ? "unset" : "set") + ", username=" + username + ", password="
          + (password == null ? "unset" : "****") + ", role=" + role + "]";
    }
  }

  /**
   * The encryption of the personal data the registry's event types declare (es-core {@code
   * PersonalData}, docs/compliance.md): required when it declares any, ignored otherwise.
   *
   * @param masterKey The 256-bit AES master key wrapping the subjects' keys, in base64; never
   *     logged or shown
   * @param withoutMasterKey Whether the subjects' keys are stored unwrapped instead (anyone who
   *     can read the schema can read the data)
   */
  public record PersonalDataKeys(String masterKey, @DefaultValue("false") boolean withoutMasterKey) {

    /** Checks that at most one is set and that the key is a 256-bit key, without saying it. */
    public PersonalDataKeys {
      if (masterKey != null && withoutMasterKey) {
        throw new IllegalArgumentException("annals.store.personal-data.master-key and "
            + "annals.store.personal-data.without-master-key=true exclude each other: set one");
      }
      if (masterKey != null) {
        decode(masterKey);
      }
    }

    /** The master key, if set. */
    public Optional<SecretKey> key() {
      return Optional.ofNullable(masterKey).map(PersonalDataKeys::decode);
    }

    private static SecretKey decode(String base64) {
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(base64.strip());
      } catch (IllegalArgumentException e) {
        // Not chained: the decoder's message may quote the offending character of the key.
        throw new IllegalArgumentException("annals.store.personal-data.master-key must be base64 (of 32 bytes)");
      }
      if (bytes.length != 32) {
        throw new IllegalArgumentException("annals.store.personal-data.master-key must be 32 bytes (256 bits) "
            + "in base64, was " + bytes.length + " bytes");
      }
      return new SecretKeySpec(bytes, "AES");
    }

    @Override
    public String toString() {
      // The record's own would print the key.
      return "PersonalDataKeys[masterKey=" + (masterKey == null ? "unset" : "****") + ", withoutMasterKey="
          + withoutMasterKey + "]";
    }
  }

  /**
   * What every auto-configured {@code AggregateRepository} shares.
   *
   * @param cacheSize How many aggregate states each keeps cached; 0 disables the cache
   * @param maxAttempts How many times a command is decided before a conflict is given up
   */
  public record Repositories(@DefaultValue("10000") long cacheSize, @DefaultValue("5") int maxAttempts) {

    /** Checks the ranges. */
    public Repositories {
      if (cacheSize < 0) {
        throw new IllegalArgumentException("annals.repositories.cache-size must be 0 or more, was " + cacheSize);
      }
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("annals.repositories.max-attempts must be 1 or more, was " + maxAttempts);
      }
    }
  }

  /**
   * The projection runner of the {@code Projector} beans and configured publishers.
   *
   * @param autoStart Whether the projectors start with the application context (and stop with it)
   * @param nodeId This node's id in projector ownership; random when not set. Two live nodes must
   *     never share one
   * @param leaseDuration How long a claim on a partition lasts without renewal
   * @param pollMin The shortest wait of an idle partition before reading again
   * @param pollMax The longest wait of an idle partition before reading again
   * @param idleTransactionTimeout How long a batch transaction may sit idle before PostgreSQL ends it
   */
  public record Projections(@DefaultValue("true") boolean autoStart, String nodeId,
      @DefaultValue("10s") Duration leaseDuration, @DefaultValue("10ms") Duration pollMin,
      @DefaultValue("500ms") Duration pollMax, @DefaultValue("1m") Duration idleTransactionTimeout) {

    /** Checks the ranges the runner accepts. */
    public Projections {
      if (nodeId != null && (nodeId.isBlank() || nodeId.length() > 100)) {
        throw new IllegalArgumentException("annals.projections.node-id must be 1 to 100 characters and not blank, was '"
            + nodeId + "'");
      }
      if (leaseDuration.toMillis() < 200 || leaseDuration.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("annals.projections.lease-duration must be 200ms to 10m, was "
            + leaseDuration);
      }
      if (pollMin.toMillis() < 1 || pollMax.compareTo(pollMin) < 0 || pollMax.compareTo(Duration.ofMinutes(1)) > 0) {
        throw new IllegalArgumentException("annals.projections.poll-min and poll-max must satisfy "
            + "1ms <= poll-min <= poll-max <= 1m, were " + pollMin + " and " + pollMax);
      }
      if (idleTransactionTimeout.toMillis() < 1000 || idleTransactionTimeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("annals.projections.idle-transaction-timeout must be 1s to 1h, was "
            + idleTransactionTimeout);
      }
    }
  }

  /**
   * When a projector or publisher is reported unhealthy.
   *
   * @param maxLag Out of service when the oldest waiting event is older than this
   * @param maxLagEvents Out of service when more events than this wait (the status' estimate)
   * @param failureWindow Down when an error was recorded this recently and events still wait
   */
  public record Health(@DefaultValue("10000") long maxLagEvents, @DefaultValue("5m") Duration maxLag,
      @DefaultValue("1m") Duration failureWindow) {

    /** Checks the ranges. */
    public Health {
      if (maxLagEvents < 0) {
        throw new IllegalArgumentException("annals.health.max-lag-events must be 0 or more, was " + maxLagEvents);
      }
      if (maxLag.isNegative()) {
        throw new IllegalArgumentException("annals.health.max-lag must not be negative, was " + maxLag);
      }
      if (failureWindow.isNegative()) {
        throw new IllegalArgumentException("annals.health.failure-window must not be negative, was " + failureWindow);
      }
    }
  }

  /**
   * A publisher of the log to a message sink (es-messaging), run as a projector.
   *
   * @param sink The name of the {@code MessageSink} bean it sends to
   * @param source The CloudEvents {@code source} of what it sends, such as {@code urn:bank:accounts}
   * @param categories The stream categories it publishes; all when empty
   * @param types The event types it publishes; all when empty
   * @param partitions Into how many partitions (by stream) the work is split
   * @param batchSize Most events per send
   */
  public record Publisher(String sink, String source, List<String> categories, List<String> types,
      @DefaultValue("1") int partitions, @DefaultValue("500") int batchSize) {

    /** Sink and source are required. */
    public Publisher {
      Objects.requireNonNull(sink, "sink: name the MessageSink bean to publish to");
      Objects.requireNonNull(source, "source: the CloudEvents source, such as urn:bank:accounts");
      categories = categories == null ? List.of() : List.copyOf(categories);
      types = types == null ? List.of() : List.copyOf(types);
      if (partitions < 1 || partitions > 256) {
        throw new IllegalArgumentException("partitions must be 1 to 256, was " + partitions);
      }
      if (batchSize < 1 || batchSize > 10_000) {
        throw new IllegalArgumentException("batch-size must be 1 to 10000, was " + batchSize);
      }
    }
  }

  private static void checkRole(String property, String role) {
    try {
      PostgresSchema.checkName(role);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(property + " '" + role + "' is not a valid role name: use 1 to 63 "
          + "lower-case letters, digits or underscores, starting with a letter or underscore");
    }
    if (role.equals("public")) {
      throw new IllegalArgumentException(property + " must not be public");
    }
  }
}
