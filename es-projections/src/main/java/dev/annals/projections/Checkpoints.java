package dev.annals.projections;

import dev.annals.core.internal.Redaction;
import dev.annals.postgres.LogCursor;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * SQL on the checkpoint rows: every read and every write of them. Every lease comparison uses the database clock
 * ({@code clock_timestamp()}), never a JVM clock: nodes' clocks differ, the database's is one.
 */
final class Checkpoints {

  static final String COLUMNS = "projector, projector_version, partition_index, partition_count, "
      + "cursor_xid, cursor_position, replay_xid, replay_position, state, owner_node, lease_until, "
      + "last_error, last_error_at, events_per_second, processed_events";

  private static final String KEY = "projector = :projector AND projector_version = :version "
      + "AND partition_index = :partition";
  private static final String LEASE = "clock_timestamp() + make_interval(secs => CAST(:leaseMillis AS double precision) / 1000)";

  private final String table;
  private final String versionsTable;

  Checkpoints(String schema) {
    this.table = schema + ".projection_checkpoints";
    this.versionsTable = schema + ".projection_versions";
  }

  static Checkpoint map(ResultSet rs) throws SQLException {
    PartitionKey key = new PartitionKey(rs.getString("projector"), rs.getInt("projector_version"),
        rs.getInt("partition_index"), rs.getInt("partition_count"));
    return new Checkpoint(key,
        new LogCursor(rs.getLong("cursor_xid"), rs.getLong("cursor_position")),
        new LogCursor(rs.getLong("replay_xid"), rs.getLong("replay_position")),
        RowState.valueOf(rs.getString("state")), rs.getString("owner_node"),
        instant(rs, "lease_until"), rs.getString("last_error"), instant(rs, "last_error_at"),
        rs.getDouble("events_per_second"), rs.getLong("processed_events"));
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /**
   * Locks the row for a batch transaction and bounds how long that transaction may sit idle
   * (a handler stuck in Java holds the row lock and the log's horizon for everyone).
   */
  Checkpoint lock(Handle h, PartitionKey k, Duration idleTimeout) {
    return h.createQuery("SELECT " + COLUMNS + ", set_config('idle_in_transaction_session_timeout', "
            + ":timeout, true) AS timeout_set FROM " + table + " WHERE " + KEY + " FOR UPDATE")
        .bind("timeout", Long.toString(idleTimeout.toMillis()))
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .map((rs, ctx) -> map(rs)).findOne()
        .orElseThrow(() -> new IllegalStateException("the checkpoint row of " + k + " is gone"));
  }

  /** Moves the cursor, renews the lease and records progress, in the batch transaction. */
  void advance(Handle h, PartitionKey k, LogCursor cursor, RowState state, long processed,
      double eventsPerSecond, Duration lease) {
    h.createUpdate("UPDATE " + table + " SET cursor_xid = :xid, cursor_position = :position, "
            + "state = :state, processed_events = processed_events + :processed, "
            + "events_per_second = :eps, lease_until = " + LEASE + ", updated_at = clock_timestamp() "
            + "WHERE " + KEY)
        .bind("xid", cursor.transactionId()).bind("position", cursor.position())
        .bind("state", state.name()).bind("processed", processed).bind("eps", eventsPerSecond)
        .bind("leaseMillis", lease.toMillis())
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .execute();
  }

  /**
   * Takes up to {@code limit} partitions of a projector version that are runnable and free (no
   * owner, an ended lease, or already this node's), except {@code excluded}; this node's own
   * first. Rows another transaction has locked (a batch in flight) are skipped, not waited for.
   */
  List<Checkpoint> acquire(Jdbi jdbi, String projector, int version, String node, Duration lease,
      Collection<Integer> excluded, int limit) {
    return jdbi.withHandle(h -> h.createQuery("UPDATE " + table + " c SET owner_node = :node, "
            + "lease_until = " + LEASE + ", updated_at = clock_timestamp() "
            + "FROM (SELECT projector, projector_version, partition_index FROM " + table
            + " WHERE projector = :projector AND projector_version = :version "
            + "AND state IN ('RUNNING', 'CATCHING_UP', 'REBUILDING') "
            + "AND (owner_node IS NULL OR owner_node = :node OR lease_until < clock_timestamp()) "
            + "AND partition_index <> ALL(:excluded) "
            + "ORDER BY owner_node IS NOT DISTINCT FROM :node DESC, partition_index LIMIT :limit "
            + "FOR UPDATE SKIP LOCKED) free "
            + "WHERE c.projector = free.projector AND c.projector_version = free.projector_version "
            + "AND c.partition_index = free.partition_index RETURNING " + prefixed("c"))
        .bind("node", node).bind("leaseMillis", lease.toMillis()).bind("limit", limit)
        .bind("projector", projector).bind("version", version)
        .bindArray("excluded", Integer.class, (Object[]) excluded.toArray(new Integer[0]))
        .map((rs, ctx) -> map(rs)).list());
  }

  /**
   * Extends this node's lease. Returns the row, or empty when another node owns it now.
   *
   * @param caughtUp whether the last read found nothing, so CATCHING_UP becomes RUNNING
   */
  Optional<Checkpoint> renew(Jdbi jdbi, PartitionKey k, String node, Duration lease,
      double eventsPerSecond, boolean caughtUp) {
    return jdbi.withHandle(h -> h.createQuery("UPDATE " + table + " SET lease_until = " + LEASE
            + ", events_per_second = :eps, state = CASE WHEN state = 'CATCHING_UP' AND :caughtUp "
            + "THEN 'RUNNING' ELSE state END, updated_at = clock_timestamp() "
            + "WHERE " + KEY + " AND owner_node = :node RETURNING " + COLUMNS)
        .bind("leaseMillis", lease.toMillis()).bind("eps", eventsPerSecond)
        .bind("caughtUp", caughtUp).bind("node", node)
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .map((rs, ctx) -> map(rs)).findOne());
  }

  /** Gives up this node's lease on one partition, if it still has it. */
  void release(Jdbi jdbi, PartitionKey k, String node) {
    jdbi.useHandle(h -> h.createUpdate("UPDATE " + table + " SET owner_node = NULL, lease_until = NULL, "
            + "updated_at = clock_timestamp() WHERE " + KEY + " AND owner_node = :node")
        .bind("node", node)
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .execute());
  }

  /** Gives up this node's leases on every partition of these projectors. */
  int releaseAll(Jdbi jdbi, String node, Collection<String> projectors) {
    return jdbi.withHandle(h -> h.createUpdate("UPDATE " + table + " SET owner_node = NULL, "
            + "lease_until = NULL, updated_at = clock_timestamp() "
            + "WHERE owner_node = :node AND projector = ANY(:projectors)")
        .bind("node", node).bindArray("projectors", String.class, (Object[]) projectors.toArray(new String[0]))
        .execute());
  }

  Optional<Checkpoint> find(Handle h, PartitionKey k) {
    return h.createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE " + KEY)
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .map((rs, ctx) -> map(rs)).findOne();
  }

  /** The rows of one projector version in partition order, optionally locked. */
  List<Checkpoint> list(Handle h, String projector, int version, boolean lock) {
    return h.createQuery("SELECT " + COLUMNS + " FROM " + table
            + " WHERE projector = :projector AND projector_version = :version ORDER BY partition_index"
            + (lock ? " FOR UPDATE" : ""))
        .bind("projector", projector).bind("version", version)
        .map((rs, ctx) -> map(rs)).list();
  }

  /** Every row of every projector version, retired ones too. */
  List<Checkpoint> listAll(Handle h) {
    return h.createQuery("SELECT " + COLUMNS + " FROM " + table
            + " ORDER BY projector, projector_version, partition_index")
        .map((rs, ctx) -> map(rs)).list();
  }

  /** The rows of every version of a projector that is not retired. */
  List<Checkpoint> listLive(Handle h, String projector) {
    return h.createQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE projector = :projector "
            + "AND state <> 'RETIRED' ORDER BY projector_version, partition_index")
        .bind("projector", projector)
        .map((rs, ctx) -> map(rs)).list();
  }

  /** Stops a partition before a failing event: FAILED with the error, lease given up. */
  void fail(Handle h, PartitionKey k, String error) {
    h.createUpdate("UPDATE " + table + " SET state = 'FAILED', last_error = :error, "
            + "last_error_at = clock_timestamp(), owner_node = NULL, lease_until = NULL, "
            + "updated_at = clock_timestamp() WHERE " + KEY)
        .bind("error", Redaction.redact(error))
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .execute();
  }

  /** Records an error that did not change the state (a parked event, a failed retry). */
  void recordError(Handle h, PartitionKey k, String error) {
    h.createUpdate("UPDATE " + table + " SET last_error = :error, last_error_at = clock_timestamp(), "
            + "updated_at = clock_timestamp() WHERE " + KEY)
        .bind("error", Redaction.redact(error))
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .execute();
  }

  /**
   * Moves one row to {@code cursor} in {@code state}: a dead letter an operator retried or
   * discarded lets its halted partition go on after it (under the operator action's locks).
   */
  void restart(Handle h, PartitionKey k, RowState state, LogCursor cursor) {
    h.createUpdate("UPDATE " + table + " SET state = :state, cursor_xid = :xid, cursor_position = :position, "
            + "updated_at = clock_timestamp() WHERE " + KEY)
        .bind("state", state.name())
        .bind("xid", cursor.transactionId()).bind("position", cursor.position())
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .execute();
  }

  /**
   * Creates the rows of a new projector version, unowned, with nothing processed; events up
   * to {@code replayUntil} count as replays.
   */
  void create(Handle h, String projector, int version, int partitions, LogCursor replayUntil, RowState state) {
    for (int i = 0; i < partitions; i++) {
      h.createUpdate("INSERT INTO " + table + " (projector, projector_version, "
              + "partition_index, partition_count, replay_xid, replay_position, state) "
              + "VALUES (:projector, :version, :partition, :partitions, :xid, :position, :state)")
          .bind("projector", projector).bind("version", version).bind("partition", i)
          .bind("partitions", partitions).bind("xid", replayUntil.transactionId())
          .bind("position", replayUntil.position()).bind("state", state.name())
          .execute();
    }
  }

  /**
   * Makes a rebuilt version the running one and retires every older version, whose owners are
   * fenced out by the state change (under the projector lock, with the views switched).
   */
  void activate(Handle h, String projector, int version) {
    h.createUpdate("UPDATE " + table + " SET state = 'RUNNING', updated_at = clock_timestamp() "
            + "WHERE projector = :projector AND projector_version = :version AND state = 'REBUILDING'")
        .bind("projector", projector).bind("version", version).execute();
    h.createUpdate("UPDATE " + table + " SET state = 'RETIRED', owner_node = NULL, "
            + "lease_until = NULL, updated_at = clock_timestamp() "
            + "WHERE projector = :projector AND projector_version < :version AND state <> 'RETIRED'")
        .bind("projector", projector).bind("version", version).execute();
  }

  /** Pauses every runnable row of every version of a projector (under the projector lock). */
  void pause(Handle h, String projector) {
    h.createUpdate("UPDATE " + table + " SET state = 'PAUSED', updated_at = clock_timestamp() "
            + "WHERE projector = :projector AND state IN ('RUNNING', 'CATCHING_UP', 'REBUILDING')")
        .bind("projector", projector).execute();
  }

  /**
   * Lets every paused or failed row of a projector run again: the active version catches up,
   * any other rebuilds (under the projector lock).
   */
  void resume(Handle h, String projector) {
    h.createUpdate("UPDATE " + table + " SET state = CASE "
            + "WHEN projector_version = (SELECT active_version FROM " + versionsTable
            + " WHERE projector = :projector) THEN 'CATCHING_UP' ELSE 'REBUILDING' END, "
            + "updated_at = clock_timestamp() WHERE projector = :projector AND state IN ('PAUSED', 'FAILED')")
        .bind("projector", projector).execute();
  }

  /**
   * Moves one row back (or forward) to {@code after}, with nothing processed since: events up to
   * {@code replayUntil} count as replays (under the projector lock).
   */
  void reset(Handle h, PartitionKey k, LogCursor after, LogCursor replayUntil, RowState state) {
    h.createUpdate("UPDATE " + table + " SET cursor_xid = :xid, "
            + "cursor_position = :position, replay_xid = :rxid, replay_position = :rposition, "
            + "processed_events = 0, state = :state, updated_at = clock_timestamp() WHERE " + KEY)
        .bind("xid", after.transactionId()).bind("position", after.position())
        .bind("rxid", replayUntil.transactionId()).bind("rposition", replayUntil.position())
        .bind("state", state.name())
        .bind("projector", k.projector()).bind("version", k.version()).bind("partition", k.partition())
        .execute();
  }

  private static String prefixed(String alias) {
    StringBuilder out = new StringBuilder();
    for (String column : COLUMNS.split(",\\s*")) {
      out.append(out.length() == 0 ? "" : ", ").append(alias).append('.').append(column);
    }
    return out.toString();
  }
}
