package dev.annals.bank.views;

import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.Transfer;
import dev.annals.bank.domain.TransferEvent.CreditRefused;
import dev.annals.bank.domain.TransferEvent.DebitRefused;
import dev.annals.bank.domain.TransferEvent.Requested;
import dev.annals.bank.domain.TransferEvent.SourceDebited;
import dev.annals.bank.domain.TransferEvent.SourceRefunded;
import dev.annals.bank.domain.TransferEvent.TargetCredited;
import dev.annals.bank.domain.TransferState;
import dev.annals.bank.domain.TransferState.Status;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.Projector;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;

/**
 * The {@code transfers} read model: where each transfer is ({@link TransferState.Status}), why a
 * step was refused, and when it last moved.
 */
public final class TransferStatusProjection {

  /** The projector's name, also the name of the view readers query. */
  public static final String NAME = "transfers";

  private static final String TABLE = "transfers";

  /** One transfer as the view shows it. */
  public record View(String transferId, String source, String target, Money amount, Status status,
      String reason, Instant requestedAt, Instant updatedAt) {}

  /** Projects the transfer events into the {@code transfers} table, exactly once. */
  public static final Projector PROJECTOR = Projector.builder(NAME)
      .filter(LogFilter.categories(Transfer.TYPE.category()))
      .tables(TABLE)
      .setup(t -> t.handle().execute("CREATE TABLE " + t.table(TABLE) + " (transfer_id text PRIMARY KEY, "
          + "source text NOT NULL, target text NOT NULL, currency text NOT NULL, amount numeric NOT NULL, "
          + "status text NOT NULL, reason text, requested_at timestamptz NOT NULL, "
          + "updated_at timestamptz NOT NULL, last_position bigint NOT NULL)"))
      .reset(Refold.of(TABLE, Transfer.TYPE.category(), TransferStatusProjection::apply))
      .handler((event, ctx) -> apply(event, ctx.handle(), ctx.table(TABLE)))
      .build();

  private TransferStatusProjection() {}

  private static void apply(RecordedEvent event, Handle handle, String table) {
    String id = event.streamId().id();
    Timestamp at = Timestamp.from(event.recordedAt());
    Object payload = event.payload();
    if (payload instanceof Requested r) {
      handle.execute("INSERT INTO " + table + " VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)", id,
          r.source(), r.target(), r.amount().currency().getCurrencyCode(), r.amount().amount(),
          Status.REQUESTED.name(), at, at, event.position());
      return;
    }
    Status status;
    String reason = null;
    if (payload instanceof SourceDebited) {
      status = Status.DEBITED;
    } else if (payload instanceof DebitRefused refused) {
      status = Status.FAILED;
      reason = refused.reason();
    } else if (payload instanceof TargetCredited) {
      status = Status.COMPLETED;
    } else if (payload instanceof CreditRefused refused) {
      status = Status.REFUNDING;
      reason = refused.reason();
    } else if (payload instanceof SourceRefunded) {
      status = Status.COMPENSATED;
    } else {
      return;
    }
    int updated = handle.execute("UPDATE " + table + " SET status = ?, reason = coalesce(?, reason), "
        + "updated_at = ?, last_position = ? WHERE transfer_id = ?", status.name(), reason, at,
        event.position(), id);
    if (updated != 1) {
      throw new IllegalStateException("no row for transfer " + id + " at position " + event.position()
          + ": its TransferRequested event was not projected");
    }
  }

  /** One transfer, if the view has it. */
  public static Optional<View> read(PostgresEventStore store, String transferId) {
    return store.withHandle("read the transfers view", h -> h.createQuery("SELECT * FROM " + store.schema() + "." + NAME
            + " WHERE transfer_id = ?").bind(0, transferId).map((rs, c) -> view(rs)).findOne());
  }

  /** The latest {@code limit} transfers, newest first. */
  static List<View> latest(PostgresEventStore store, int limit) {
    return store.withHandle("read the transfers view", h -> h.createQuery("SELECT * FROM " + store.schema() + "." + NAME
            + " ORDER BY last_position DESC LIMIT ?").bind(0, limit).map((rs, c) -> view(rs)).list());
  }

  /** How many transfers are in each status. */
  public static Map<Status, Long> countByStatus(PostgresEventStore store) {
    return store.withHandle("count transfers by status", h -> {
      Map<Status, Long> counts = new TreeMap<>();
      h.createQuery("SELECT status, count(*) AS n FROM " + store.schema() + "." + NAME + " GROUP BY status")
          .map((rs, c) -> Map.entry(Status.valueOf(rs.getString("status")), rs.getLong("n")))
          .forEach(e -> counts.put(e.getKey(), e.getValue()));
      return counts;
    });
  }

  private static View view(java.sql.ResultSet rs) throws java.sql.SQLException {
    return new View(rs.getString("transfer_id"), rs.getString("source"), rs.getString("target"),
        new Money(rs.getBigDecimal("amount"), Currency.getInstance(rs.getString("currency"))),
        Status.valueOf(rs.getString("status")), rs.getString("reason"),
        rs.getTimestamp("requested_at").toInstant(), rs.getTimestamp("updated_at").toInstant());
  }
}
