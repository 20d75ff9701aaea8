package dev.annals.bank.views;

import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.StoredEvent;
import dev.annals.projections.Projector;
import java.time.OffsetDateTime;
import java.util.UUID;
import org.jdbi.v3.core.Handle;

/**
 * The reset of a bank view that keeps running totals (a balance, a day's sum, a transfer's
 * status), for a replay from any position. Such a view cannot be wound back by deleting rows, so
 * the reset empties it and applies the events up to the target again, in the reset's own
 * transaction; the runner then replays what comes after. The result is the view as it would have
 * been had the projector stopped at the target, which is what "replay from a position" promises.
 */
final class Refold {

  /** Applies one event to a view's table, whether live or while refolding. */
  @FunctionalInterface
  interface Apply {
    void apply(RecordedEvent event, Handle handle, String table);
  }

  private Refold() {}

  /** A reset for the view in logical table {@code table}, fed by the events of {@code category}. */
  static Projector.Reset of(String table, String category, Apply apply) {
    return (t, target) -> {
      String physical = t.table(table);
      t.handle().execute("TRUNCATE " + physical);
      if (target.equals(LogCursor.START)) {
        return;
      }
      String schema = physical.substring(0, physical.indexOf('.'));
      // The reader's order, (transaction id, position), so the prefix is exactly what the
      // projector had seen when its checkpoint was at the target.
      t.handle().createQuery("SELECT position, transaction_id::text AS xid, event_id, stream_id, version, type, "
              + "schema_version, payload::text AS payload, metadata::text AS metadata, recorded_at FROM "
              + schema + ".events WHERE category = :category "
              + "AND (transaction_id, position) <= (:xid::text::xid8, :position) "
              + "ORDER BY transaction_id, position")
          .bind("category", category).bind("xid", target.transactionId()).bind("position", target.position())
          .map((rs, c) -> new StoredEvent(rs.getLong("position"), Long.parseUnsignedLong(rs.getString("xid")),
              rs.getObject("event_id", UUID.class), StreamId.parse(rs.getString("stream_id")),
              rs.getLong("version"), rs.getString("type"), rs.getInt("schema_version"),
              rs.getString("payload"), rs.getString("metadata"),
              rs.getObject("recorded_at", OffsetDateTime.class).toInstant()))
          .list()
          .forEach(stored -> apply.apply(stored.decode(t.registry()), t.handle(), physical));
    };
  }
}
