package dev.annals.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.AppendResult;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.internal.Redaction;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.core.TransactionOrderConflictException;
import dev.annals.core.internal.EventEncoding;
import dev.annals.postgres.internal.SqlErrors;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.SecretKey;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * The {@link EventStore} on PostgreSQL.
 *
 * <pre>{@code
 * PostgresEventStore store = PostgresEventStore.builder(registry)
 *     .jdbcUrl("jdbc:postgresql://127.0.0.1:5432/bank?user=bank")
 *     .schema("bank")
 *     .installSchema(true)
 *     .build();
 * }</pre>
 *
 * <p>An append is one statement, one round trip, atomic: a call of the SQL function {@code
 * append_events}, or for one event at an exact version of an existing stream a single update and
 * insert. Either checks the stream row first, so a losing writer fails fast with nothing written;
 * it then writes the events with their hash chain. Writers of different streams never wait for
 * each other. Appends that arrive together can share one statement and one commit ({@link
 * GroupCommit}, off by default), each with its own outcome.
 *
 * <p>After appends commit, a background thread sends at most one {@code NOTIFY} per interval
 * so that readers on other nodes wake up quickly; nothing is sent inside the append's
 * transaction (that would serialize all writers on a global lock).
 *
 * <p>Thread-safe. {@link #close()} stops the notifier and closes the pool if the store made it.
 */
public final class PostgresEventStore implements EventStore, AutoCloseable {

  private final EventRegistry registry;
  private final String schema;
  private final int maxEventSize;
  private final Notifications notifications;
  private final Connections connections;
  private final EventAppender appender;
  private final EventReads reads;
  private final Optional<SnapshotSigning> snapshotSigning;
  private final GroupCommit groupCommit;
  private final Optional<HorizonAdvancer> horizon;

  private PostgresEventStore(EventRegistry registry, String schema, int maxEventSize,
      Notifications notifications, Connections connections, Optional<SnapshotSigning> snapshotSigning,
      GroupCommit groupCommit, Optional<HorizonAdvancer> horizon) {
    this.registry = registry;
    this.schema = schema;
    this.maxEventSize = maxEventSize;
    this.notifications = notifications;
    this.connections = connections;
    this.groupCommit = groupCommit;
    this.appender = new EventAppender(registry, maxEventSize, schema, connections, notifications, groupCommit);
    this.reads = new EventReads(registry, schema, connections.jdbi());
    this.snapshotSigning = snapshotSigning;
    this.horizon = horizon;
  }

  private static PostgresEventStore pooled(Builder b, DataSource dataSource, Optional<HikariDataSource> ownedPool) {
    Notifications notifications = new Notifications(dataSource, b.schema, b.notifyInterval);
    return new PostgresEventStore(b.registry, b.schema, b.maxEventSize, notifications,
        new Connections.Pooled(dataSource, ownedPool, notifications), Optional.ofNullable(b.snapshotSigning),
        b.groupCommit, b.horizonLag.isZero() ? Optional.empty()
            : Optional.of(new HorizonAdvancer(dataSource, b.schema, b.horizonLag)));
  }

  /**
   * This store inside a transaction the caller holds on {@code handle}: appends and reads run on
   * the handle's connection and commit or roll back with the caller's other work, such as an
   * inbox record, so a message and the events it caused are stored together or not at all.
   *
   * <p>For that transaction's lifetime only, on its thread. Appends in it take their stream's
   * lock until it ends, so keep it short. An append that finds its stream last written by a
   * younger transaction throws the retryable {@link TransactionOrderConflictException} at once
   * (the caller retries in a new transaction); an event id stored before gives the original
   * result, as outside a transaction.
   *
   * @throws IllegalStateException if the handle is not in a transaction
   */
  public EventStore joining(Handle handle) {
    Objects.requireNonNull(handle, "handle must not be null");
    if (!handle.isInTransaction()) {
      throw new IllegalStateException("joining(handle) needs a handle in a transaction "
          + "(jdbi.inTransaction or handle.begin()); outside one, use the store itself");
    }
    return new PostgresEventStore(registry, schema, maxEventSize, notifications,
        Connections.Joined.on(handle.getConnection()), snapshotSigning, groupCommit, horizon);
  }

  /** Starts configuring a store that serializes with {@code registry}. */
  public static Builder builder(EventRegistry registry) {
    return new Builder(registry);
  }

  @Override
  public EventRegistry registry() {
    return registry;
  }

  /** The schema holding the store's tables. */
  public String schema() {
    return schema;
  }

  /**
   * The Jdbi instance over the store's pool, for read models in the same database and for the
   * transactions that {@link #joining} takes part in; prefer {@link #withHandle} for queries, as it
   * translates database failures.
   */
  public Jdbi jdbi() {
    return connections.jdbi();
  }

  /**
   * Runs {@code callback} on a handle of the store's pool, for a read model's queries and other
   * work in the same database, and turns database failures into the store's exceptions: a
   * PostgreSQL that cannot be reached becomes the retryable {@link StoreUnavailableException},
   * as it does for appends and reads of the log. Other exceptions of the callback pass unchanged.
   *
   * @param operation what the callback does, for the message (such as "read the balances view")
   * @throws X what the callback throws
   */
  public <R, X extends Exception> R withHandle(String operation, HandleCallback<R, X> callback) throws X {
    Objects.requireNonNull(operation, "operation must not be null");
    Objects.requireNonNull(callback, "callback must not be null");
    try {
      return connections.jdbi().withHandle(callback);
    } catch (org.jdbi.v3.core.JdbiException e) {
      // Only database failures: the callback's own exceptions pass as they are.
      throw SqlErrors.translate(operation, schema, e);
    }
  }

  /** The store's data source (the pool). */
  public DataSource dataSource() {
    return connections.dataSource();
  }

  /**
   * A new gap-safe reader of the log. Each consumer thread should use its own. The first call
   * starts the horizon advancer ({@link Builder#horizonLag}).
   */
  public LogReader logReader() {
    horizon.ifPresent(HorizonAdvancer::start);
    return new LogReader(connections.jdbi(), schema, notifications);
  }

  /** A snapshot store in the same schema and pool, signing with {@link Builder#snapshotSigning}'s key if given. */
  public PostgresSnapshotStore snapshotStore() {
    return new PostgresSnapshotStore(connections.jdbi(), schema, snapshotSigning);
  }

  /** The auditor's check of stored snapshots against a replay of their streams (and their signatures). */
  public SnapshotVerifier snapshotVerifier() {
    return new SnapshotVerifier(this, snapshotSigning);
  }

  /** The tamper-evidence verifier for this store's hash chains. */
  public IntegrityVerifier integrityVerifier() {
    return new IntegrityVerifier(connections.dataSource(), schema);
  }

  /**
   * A store over the same database that decodes with another registry (as a newer version of
   * the application would), sharing this store's pool.
   */
  public PostgresEventStore withRegistry(EventRegistry other) {
    Builder b = new Builder(other.subjectKeys().isEmpty() && registry.subjectKeys().isPresent()
        ? other.withSubjectKeys(registry.subjectKeys().get()) : other);
    b.schema = schema;
    b.maxEventSize = maxEventSize;
    b.notifyInterval = Duration.ZERO;
    b.snapshotSigning = snapshotSigning.orElse(null);
    b.groupCommit = groupCommit;
    return pooled(b, connections.dataSource(), Optional.empty());
  }

  @Override
  public AppendResult append(StreamId streamId, ExpectedVersion expected, List<NewEvent> events) {
    Objects.requireNonNull(expected, "expected version must not be null");
    return appender.append(streamId, expected, events);
  }

  @Override
  public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int limit) {
    return reads.readStream(streamId, fromVersion, limit);
  }

  /** Reads five narrow columns per event instead of the whole row, and decodes no metadata. */
  @Override
  public List<Object> readPayloads(StreamId streamId, long fromVersion, int limit) {
    return reads.readPayloads(streamId, fromVersion, limit);
  }

  @Override
  public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int limit) {
    return reads.readStreamBackward(streamId, fromVersion, limit);
  }

  @Override
  public List<RecordedEvent> readAll(long afterPosition, int limit, LogFilter filter) {
    return reads.readAll(afterPosition, limit, filter);
  }

  @Override
  public Optional<RecordedEvent> readEvent(UUID eventId) {
    return reads.readEvent(eventId);
  }

  @Override
  public long headPosition() {
    return reads.headPosition();
  }

  @Override
  public long streamVersion(StreamId streamId) {
    return reads.streamVersion(streamId);
  }

  /** The group committer, when appends are grouped; for tests. */
  Optional<GroupCommitter<EventAppender.Batch, AppendSql.Outcome>> groupCommitter() {
    return appender.groups();
  }

  /** The horizon advancer, when there is one; for tests. */
  Optional<HorizonAdvancer> horizonAdvancer() {
    return horizon;
  }

  /**
   * Stops the notifier and the horizon advancer, and closes the pool if the store made it. A
   * store made by {@link #joining} closes nothing.
   */
  @Override
  public void close() {
    if (connections instanceof Connections.Pooled) {
      horizon.ifPresent(HorizonAdvancer::close);
    }
    connections.close();
  }

  /** Checked settings of a {@link PostgresEventStore}; {@link #build()} connects and checks the schema. */
  public static final class Builder {
    private EventRegistry registry;
    private String jdbcUrl;
    private String username;
    private String password;
    private DataSource dataSource;
    private int poolSize = 10;
    private String schema = "annals";
    private int maxEventSize = EventEncoding.DEFAULT_MAX_EVENT_SIZE;
    private boolean installSchema;
    private Duration notifyInterval = Duration.ofMillis(20);
    private Duration connectionTimeout = Duration.ofSeconds(10);
    private boolean poolSizeSet;
    private SnapshotSigning snapshotSigning;
    private GroupCommit groupCommit = GroupCommit.off();
    private Duration horizonLag = Duration.ofMillis(300);
    private SecretKey masterKey;
    private boolean encrypt;
    private Duration subjectKeyCache = Duration.ofMinutes(1);

    private Builder(EventRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry must not be null");
    }

    /** Connect with a pool of its own to this JDBC URL ({@code jdbc:postgresql://...}). */
    public Builder jdbcUrl(String url) {
      Objects.requireNonNull(url, "jdbcUrl must not be null");
      if (!url.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:, was " + Redaction.redact(url));
      }
      if (dataSource != null) {
        throw new IllegalStateException("a dataSource was already set; use either jdbcUrl or dataSource");
      }
      this.jdbcUrl = url;
      return this;
    }

    /** User and password for {@link #jdbcUrl}, if not in the URL. */
    public Builder credentials(String username, String password) {
      this.username = Objects.requireNonNull(username, "username must not be null");
      this.password = password;
      return this;
    }

    /** Use this data source (ideally pooled) instead of a pool of the store's own. */
    public Builder dataSource(DataSource dataSource) {
      Objects.requireNonNull(dataSource, "dataSource must not be null");
      if (jdbcUrl != null) {
        throw new IllegalStateException("a jdbcUrl was already set; use either jdbcUrl or dataSource");
      }
      this.dataSource = dataSource;
      return this;
    }

    /** Size of the store's own pool (with {@link #jdbcUrl}); 10 by default. */
    public Builder poolSize(int connections) {
      if (connections < 2) {
        throw new IllegalArgumentException("poolSize must be 2 or more (readers listen on one), was "
            + connections);
      }
      this.poolSize = connections;
      this.poolSizeSet = true;
      return this;
    }

    /** The schema holding the tables; {@code annals} by default. */
    public Builder schema(String schema) {
      this.schema = PostgresSchema.checkName(schema);
      return this;
    }

    /** Largest serialized event (payload plus metadata) in bytes; 1 MiB by default. */
    public Builder maxEventSize(int bytes) {
      if (bytes < 1 || bytes > 256 * 1024 * 1024) {
        throw new IllegalArgumentException("maxEventSize must be 1 byte to 256 MiB, was " + bytes);
      }
      this.maxEventSize = bytes;
      return this;
    }

    /**
     * Whether {@link #build()} installs or upgrades the schema (under an advisory lock); by
     * default it only checks it and fails with instructions when it is missing.
     */
    public Builder installSchema(boolean install) {
      this.installSchema = install;
      return this;
    }

    /**
     * How often at most a {@code NOTIFY} wakes readers after appends; 20 ms by default,
     * {@link Duration#ZERO} to send none (readers then find new events by polling alone).
     */
    public Builder notifyInterval(Duration interval) {
      Objects.requireNonNull(interval, "notifyInterval must not be null");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("notifyInterval must not be negative, was " + interval);
      }
      this.notifyInterval = interval;
      return this;
    }

    /** How long to wait for a pooled connection; 10 s by default. */
    public Builder connectionTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "connectionTimeout must not be null");
      if (timeout.toMillis() < 250) {
        throw new IllegalArgumentException("connectionTimeout must be 250 ms or more, was " + timeout);
      }
      this.connectionTimeout = timeout;
      return this;
    }

    /**
     * Signs the snapshots of {@link PostgresEventStore#snapshotStore()} with {@code signing}; a
     * snapshot without a valid signature is then refused on load, and the events replayed. Every
     * node of a schema needs the same key.
     */
    public Builder snapshotSigning(SnapshotSigning signing) {
      this.snapshotSigning = Objects.requireNonNull(signing, "snapshot signing must not be null");
      return this;
    }

    /**
     * How far the horizon fence trails the newest transaction ids; 300 ms by default, 10 ms to
     * 1 min, or {@link Duration#ZERO} for no fence. While a transaction that never appends to
     * this store stays open (in any database of the cluster), readers trail the newest commits by
     * about this much instead of waiting for it to end; without a fence they wait. The price: an
     * append whose transaction took its id longer than this before appending (it wrote other
     * tables first, in {@link PostgresEventStore#joining}) is refused with the retryable {@link
     * TransactionOrderConflictException} when the fence has passed its id (docs/postgres.md, "The
     * horizon"). Every store and node of a schema should use the same setting.
     */
    public Builder horizonLag(Duration lag) {
      Objects.requireNonNull(lag, "horizonLag must not be null");
      if (!lag.isZero() && (lag.toMillis() < 10 || lag.compareTo(Duration.ofMinutes(1)) > 0)) {
        throw new IllegalArgumentException("horizonLag must be zero (no fence) or 10 ms to 1 min, was " + lag);
      }
      this.horizonLag = lag;
      return this;
    }

    /**
     * Whether and how concurrent appends outside a caller's transaction share a transaction;
     * off unless set ({@link GroupCommit#defaults()} turns it on with its recommended settings:
     * with the horizon fence of schema version 8 a group measured far slower than its appends
     * alone, see docs/performance.md). Appends in a caller's transaction ({@link
     * PostgresEventStore#joining}) are never grouped.
     */
    /**
     * Encrypts the personal data that the registry's event types declare ({@link
     * dev.annals.core.PersonalData}) with a key per subject, kept in the schema's {@code
     * subject_keys} table ({@link PostgresSubjectKeys}) and wrapped by {@code masterKey}, a
     * 256-bit AES key the application holds outside the database. Without the master key the
     * stored keys cannot be used: keep it safe, and back it up apart from the database.
     *
     * @throws IllegalArgumentException if the key is not a 256-bit AES key
     */
    public Builder encryptPersonalData(SecretKey masterKey) {
      checkEncryptionUnset();
      this.masterKey = PostgresSubjectKeys.checkMasterKey(masterKey);
      this.encrypt = true;
      return this;
    }

    /**
     * Encrypts personal data as {@link #encryptPersonalData(SecretKey)} does, but stores the
     * subjects' keys unwrapped: anyone who can read the table can read the data.
     */
    public Builder encryptPersonalDataWithoutMasterKey() {
      checkEncryptionUnset();
      this.encrypt = true;
      return this;
    }

    /**
     * How long a subject's key stays cached after it was read; one minute by default. A subject
     * forgotten on another node stays readable here for at most this long.
     */
    public Builder subjectKeyCache(Duration duration) {
      Objects.requireNonNull(duration, "subjectKeyCache must not be null");
      if (duration.isNegative() || duration.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("subjectKeyCache must be zero to one hour, was " + duration);
      }
      this.subjectKeyCache = duration;
      return this;
    }

    private void checkEncryptionUnset() {
      if (encrypt) {
        throw new IllegalStateException("personal-data encryption was already configured");
      }
      if (registry.subjectKeys().isPresent()) {
        throw new IllegalStateException("the registry is bound to subject keys already; "
            + "encrypting with the store's keys would use others");
      }
    }

    public Builder groupCommit(GroupCommit settings) {
      this.groupCommit = Objects.requireNonNull(settings, "groupCommit must not be null");
      return this;
    }

    /**
     * Connects, installs or checks the schema, and starts the notifier.
     *
     * @throws IllegalStateException if neither a jdbcUrl nor a dataSource was given
     * @throws SchemaException if the schema is missing or of another version
     * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
     */
    public PostgresEventStore build() {
      if (jdbcUrl == null && dataSource == null) {
        throw new IllegalStateException("set jdbcUrl(...) or dataSource(...) before build()");
      }
      if (dataSource != null && poolSizeSet) {
        throw new IllegalStateException("poolSize applies only to the store's own pool (jdbcUrl); "
            + "size the pool of the given dataSource instead");
      }
      HikariDataSource pool = null;
      DataSource ds = dataSource;
      if (ds == null) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        if (username != null) {
          config.setUsername(username);
          config.setPassword(password);
        }
        config.setMaximumPoolSize(poolSize);
        config.setPoolName("annals-" + schema);
        config.setConnectionTimeout(connectionTimeout.toMillis());
        config.setInitializationFailTimeout(connectionTimeout.toMillis());
        try {
          pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
          throw SqlErrors.translate("connect to " + Redaction.redact(jdbcUrl),
              schema, e);
        }
        ds = pool;
      }
      try {
        if (installSchema) {
          PostgresSchema.install(ds, schema);
        } else {
          PostgresSchema.check(ds, schema);
        }
        PostgresSchema.checkTransactionIds(ds, schema);
        if (encrypt) {
          registry = registry.withSubjectKeys(new PostgresSubjectKeys(ds, schema,
              Optional.ofNullable(masterKey), subjectKeyCache));
        } else if (registry.declaresPersonalData() && registry.subjectKeys().isEmpty()) {
          throw new IllegalStateException("the registry declares personal data, which must not be "
              + "stored in plain text: call encryptPersonalData(masterKey) (or bind the registry to "
              + "subject keys)");
        }
        return pooled(this, ds, Optional.ofNullable(pool));
      } catch (RuntimeException e) {
        if (pool != null) {
          pool.close();
        }
        throw e;
      }
    }
  }
}
