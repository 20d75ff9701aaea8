package dev.annals.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.AppendResult;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.DuplicateEventIdException;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.RecordedEvent;
import dev.annals.core.Redaction;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.core.TransactionOrderConflictException;
import dev.annals.core.internal.EventEncoding;
import dev.annals.core.internal.EventEncoding.EncodedEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;

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
 * <p>An append is one call of the SQL function {@code append_events}: one round trip, one
 * statement, atomic. It locks and checks the stream row first, so a losing writer fails fast
 * with nothing written and no position used; it then writes the events with their hash chain.
 * Writers of different streams never wait for each other.
 *
 * <p>After appends commit, a background thread sends at most one {@code NOTIFY} per interval
 * so that readers on other nodes wake up quickly; nothing is sent inside the append's
 * transaction (that would serialize all writers on a global lock).
 *
 * <p>Thread-safe. {@link #close()} stops the notifier and closes the pool if the store made it.
 */
public final class PostgresEventStore implements EventStore, AutoCloseable {

  private static final int ORDER_CONFLICT_RETRIES = 5;
  /** A text[] parameter made jsonb[] element by element (see the constructor). */
  private static final String JSONB_ARRAY =
      "(SELECT array_agg(CAST(j AS jsonb) ORDER BY o) FROM unnest(CAST(? AS text[])) WITH ORDINALITY AS t(j, o))";

  private final EventRegistry registry;
  private final DataSource dataSource;
  private final HikariDataSource ownedPool;
  private final Jdbi jdbi;
  private final String schema;
  private final int maxEventSize;
  private final Notifications notifications;
  private final String appendSql;
  private final String appendOneSql;
  /** Set on a view from {@link #joining}: the caller's open transaction, never committed here. */
  private final boolean joined;

  private PostgresEventStore(Builder b, DataSource dataSource, HikariDataSource ownedPool) {
    this.registry = b.registry;
    this.dataSource = dataSource;
    this.ownedPool = ownedPool;
    this.jdbi = Jdbi.create(dataSource);
    this.schema = b.schema;
    this.maxEventSize = b.maxEventSize;
    this.notifications = new Notifications(dataSource, schema, b.notifyInterval);
    // Payloads travel as text[] and become jsonb one element at a time: a cast of the whole
    // text[] to jsonb[] measured several times slower per element than unnest and array_agg.
    // The function is called in the select list and its record read as text, "(0,7,7,42,42)":
    // a call in FROM goes through a function scan that measured a tenth more per append.
    this.appendSql = "SELECT " + schema + ".append_events(?, ?, ?, ?, ?, ?, " + JSONB_ARRAY + ", "
        + JSONB_ARRAY + ", ?)::text";
    // Most commands produce one event for a stream at the version they loaded. That append is
    // one statement, no function: the update of the stream row checks the version and the
    // transaction order and computes the hash-chain link (chain_hash() written out, with the
    // time taken once for link and row), and the insert stores the event with that link. When
    // the update finds nothing to change, nothing is written and append_events gives the answer.
    this.appendOneSql = "WITH s AS (UPDATE " + schema + ".streams AS st SET version = st.version + 1, "
        + "head_hash = sha256(st.head_hash || ? || int8send(st.version + 1) || timestamptz_send(x.now)), "
        + "last_xid = pg_current_xact_id() FROM (SELECT clock_timestamp() AS now) AS x "
        + "WHERE st.stream_id = ? AND st.version = ? AND st.last_xid <= pg_current_xact_id() "
        + "RETURNING st.version, st.head_hash, x.now) "
        + "INSERT INTO " + schema + ".events (stream_id, category, version, event_id, type, schema_version, "
        + "payload, metadata, recorded_at, hash) SELECT ?, ?, s.version, CAST(? AS uuid), ?, ?, "
        + "CAST(? AS jsonb), CAST(? AS jsonb), s.now, s.head_hash FROM s RETURNING version, position";
    this.joined = false;
  }

  /** A view of {@code store} whose every statement runs on {@code connection}, in its transaction. */
  private PostgresEventStore(PostgresEventStore store, Connection connection) {
    this.registry = store.registry;
    this.dataSource = JoinedConnection.dataSource(connection);
    this.ownedPool = null;
    this.jdbi = Jdbi.create(dataSource);
    // The caller owns the transaction: closing a handle of this view must neither commit nor
    // roll back what it holds open.
    jdbi.getConfig(org.jdbi.v3.core.Handles.class).setForceEndTransactions(false);
    this.schema = store.schema;
    this.maxEventSize = store.maxEventSize;
    this.notifications = store.notifications;
    this.appendSql = store.appendSql;
    this.appendOneSql = store.appendOneSql;
    this.joined = true;
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
    return new PostgresEventStore(this, handle.getConnection());
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

  /** The Jdbi instance over the store's pool, for read models in the same database. */
  public Jdbi jdbi() {
    return jdbi;
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
      return jdbi.withHandle(callback);
    } catch (org.jdbi.v3.core.JdbiException e) {
      // Only database failures: the callback's own exceptions pass as they are.
      throw SqlErrors.translate(operation, schema, e);
    }
  }

  /** The store's data source (the pool). */
  public DataSource dataSource() {
    return dataSource;
  }

  /** A new gap-safe reader of the log. Each consumer thread should use its own. */
  public LogReader logReader() {
    return new LogReader(jdbi, schema, notifications);
  }

  /** A snapshot store in the same schema and pool. */
  public PostgresSnapshotStore snapshotStore() {
    return new PostgresSnapshotStore(jdbi, schema);
  }

  /** The tamper-evidence verifier for this store's hash chains. */
  public IntegrityVerifier integrityVerifier() {
    return new IntegrityVerifier(dataSource, schema);
  }

  /**
   * A store over the same database that decodes with another registry (as a newer version of
   * the application would), sharing this store's pool.
   */
  public PostgresEventStore withRegistry(EventRegistry other) {
    Builder b = new Builder(other);
    b.schema = schema;
    b.maxEventSize = maxEventSize;
    b.notifyInterval = Duration.ZERO;
    return new PostgresEventStore(b, dataSource, null);
  }

  @Override
  public AppendResult append(StreamId streamId, ExpectedVersion expected, List<NewEvent> events) {
    Objects.requireNonNull(expected, "expected version must not be null");
    List<EncodedEvent> encoded = EventEncoding.encode(registry, streamId, events, maxEventSize);
    long expectedCode = expectedCode(expected);
    int n = encoded.size();
    UUID[] ids = new UUID[n];
    String[] types = new String[n];
    Integer[] versions = new Integer[n];
    String[] payloads = new String[n];
    String[] metadata = new String[n];
    byte[][] digests = new byte[n][];
    String stream = streamId.toString();
    for (int i = 0; i < n; i++) {
      EncodedEvent e = encoded.get(i);
      ids[i] = e.eventId();
      types[i] = e.type();
      versions[i] = e.schemaVersion();
      payloads[i] = e.payload();
      metadata[i] = e.metadata();
      // Computed here, on the application's cores, so the database only chains 32-byte digests.
      digests[i] = ContentDigest.of(stream, e.eventId().toString(), e.type(), e.schemaVersion(),
          e.payload(), e.metadata());
    }
    // One event at an exact version of an existing stream takes the single statement.
    boolean single = n == 1 && expectedCode >= 1;
    for (int attempt = 1; ; attempt++) {
      long[] row;
      // Plain JDBC on the hottest path: prepared statements, which the driver keeps server-side
      // prepared per connection, and no per-call statement machinery.
      java.sql.Savepoint savepoint = null;
      try (Connection c = dataSource.getConnection()) {
        if (joined) {
          // A duplicate event id must not abort the caller's transaction: it is answered below.
          savepoint = c.setSavepoint();
        }
        try {
          row = single ? appendOne(c, stream, streamId.category(), expectedCode, ids[0], types[0], versions[0],
              payloads[0], metadata[0], digests[0]) : null;
          if (row == null) {
            row = appendMany(c, stream, streamId.category(), expectedCode, ids, types, versions, payloads,
                metadata, digests);
          }
        } catch (SQLException e) {
          if (savepoint != null) {
            c.rollback(savepoint);
          }
          throw e;
        }
        if (savepoint != null) {
          c.releaseSavepoint(savepoint);
        }
      } catch (SQLException | RuntimeException e) {
        if (SqlErrors.isUniqueViolation(e, "events_event_id_key")) {
          return originalResult(streamId, List.of(ids), null);
        }
        throw SqlErrors.translate("append to stream " + streamId, schema, e);
      }
      int status = (int) row[0];
      if (status == 0) {
        notifications.appended();
        return new AppendResult(streamId, row[2], row[1], row[3], row[4]);
      }
      if (status == 1) {
        return originalResult(streamId, List.of(ids),
            new ConcurrencyConflictException(streamId, expected, row[1]));
      }
      // The stream's last writer is a younger transaction than ours. Nothing was written; a new
      // transaction gets a newer id. (Rare: append_events' advisory lock prevents it between
      // its own callers, and a single-event statement's id is newer than any commit it sees.)
      // In the caller's transaction the id cannot change: only a new transaction can help.
      if (joined || attempt >= ORDER_CONFLICT_RETRIES) {
        throw new TransactionOrderConflictException(streamId);
      }
    }
  }

  /**
   * The single statement for one event at exact version {@code expected} (at least 1): the
   * outcome as {@link #appendOutcome} gives it, or null when it wrote nothing (a conflict, a
   * missing stream or an order conflict, which {@link #appendMany} then tells apart).
   */
  private long[] appendOne(Connection c, String stream, String category, long expected, UUID id,
      String type, int schemaVersion, String payload, String metadata, byte[] digest) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(appendOneSql)) {
      ps.setBytes(1, digest);
      ps.setString(2, stream);
      ps.setLong(3, expected);
      ps.setString(4, stream);
      ps.setString(5, category);
      ps.setObject(6, id);
      ps.setString(7, type);
      ps.setInt(8, schemaVersion);
      ps.setString(9, payload);
      ps.setString(10, metadata);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        long version = rs.getLong(1);
        long position = rs.getLong(2);
        return new long[] {0, version, version, position, position};
      }
    }
  }

  /** Any append through {@code append_events}: the outcome as {@link #appendOutcome} gives it. */
  private long[] appendMany(Connection c, String stream, String category, long expected, UUID[] ids,
      String[] types, Integer[] schemaVersions, String[] payloads, String[] metadata, byte[][] digests)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(appendSql)) {
      ps.setString(1, stream);
      ps.setString(2, category);
      ps.setLong(3, expected);
      ps.setArray(4, c.createArrayOf("uuid", ids));
      ps.setArray(5, c.createArrayOf("text", types));
      ps.setArray(6, c.createArrayOf("int4", schemaVersions));
      ps.setArray(7, c.createArrayOf("text", payloads));
      ps.setArray(8, c.createArrayOf("text", metadata));
      ps.setArray(9, c.createArrayOf("bytea", digests));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return appendOutcome(rs.getString(1));
      }
    }
  }

  /**
   * status, actual version, first version, first position, last position from the text of the
   * append functions' record; a null field (nothing written) reads as 0.
   */
  static long[] appendOutcome(String record) {
    long[] fields = new long[5];
    int field = 0;
    long value = 0;
    boolean wellFormed = record.length() > 1 && record.charAt(0) == '(';
    for (int i = 1; wellFormed && i < record.length(); i++) {
      char ch = record.charAt(i);
      if (ch == ',' || ch == ')') {
        wellFormed = field < 5 && (ch == ')') == (i == record.length() - 1);
        if (wellFormed) {
          fields[field++] = value;
        }
        value = 0;
      } else {
        wellFormed = ch >= '0' && ch <= '9';
        value = value * 10 + (ch - '0');
      }
    }
    if (!wellFormed || field != 5) {
      throw new IllegalStateException("unexpected answer from the append function: " + record);
    }
    return fields;
  }

  /**
   * The result of an earlier append of exactly these ids, or, when there is none, {@code
   * otherwise} (thrown) or a {@link DuplicateEventIdException}.
   */
  private AppendResult originalResult(StreamId streamId, List<UUID> ids, RuntimeException otherwise) {
    record Found(UUID id, String stream, long version, long position) {}
    List<Found> found;
    try {
      found = jdbi.withHandle(h -> h.createQuery("SELECT event_id, stream_id, version, position FROM "
              + schema + ".events WHERE event_id = ANY(:ids)")
          .bindArray("ids", UUID.class, ids)
          .map((rs, ctx) -> new Found(rs.getObject(1, UUID.class), rs.getString(2), rs.getLong(3),
              rs.getLong(4)))
          .list());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("looking up event ids for stream " + streamId, schema, e);
    }
    if (found.isEmpty() && otherwise != null) {
      throw otherwise;
    }
    Map<UUID, Found> byId = new HashMap<>();
    found.forEach(f -> byId.put(f.id(), f));
    List<UUID> stored = ids.stream().filter(byId::containsKey).toList();
    if (stored.size() != ids.size()) {
      throw new DuplicateEventIdException(streamId, stored,
          stored.size() + " of the " + ids.size() + " events are stored already");
    }
    Found first = byId.get(ids.get(0));
    for (int i = 0; i < ids.size(); i++) {
      Found f = byId.get(ids.get(i));
      if (!f.stream().equals(streamId.toString()) || f.version() != first.version() + i) {
        throw new DuplicateEventIdException(streamId, stored, "they were stored "
            + (f.stream().equals(streamId.toString()) ? "in another order or batch" : "in stream " + f.stream()));
      }
    }
    Found last = byId.get(ids.get(ids.size() - 1));
    return new AppendResult(streamId, first.version(), last.version(), first.position(), last.position());
  }

  private static long expectedCode(ExpectedVersion expected) {
    if (expected instanceof ExpectedVersion.Exactly e) {
      return e.version();
    }
    if (expected == ExpectedVersion.noStream()) {
      return 0;
    }
    if (expected == ExpectedVersion.streamExists()) {
      return -2;
    }
    return -1;
  }

  private static final String COLUMNS = "position, transaction_id::text AS xid, event_id, stream_id, "
      + "version, type, schema_version, payload::text AS payload, metadata::text AS metadata, recorded_at";

  static StoredEvent mapStored(ResultSet rs) throws SQLException {
    return new StoredEvent(rs.getLong("position"), Long.parseUnsignedLong(rs.getString("xid")),
        rs.getObject("event_id", UUID.class), StreamId.parse(rs.getString("stream_id")),
        rs.getLong("version"), rs.getString("type"), rs.getInt("schema_version"),
        rs.getString("payload"), rs.getString("metadata"),
        rs.getObject("recorded_at", OffsetDateTime.class).toInstant());
  }

  static String columns() {
    return COLUMNS;
  }

  @Override
  public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int limit) {
    EventEncoding.checkStreamRead(streamId, fromVersion, limit);
    return decodeAll(query("read stream " + streamId, "SELECT " + COLUMNS + " FROM " + schema
        + ".events WHERE stream_id = :stream AND version >= :from ORDER BY version LIMIT :limit",
        q -> q.bind("stream", streamId.toString()).bind("from", fromVersion).bind("limit", limit)));
  }

  @Override
  public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int limit) {
    EventEncoding.checkStreamRead(streamId, fromVersion, limit);
    return decodeAll(query("read stream " + streamId + " backward", "SELECT " + COLUMNS + " FROM "
        + schema + ".events WHERE stream_id = :stream AND version <= :from ORDER BY version DESC LIMIT :limit",
        q -> q.bind("stream", streamId.toString()).bind("from", fromVersion).bind("limit", limit)));
  }

  @Override
  public List<RecordedEvent> readAll(long afterPosition, int limit, LogFilter filter) {
    EventEncoding.checkLogRead(afterPosition, limit);
    Objects.requireNonNull(filter, "filter must not be null (use LogFilter.all())");
    StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM ").append(schema)
        .append(".events WHERE position > :after");
    if (!filter.categories().isEmpty()) {
      sql.append(" AND category = ANY(:categories)");
    }
    if (!filter.types().isEmpty()) {
      sql.append(" AND type = ANY(:types)");
    }
    sql.append(" ORDER BY position LIMIT :limit");
    return decodeAll(query("read the log", sql.toString(), q -> {
      q.bind("after", afterPosition).bind("limit", limit);
      if (!filter.categories().isEmpty()) {
        q.bindArray("categories", String.class, List.copyOf(filter.categories()));
      }
      if (!filter.types().isEmpty()) {
        q.bindArray("types", String.class, List.copyOf(filter.types()));
      }
    }));
  }

  @Override
  public Optional<RecordedEvent> readEvent(UUID eventId) {
    Objects.requireNonNull(eventId, "event id must not be null");
    List<RecordedEvent> found = decodeAll(query("read event " + eventId, "SELECT " + COLUMNS + " FROM "
        + schema + ".events WHERE event_id = :id", q -> q.bind("id", eventId)));
    return found.stream().findFirst();
  }

  @Override
  public long headPosition() {
    try {
      return jdbi.withHandle(h -> h.createQuery("SELECT coalesce(max(position), 0) FROM " + schema + ".events")
          .mapTo(Long.class).one());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("read the head position", schema, e);
    }
  }

  @Override
  public long streamVersion(StreamId streamId) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    try {
      return jdbi.withHandle(h -> h.createQuery("SELECT version FROM " + schema
              + ".streams WHERE stream_id = :stream")
          .bind("stream", streamId.toString()).mapTo(Long.class).findOne().orElse(0L));
    } catch (RuntimeException e) {
      throw SqlErrors.translate("read the version of stream " + streamId, schema, e);
    }
  }

  private interface Binder {
    void bind(Query q);
  }

  private List<StoredEvent> query(String operation, String sql, Binder binder) {
    try {
      return jdbi.withHandle((Handle h) -> {
        Query q = h.createQuery(sql);
        binder.bind(q);
        return q.map((rs, ctx) -> mapStored(rs)).list();
      });
    } catch (RuntimeException e) {
      throw SqlErrors.translate(operation, schema, e);
    }
  }

  private List<RecordedEvent> decodeAll(List<StoredEvent> rows) {
    List<RecordedEvent> out = new ArrayList<>(rows.size());
    for (StoredEvent row : rows) {
      out.add(row.decode(registry));
    }
    return out;
  }

  @Override
  public void close() {
    if (joined) {
      return;
    }
    notifications.close();
    if (ownedPool != null) {
      ownedPool.close();
    }
  }

  /** Checked settings of a {@link PostgresEventStore}; {@link #build()} connects and checks the schema. */
  public static final class Builder {
    private final EventRegistry registry;
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

    private Builder(EventRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry must not be null");
    }

    /** Connect with a pool of its own to this JDBC URL ({@code jdbc:postgresql://...}). */
    public Builder jdbcUrl(String url) {
      Objects.requireNonNull(url, "jdbcUrl must not be null");
      if (!url.startsWith("jdbc:postgresql:")) {
        throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:, was " + url);
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
        return new PostgresEventStore(this, ds, pool);
      } catch (RuntimeException e) {
        if (pool != null) {
          pool.close();
        }
        throw e;
      }
    }
  }
}
