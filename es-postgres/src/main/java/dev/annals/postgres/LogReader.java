package dev.annals.postgres;

import dev.annals.core.LogFilter;
import dev.annals.postgres.internal.SqlErrors;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Reads the event log in an order in which no event can ever appear behind a place a reader has
 * already passed, whatever order concurrent writers commit in.
 *
 * <h2>Why positions alone are not enough</h2>
 * Positions come from an identity column and are handed out when a row is inserted, but
 * transactions commit in any order. A reader that has seen position 1002 cannot know whether
 * 1001 belongs to a transaction still running; if it checkpoints 1002 and 1001 commits later,
 * 1001 is lost to it forever.
 *
 * <h2>The mechanism</h2>
 * Every event row records the id of the transaction that wrote it ({@code xid8}). A query reads
 * only rows whose transaction id is below {@code pg_snapshot_xmin(pg_current_snapshot())}: every
 * transaction below that horizon has finished, so no row with such an id can still appear. Rows
 * are returned in (transaction id, position) order and the reader's checkpoint is that pair
 * ({@link LogCursor}). Any transaction unfinished at the time of a read has an id at or above
 * the horizon, hence above every cursor the read can produce; any later transaction gets a
 * larger id still. So whatever commits later sorts after the checkpoint. Writers are never
 * serialized and group commit keeps working.
 *
 * <h2>Per-stream order</h2>
 * A transaction that got its id early could append version n+1 of a stream after a younger
 * transaction committed version n, and (transaction id, position) order would then show n+1
 * first. The append function refuses such an append (the stream row records its last writer's
 * transaction id); the store retries it in a new transaction, which has a newer id. Within a
 * stream, log order therefore always equals version order.
 *
 * <h2>The fence</h2>
 * {@code pg_snapshot_xmin} is the oldest transaction holding an id anywhere in the cluster, in
 * any database: one that never appends to this store would hold its readers back for as long as
 * it stays open. So the horizon is the larger of that and the store's fence ({@code
 * log_horizon.fence}), below which no transaction can append any more (see {@link
 * HorizonAdvancer}): reads see everything below it that will ever be there. The fence is read in
 * the read's own snapshot, which shows it moved only once the appends below it committed.
 *
 * <h2>Caveats</h2>
 * <ul>
 *   <li>A long-running transaction that appended to this store keeps the fence, and so the
 *       horizon, back until it ends: readers then see nothing newer. {@link #head()} reports it;
 *       set {@code idle_in_transaction_session_timeout} to bound the damage. Without a fence
 *       ({@code horizonLag(Duration.ZERO)}) any transaction holding an id does.</li>
 *   <li>Transaction ids belong to one cluster. After a dump and restore into another cluster,
 *       checkpoints must be translated (see docs/postgres.md).</li>
 * </ul>
 *
 * <p>Not thread-safe: use one reader per consuming thread.
 */
public final class LogReader {

  private final Jdbi jdbi;
  private final String schema;
  private final Notifications notifications;
  // Written by whichever thread reads; a projector may read the next batch on another thread.
  private volatile long seenWakeups;

  LogReader(Jdbi jdbi, String schema, Notifications notifications) {
    this.jdbi = jdbi;
    this.schema = schema;
    this.notifications = notifications;
  }

  /**
   * Up to {@code limit} events after {@code after} in log order, from transactions that have
   * finished, passing {@code filter}.
   *
   * @throws IllegalArgumentException if {@code limit < 1}
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public LogBatch read(LogCursor after, int limit, LogFilter filter) {
    return read(after, limit, filter, LogPartition.ALL);
  }

  /**
   * {@link #read(LogCursor, int, LogFilter)} restricted to one partition of the log.
   */
  public LogBatch read(LogCursor after, int limit, LogFilter filter, LogPartition partition) {
    Objects.requireNonNull(partition, "partition must not be null (use LogPartition.ALL)");
    Objects.requireNonNull(after, "cursor must not be null (use LogCursor.START)");
    Objects.requireNonNull(filter, "filter must not be null (use LogFilter.all())");
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be 1 or more, was " + limit);
    }
    seenWakeups = notifications.sequence();
    String sql = statement(schema, filter, partition);
    try {
      List<StoredEvent> events = jdbi.withHandle(h -> {
        Connection c = h.getConnection();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          bind(ps, after, limit, filter, partition);
          ps.execute();
          if (!ps.getMoreResults()) {
            throw new SQLException("the log query gave no result set");
          }
          List<StoredEvent> rows = new ArrayList<>(Math.min(limit, 1000));
          try (ResultSet rs = ps.getResultSet()) {
            while (rs.next()) {
              rows.add(EventRow.map(rs));
            }
          }
          return rows;
        }
      });
      LogCursor next = events.isEmpty() ? after : events.get(events.size() - 1).cursor();
      return new LogBatch(events, next);
    } catch (SQLException | RuntimeException e) {
      throw SqlErrors.translate("read the log after " + after, schema, e);
    }
  }

  /*
   * One read, one round trip. The order must come from the (transaction_id, position) index.
   * Without fresh statistics (a log just loaded or restored, before autovacuum analyzed it) the
   * planner estimates a handful of matching rows, fetches every event after the cursor through a
   * bitmap scan and sorts them: measured here at 40 ms instead of 0.4 ms per batch of 1,000 on a
   * 100,000-event log, growing with the log. Sorting is never needed, so it is ruled out for this
   * query, by a setting local to its transaction.
   *
   * The setting and the query go as one prepared statement of two: the driver sends both with a
   * single Sync, so in autocommit mode they run in one implicit transaction, which the setting
   * lasts for, and cost one round trip where a transaction of SET LOCAL and SELECT cost four.
   * set_config(..., true) rather than SET LOCAL: outside a transaction block SET LOCAL works too
   * but warns, in the client's warnings and the server's log, on every read. The horizon and the
   * rows come from the one snapshot of the query statement, as before.
   *
   * JIT is off as well: the cached generic plan estimates a tenth of the log for LIMIT ?, so on
   * a log of some twenty million events its cost passes jit_above_cost and every page would be
   * compiled with LLVM, which costs hundreds of milliseconds for a read of about one.
   */
  static final String PLANNER_SETTING =
      "SELECT set_config('enable_sort', 'off', true), set_config('jit', 'off', true)";

  /** The read: {@link #PLANNER_SETTING}, then {@link #query}. */
  static String statement(String schema, LogFilter filter, LogPartition partition) {
    return PLANNER_SETTING + "; " + query(schema, filter, partition);
  }

  /** The query of a read, with parameters that {@link #bind} sets. */
  static String query(String schema, LogFilter filter, LogPartition partition) {
    StringBuilder sql = new StringBuilder("SELECT ").append(EventRow.COLUMNS)
        .append(" FROM ").append(schema).append(".events")
        .append(" WHERE (transaction_id, position) > (CAST(? AS xid8), ?)")
        .append(" AND transaction_id < ").append(horizon(schema));
    if (!filter.categories().isEmpty()) {
      sql.append(" AND category = ANY(?)");
    }
    if (!filter.types().isEmpty()) {
      sql.append(" AND type = ANY(?)");
    }
    if (!partition.isAll()) {
      sql.append(" AND (hashtext(stream_id) & 2147483647) % ? = ?");
    }
    return sql.append(" ORDER BY transaction_id, position LIMIT ?").toString();
  }

  /**
   * The horizon of a read: the larger of the cluster's oldest running transaction and the
   * store's fence, as this statement's snapshot sees them. Every event below it is committed.
   */
  static String horizon(String schema) {
    return "greatest(pg_snapshot_xmin(pg_current_snapshot()), (SELECT h.fence FROM " + schema
        + ".log_horizon h))";
  }

  /** Sets the parameters of {@link #query}, alone or after parameterless statements. */
  static void bind(PreparedStatement ps, LogCursor after, int limit, LogFilter filter,
      LogPartition partition) throws SQLException {
    int i = 1;
    ps.setString(i++, Long.toUnsignedString(after.transactionId()));
    ps.setLong(i++, after.position());
    Connection c = ps.getConnection();
    if (!filter.categories().isEmpty()) {
      ps.setArray(i++, c.createArrayOf("text", filter.categories().toArray()));
    }
    if (!filter.types().isEmpty()) {
      ps.setArray(i++, c.createArrayOf("text", filter.types().toArray()));
    }
    if (!partition.isAll()) {
      ps.setInt(i++, partition.count());
      ps.setInt(i++, partition.index());
    }
    ps.setInt(i, limit);
  }

  /** {@link #read(LogCursor, int, LogFilter)} without a filter. */
  public LogBatch read(LogCursor after, int limit) {
    return read(after, limit, LogFilter.all());
  }

  /**
   * Waits until new events may be there (an append in this process, or a notification from
   * another node since the last {@link #read}), or {@code max} passed. Returns early without a
   * guarantee: always read again afterwards.
   *
   * @return whether a wake-up came (false: timed out)
   */
  public boolean awaitEvents(Duration max) throws InterruptedException {
    Objects.requireNonNull(max, "max must not be null");
    return notifications.await(seenWakeups, max);
  }

  /**
   * The cursor from which reading returns the event at {@code position} and everything after it
   * in log order: "replay from this event".
   *
   * @throws IllegalArgumentException if no event has that position
   */
  public LogCursor cursorBefore(long position) {
    long xid = transactionOf(position);
    return new LogCursor(xid, position - 1);
  }

  /** The cursor just after the event at {@code position}: "everything after this event". */
  public LogCursor cursorAfter(long position) {
    return new LogCursor(transactionOf(position), position);
  }

  private long transactionOf(long position) {
    if (position < 1) {
      throw new IllegalArgumentException("position must be 1 or more, was " + position);
    }
    Optional<String> xid;
    try {
      xid = jdbi.withHandle(h -> h.createQuery("SELECT transaction_id::text FROM " + schema
          + ".events WHERE position = :p").bind("p", position).mapTo(String.class).findOne());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("look up position " + position, schema, e);
    }
    return Long.parseUnsignedLong(xid.orElseThrow(() -> new IllegalArgumentException(
        "no event at position " + position + " in schema '" + schema + "'")));
  }

  /**
   * How many committed events at or below {@code position} readers cannot see yet because an
   * older transaction is still open. Zero means every event up to {@code position} is readable:
   * "caught up with everything committed before now" is {@code heldBackUpTo(headBefore) == 0}
   * plus nothing left to read.
   *
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public long heldBackUpTo(long position) {
    try {
      return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM " + schema + ".events "
              + "WHERE position <= :p AND transaction_id >= " + horizon(schema))
          .bind("p", position).mapTo(Long.class).one());
    } catch (RuntimeException e) {
      throw SqlErrors.translate("count held-back events", schema, e);
    }
  }

  /**
   * Where the log ends and what holds readers back.
   *
   * @throws dev.annals.core.StoreUnavailableException if the database cannot be reached
   */
  public LogHead head() {
    try {
      record Partial(long head, long safeHead, long heldBack, boolean fenced) {}
      return jdbi.withHandle(h -> {
        Partial partial = h.createQuery("SELECT (SELECT coalesce(max(position), 0) FROM " + schema
                + ".events) AS head, "
                + "(SELECT position FROM " + schema + ".events WHERE transaction_id < "
                + horizon(schema) + " ORDER BY position DESC LIMIT 1) AS safe_head, "
                + "(SELECT count(*) FROM " + schema + ".events WHERE transaction_id >= "
                + horizon(schema) + ") AS held_back, "
                + "(SELECT h.fence > pg_snapshot_xmin(pg_current_snapshot()) FROM " + schema
                + ".log_horizon h) AS fenced")
            .map((rs, ctx) -> new Partial(rs.getLong("head"), rs.getLong("safe_head"),
                rs.getLong("held_back"), rs.getBoolean("fenced")))
            .one();
        // What holds the horizon: while the fence is ahead of the cluster's horizon, only a
        // transaction that holds the append lock shared (it appended and has not ended) can hold
        // it (the advancer holds it exclusively, for a moment);
        // otherwise the oldest transaction holding an id, anywhere in the cluster.
        Optional<LogHead.OpenTransaction> oldest = h.createQuery(
                "SELECT pid, extract(epoch FROM clock_timestamp() - xact_start) AS age, state, "
                    + "application_name, left(query, 200) AS query FROM pg_stat_activity a, "
                    + "(SELECT " + AppendSql.appendLockKey(schema) + " AS key) k "
                    + "WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() "
                    + "AND (NOT :fenced OR EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid "
                    + "AND l.locktype = 'advisory' AND l.mode = 'ShareLock' AND l.granted AND l.objsubid = 1 "
                    + "AND l.classid = CAST((k.key >> 32) & 4294967295 AS oid) "
                    + "AND l.objid = CAST(k.key & 4294967295 AS oid))) "
                    + "ORDER BY xact_start LIMIT 1")
            .bind("fenced", partial.fenced())
            .map((rs, ctx) -> new LogHead.OpenTransaction(rs.getInt("pid"),
                Duration.ofNanos((long) (rs.getDouble("age") * 1e9)), rs.getString("state"),
                rs.getString("application_name"), rs.getString("query")))
            .findOne();
        return new LogHead(partial.head(), partial.safeHead(), partial.heldBack(), oldest);
      });
    } catch (RuntimeException e) {
      throw SqlErrors.translate("read the log head", schema, e);
    }
  }
}
