package dev.annals.postgres;

import dev.annals.core.AppendResult;
import dev.annals.core.ConcurrencyConflictException;
import dev.annals.core.DuplicateEventIdException;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventSerializationException;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.core.TransactionOrderConflictException;
import dev.annals.core.internal.EventEncoding;
import dev.annals.core.internal.EventEncoding.EncodedEvent;
import dev.annals.postgres.archive.StreamArchivedException;
import dev.annals.postgres.internal.SqlErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link PostgresEventStore#append}: encodes a batch, sends it as one statement (see
 * {@link AppendSql}), and turns the answer into a result or the store's exceptions. An event id
 * stored before gives the original append's result. With group commit, appends of the store's own
 * transactions that arrive together are written by one statement in one transaction (see {@link
 * GroupCommitter}), each keeping its own answer. Thread-safe.
 */
final class EventAppender {

  private final EventRegistry registry;
  private final int maxEventSize;
  private final String schema;
  private final AppendSql sql;
  private final Connections connections;
  private final Notifications notifications;
  private final Optional<GroupCommitter<Batch, AppendSql.Outcome>> groups;

  EventAppender(EventRegistry registry, int maxEventSize, String schema, Connections connections,
      Notifications notifications, GroupCommit groupCommit) {
    this.registry = registry;
    this.maxEventSize = maxEventSize;
    this.schema = schema;
    this.sql = new AppendSql(schema);
    this.connections = connections;
    this.notifications = notifications;
    // Only the store's own transactions are grouped: a caller's transaction is the caller's.
    this.groups = groupCommit.enabled() && connections instanceof Connections.Pooled
        ? Optional.of(new GroupCommitter<>(this::writeGroup, groupCommit.maxWait().toNanos(),
            groupCommit.maxGroup(), groupCommit.maxInFlight()))
        : Optional.empty();
  }

  /**
   * The most events an append may carry to join a group. A larger append already shares its
   * transaction among its events, and a group is written on one connection at a time, so grouping
   * large appends takes their statements off the other connections: measured with eight writers,
   * grouping gained 17% for appends of one event and 12% for three, lost 7% for ten and 20% for
   * a hundred (docs/performance.md).
   */
  static final int MAX_GROUPED_EVENTS = 4;

  /** The group committer, when appends are grouped. */
  Optional<GroupCommitter<Batch, AppendSql.Outcome>> groups() {
    return groups;
  }

  /** A batch as the statements bind it: one array per column. */
  record Batch(String stream, String category, long expected, UUID[] ids, String[] types,
      Integer[] schemaVersions, String[] payloads, String[] metadata, byte[][] digests) {}

  AppendResult append(StreamId streamId, ExpectedVersion expected, List<NewEvent> events) {
    List<EncodedEvent> encoded = EventEncoding.encode(registry, streamId, events, maxEventSize);
    Batch batch = batch(streamId, AppendSql.expected(expected), encoded);
    boolean single = AppendSql.singleStatement(encoded.size(), expected);
    int attempt = 1;
    if (groups.isPresent() && encoded.size() <= MAX_GROUPED_EVENTS) {
      AppendSql.Outcome grouped = null;
      try {
        grouped = groups.get().submit(batch);
      } catch (GroupCommitter.GroupFailedException e) {
        if (e.groupSize() == 1) {
          // Alone in its group, it was written as it would be without group commit: same answer.
          return failed(streamId, batch, e.getCause());
        }
        // One group failed, perhaps for one of its appends (a duplicate id racing with its
        // original, a deadlock): each append is tried again alone, in a transaction of its own.
        // When the failure hid a commit (a connection lost at commit), the id check answers it.
      }
      if (grouped != null && grouped.status() != AppendSql.Status.ORDER_CONFLICT) {
        return result(streamId, expected, batch, grouped);
      }
      // No outcome: the group wrote it not (see writeSingles); an order conflict: only a new
      // transaction can help. Either way it goes again alone.
      attempt = grouped == null ? 1 : 2;
    }
    for (; ; attempt++) {
      AppendSql.Outcome outcome;
      try {
        // Plain JDBC on the hottest path: prepared statements, which the driver keeps server-side
        // prepared per connection, and no per-call statement machinery.
        outcome = connections.append(c -> alone(c, batch, single));
      } catch (SQLException | RuntimeException e) {
        return failed(streamId, batch, e);
      }
      if (outcome.status() != AppendSql.Status.ORDER_CONFLICT) {
        return result(streamId, expected, batch, outcome);
      }
      // The stream's last writer is a younger transaction than ours. Nothing was written; a
      // new transaction gets a newer id. (Rare: append_events' advisory lock prevents it
      // between its own callers, and a single-event statement's id is newer than any commit
      // it sees.)
      if (attempt >= connections.orderConflictAttempts()) {
        throw new TransactionOrderConflictException(streamId);
      }
    }
  }

  /** The answer to an append that the database answered with {@code outcome} (not an order conflict). */
  private AppendResult result(StreamId streamId, ExpectedVersion expected, Batch batch, AppendSql.Outcome outcome) {
    switch (outcome.status()) {
      case WRITTEN:
        notifications.appended();
        return new AppendResult(streamId, outcome.firstVersion(), outcome.actualVersion(),
            outcome.firstPosition(), outcome.lastPosition());
      case VERSION_CONFLICT:
        return originalResult(streamId, List.of(batch.ids()),
            Optional.of(new ConcurrencyConflictException(streamId, expected, outcome.actualVersion())));
      case STORED_BEFORE:
        return originalResult(streamId, List.of(batch.ids()), Optional.empty());
      default:
        throw new IllegalStateException("no result for " + outcome);
    }
  }

  /** The answer to an append whose statement failed with {@code e}. */
  private AppendResult failed(StreamId streamId, Batch batch, Throwable e) {
    if (SqlErrors.isUniqueViolation(e, "events_event_id_key")) {
      return originalResult(streamId, List.of(batch.ids()), Optional.empty());
    }
    java.sql.SQLException sql = SqlErrors.sqlCause(e);
    if (sql != null && "AN001".equals(sql.getSQLState())) {
      // The stream row of an archived stream refuses every append path (V10).
      throw archived(streamId, e);
    }
    throw SqlErrors.translate("append to stream " + streamId, schema, e);
  }

  /** The refusal of an append to an archived stream, naming its archive when it can be looked up. */
  private RuntimeException archived(StreamId streamId, Throwable cause) {
    StreamArchivedException refused = new StreamArchivedException(streamId, -1, null);
    // A caller's transaction is aborted by the refusal: only the pool can look the tombstone up.
    if (connections instanceof Connections.Pooled) {
      try {
        new EventReads(registry, schema, connections.jdbi()).refuseIfArchived(streamId);
      } catch (StreamArchivedException found) {
        refused = found;
      } catch (RuntimeException lookupFailed) {
        refused.addSuppressed(lookupFailed);
      }
    }
    refused.addSuppressed(cause);
    return refused;
  }

  /** One append in a transaction of its own (or the caller's). */
  private AppendSql.Outcome alone(Connection c, Batch batch, boolean single) throws SQLException {
    Optional<AppendSql.Outcome> one = single ? appendOne(c, batch) : Optional.empty();
    return one.isPresent() ? one.get() : appendMany(c, batch);
  }

  /**
   * A group of appends in one transaction: a group of one as {@link #alone}, more through {@code
   * append_group}, their streams in order so that two groups lock shared streams in one order.
   */
  private List<AppendSql.Outcome> writeGroup(List<Batch> group) throws SQLException {
    if (group.size() == 1) {
      Batch b = group.get(0);
      boolean single = b.ids().length == 1 && b.expected() >= 1;
      AppendSql.Outcome outcome = connections.append(c -> alone(c, b, single));
      return List.of(outcome);
    }
    Integer[] order = new Integer[group.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    // Stable: appends to one stream keep their order of arrival.
    java.util.Arrays.sort(order, (x, y) -> group.get(x).stream().compareTo(group.get(y).stream()));
    if (singles(group, order)) {
      return writeSingles(group, order);
    }
    int events = 0;
    for (Batch b : group) {
      events += b.ids().length;
    }
    Integer[] counts = new Integer[order.length];
    Long[] expected = new Long[order.length];
    String[] streams = new String[events];
    String[] categories = new String[events];
    UUID[] ids = new UUID[events];
    String[] types = new String[events];
    Integer[] schemaVersions = new Integer[events];
    String[] payloads = new String[events];
    String[] metadata = new String[events];
    byte[][] digests = new byte[events][];
    int k = 0;
    for (int a = 0; a < order.length; a++) {
      Batch b = group.get(order[a]);
      counts[a] = b.ids().length;
      expected[a] = b.expected();
      for (int i = 0; i < b.ids().length; i++, k++) {
        streams[k] = b.stream();
        categories[k] = b.category();
        ids[k] = b.ids()[i];
        types[k] = b.types()[i];
        schemaVersions[k] = b.schemaVersions()[i];
        payloads[k] = b.payloads()[i];
        metadata[k] = b.metadata()[i];
        digests[k] = b.digests()[i];
      }
    }
    AppendSql.Outcome[] outcomes = new AppendSql.Outcome[order.length];
    connections.<Void>append(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.appendGroup)) {
        ps.setArray(1, c.createArrayOf("int4", counts));
        ps.setArray(2, c.createArrayOf("int8", expected));
        ps.setArray(3, c.createArrayOf("text", streams));
        ps.setArray(4, c.createArrayOf("text", categories));
        ps.setArray(5, c.createArrayOf("uuid", ids));
        ps.setArray(6, c.createArrayOf("text", types));
        ps.setArray(7, c.createArrayOf("int4", schemaVersions));
        ps.setArray(8, c.createArrayOf("text", payloads));
        ps.setArray(9, c.createArrayOf("text", metadata));
        ps.setArray(10, c.createArrayOf("bytea", digests));
        ps.execute();
        if (!ps.getMoreResults()) {
          throw new IllegalStateException("append_group answered no rows");
        }
        try (ResultSet rs = ps.getResultSet()) {
          rs.next();
          Integer[] statuses = (Integer[]) rs.getArray(1).getArray();
          Long[] actual = (Long[]) rs.getArray(2).getArray();
          Long[] firstVersions = (Long[]) rs.getArray(3).getArray();
          Long[] firstPositions = (Long[]) rs.getArray(4).getArray();
          Long[] lastPositions = (Long[]) rs.getArray(5).getArray();
          for (int a = 0; a < order.length; a++) {
            outcomes[order[a]] = new AppendSql.Outcome(AppendSql.Status.of(statuses[a]), actual[a],
                firstVersions[a], firstPositions[a], lastPositions[a]);
          }
        }
      }
      return null;
    });
    return List.of(outcomes);
  }

  private static Batch batch(StreamId streamId, long expected, List<EncodedEvent> encoded) {
    int n = encoded.size();
    Batch b = new Batch(streamId.toString(), streamId.category(), expected, new UUID[n], new String[n],
        new Integer[n], new String[n], new String[n], new byte[n][]);
    for (int i = 0; i < n; i++) {
      EncodedEvent e = encoded.get(i);
      b.ids()[i] = e.eventId();
      b.types()[i] = e.type();
      b.schemaVersions()[i] = e.schemaVersion();
      b.payloads()[i] = e.payload();
      b.metadata()[i] = e.metadata();
      // Computed here, on the application's cores, so the database only chains 32-byte digests.
      try {
        b.digests()[i] = ContentDigest.of(b.stream(), e.eventId().toString(), e.type(), e.schemaVersion(),
            e.payload(), e.metadata());
      } catch (IllegalArgumentException unstorable) {
        // Such as a number no jsonb value holds: PostgreSQL would refuse the event as well.
        throw new EventSerializationException("event " + e.eventId() + " of type " + e.type()
            + " cannot be stored: " + unstorable.getMessage(), unstorable);
      }
    }
    return b;
  }

  /** Whether every append of the group is one event at an exact version. */
  private static boolean singles(List<Batch> group, Integer[] order) {
    for (Integer a : order) {
      Batch b = group.get(a);
      if (b.ids().length != 1 || b.expected() < 1) {
        return false;
      }
    }
    return true;
  }

  /**
   * A group of single-event appends through {@link AppendSql#appendSingles}, the first of each
   * stream only (the statement updates each stream row once). An append it did not write gets no
   * outcome (null): its caller sends it again alone, which tells a conflict from an id stored
   * before (rare: under contention, or on a retry). A later append to a stream of the group, which
   * under contention usually expects the same version as the first and loses, goes alone after
   * the group, so appends to one stream still take effect in their order of arrival.
   */
  private List<AppendSql.Outcome> writeSingles(List<Batch> group, Integer[] sorted) throws SQLException {
    List<Integer> firsts = new ArrayList<>(sorted.length);
    for (int a = 0; a < sorted.length; a++) {
      if (a == 0 || !group.get(sorted[a]).stream().equals(group.get(sorted[a - 1]).stream())) {
        firsts.add(sorted[a]);
      }
    }
    Integer[] order = firsts.toArray(new Integer[0]);
    int n = order.length;
    String[] streams = new String[n];
    Long[] expected = new Long[n];
    byte[][] digests = new byte[n][];
    String[] categories = new String[n];
    UUID[] ids = new UUID[n];
    String[] types = new String[n];
    Integer[] schemaVersions = new Integer[n];
    String[] payloads = new String[n];
    String[] metadata = new String[n];
    for (int a = 0; a < n; a++) {
      Batch b = group.get(order[a]);
      streams[a] = b.stream();
      expected[a] = b.expected();
      digests[a] = b.digests()[0];
      categories[a] = b.category();
      ids[a] = b.ids()[0];
      types[a] = b.types()[0];
      schemaVersions[a] = b.schemaVersions()[0];
      payloads[a] = b.payloads()[0];
      metadata[a] = b.metadata()[0];
    }
    AppendSql.Outcome[] outcomes = new AppendSql.Outcome[group.size()];
    connections.<Void>append(c -> {
      try (PreparedStatement ps = c.prepareStatement(sql.appendSingles)) {
        ps.setArray(1, c.createArrayOf("text", streams));
        ps.setArray(2, c.createArrayOf("int8", expected));
        ps.setArray(3, c.createArrayOf("bytea", digests));
        ps.setArray(4, c.createArrayOf("text", categories));
        ps.setArray(5, c.createArrayOf("uuid", ids));
        ps.setArray(6, c.createArrayOf("text", types));
        ps.setArray(7, c.createArrayOf("int4", schemaVersions));
        ps.setArray(8, c.createArrayOf("text", payloads));
        ps.setArray(9, c.createArrayOf("text", metadata));
        ps.execute();
        if (!ps.getMoreResults()) {
          throw new IllegalStateException("the group append answered no rows");
        }
        try (ResultSet rs = ps.getResultSet()) {
          while (rs.next()) {
            int a = rs.getInt(1) - 1;
            outcomes[order[a]] = AppendSql.Outcome.written(rs.getLong(2), rs.getLong(3));
          }
        }
      }
      return null;
    });
    return java.util.Arrays.asList(outcomes);
  }

  /** {@link AppendSql#appendOne} for the batch's one event; empty when it wrote nothing. */
  private Optional<AppendSql.Outcome> appendOne(Connection c, Batch b) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(connections.appendStatement(sql.appendOne))) {
      ps.setBytes(1, b.digests()[0]);
      ps.setString(2, b.stream());
      ps.setLong(3, b.expected());
      ps.setString(4, b.stream());
      ps.setString(5, b.category());
      ps.setObject(6, b.ids()[0]);
      ps.setString(7, b.types()[0]);
      ps.setInt(8, b.schemaVersions()[0]);
      ps.setString(9, b.payloads()[0]);
      ps.setString(10, b.metadata()[0]);
      try (ResultSet rs = rows(ps)) {
        return rs.next() ? Optional.of(AppendSql.Outcome.written(rs.getLong(1), rs.getLong(2))) : Optional.empty();
      }
    }
  }

  /** Any append, through {@link AppendSql#appendEvents}. */
  private AppendSql.Outcome appendMany(Connection c, Batch b) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(connections.appendStatement(sql.appendEvents))) {
      ps.setString(1, b.stream());
      ps.setString(2, b.category());
      ps.setLong(3, b.expected());
      ps.setArray(4, c.createArrayOf("uuid", b.ids()));
      ps.setArray(5, c.createArrayOf("text", b.types()));
      ps.setArray(6, c.createArrayOf("int4", b.schemaVersions()));
      ps.setArray(7, c.createArrayOf("text", b.payloads()));
      ps.setArray(8, c.createArrayOf("text", b.metadata()));
      ps.setArray(9, c.createArrayOf("bytea", b.digests()));
      try (ResultSet rs = rows(ps)) {
        rs.next();
        return AppendSql.outcome(rs.getString(1));
      }
    }
  }

  /** Executes the statement and gives its rows, past the results of what it was sent with (a savepoint). */
  private static ResultSet rows(PreparedStatement ps) throws SQLException {
    boolean rows = ps.execute();
    while (!rows) {
      if (ps.getUpdateCount() == -1) {
        throw new IllegalStateException("the append statement answered no rows");
      }
      rows = ps.getMoreResults();
    }
    return ps.getResultSet();
  }

  /**
   * The result of an earlier append of exactly these ids, or, when there is none, {@code
   * otherwise} (thrown) or a {@link DuplicateEventIdException}.
   */
  private AppendResult originalResult(StreamId streamId, List<UUID> ids, Optional<RuntimeException> otherwise) {
    record Found(UUID id, String stream, long version, long position) {}
    List<Found> found;
    try {
      found = connections.jdbi().withHandle(h -> h.createQuery("SELECT event_id, stream_id, version, position FROM "
              + schema + ".events WHERE event_id = ANY(:ids)")
          .bindArray("ids", UUID.class, ids)
          .map((rs, ctx) -> new Found(rs.getObject(1, UUID.class), rs.getString(2), rs.getLong(3),
              rs.getLong(4)))
          .list());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("looking up event ids for stream " + streamId, schema, e);
    }
    if (found.isEmpty() && otherwise.isPresent()) {
      throw otherwise.get();
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
}
