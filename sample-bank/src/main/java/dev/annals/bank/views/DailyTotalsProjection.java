package dev.annals.bank.views;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.TransferCredited;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.domain.Money;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.Projector;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Currency;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * The {@code daily_totals} read model: per day (UTC, by the time each event was recorded) and
 * currency, the money deposited, withdrawn and transferred between accounts, and the number of
 * movements. Refunds undo a transfer's debit and are not counted as transfers.
 */
public final class DailyTotalsProjection {

  /** The projector's name, also the name of the view readers query. */
  public static final String NAME = "daily_totals";

  private static final String TABLE = "daily_totals";

  /** One day's totals in one currency. */
  public record Totals(LocalDate day, Currency currency, BigDecimal deposited, BigDecimal withdrawn,
      BigDecimal transferred, long movements) {}

  /** Projects the account events into the {@code daily_totals} table, exactly once. */
  public static final Projector PROJECTOR = Projector.builder(NAME)
      .filter(LogFilter.categories(Account.TYPE.category()))
      .tables(TABLE)
      .setup(t -> t.handle().execute("CREATE TABLE " + t.table(TABLE) + " (day date NOT NULL, "
          + "currency text NOT NULL, deposited numeric NOT NULL DEFAULT 0, withdrawn numeric NOT NULL DEFAULT 0, "
          + "transferred numeric NOT NULL DEFAULT 0, movements bigint NOT NULL DEFAULT 0, "
          + "PRIMARY KEY (day, currency))"))
      .reset(Refold.of(TABLE, Account.TYPE.category(), DailyTotalsProjection::apply))
      .handler((event, ctx) -> apply(event, ctx.handle(), ctx.table(TABLE)))
      .build();

  private DailyTotalsProjection() {}

  private static void apply(RecordedEvent event, Handle handle, String table) {
    Object payload = event.payload();
    if (payload instanceof Deposited d) {
      add(handle, table, event, d.amount(), "deposited");
    } else if (payload instanceof Withdrawn w) {
      add(handle, table, event, w.amount(), "withdrawn");
    } else if (payload instanceof TransferCredited t) {
      // Counted once, where it arrives: a transfer that was refunded never arrived.
      add(handle, table, event, t.amount(), "transferred");
    }
  }

  private static void add(Handle handle, String table, RecordedEvent event, Money amount, String column) {
    LocalDate day = LocalDate.ofInstant(event.recordedAt(), ZoneOffset.UTC);
    handle.execute("INSERT INTO " + table + " (day, currency, " + column + ", movements) "
        + "VALUES (?, ?, ?, 1) ON CONFLICT (day, currency) DO UPDATE SET " + column + " = "
        + table + "." + column + " + excluded." + column + ", movements = "
        + table + ".movements + 1", day, amount.currency().getCurrencyCode(), amount.amount());
  }

  /** Every day's totals, oldest first, currencies in alphabetical order. */
  public static List<Totals> read(PostgresEventStore store) {
    return store.withHandle("read the daily totals view", h -> h.createQuery("SELECT * FROM " + store.schema() + "." + NAME
            + " ORDER BY day, currency")
        .map((rs, c) -> new Totals(rs.getObject("day", LocalDate.class),
            Currency.getInstance(rs.getString("currency")), rs.getBigDecimal("deposited"),
            rs.getBigDecimal("withdrawn"), rs.getBigDecimal("transferred"), rs.getLong("movements")))
        .list());
  }
}
