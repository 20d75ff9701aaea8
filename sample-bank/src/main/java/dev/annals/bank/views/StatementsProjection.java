package dev.annals.bank.views;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.bank.domain.AccountEvent.TransferCredited;
import dev.annals.bank.domain.AccountEvent.TransferDebited;
import dev.annals.bank.domain.AccountEvent.TransferRefunded;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.domain.Money;
import dev.annals.core.LogFilter;
import dev.annals.core.SubjectForgotten;
import dev.annals.core.RecordedEvent;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.Projector;
import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Currency;
import java.util.List;
import org.jdbi.v3.core.Handle;

/**
 * The {@code statements} read model: each money movement of each account with the balance after
 * it, as a bank statement shows it. Readers query the view {@code <schema>.statements}.
 */
public final class StatementsProjection {

  /** The projector's name, also the name of the view readers query. */
  public static final String NAME = "statements";

  private static final String TABLE = "statements";

  /** One line of a statement. */
  public record Line(String account, long version, long position, Instant recordedAt, String kind,
      Money amount, Money balance, String reference) {}

  /** Projects the account events into the {@code statements} table, exactly once. */
  public static final Projector PROJECTOR = Projector.builder(NAME)
      // v2 keeps the owner's customer id on the opening line, to erase the name it quotes.
      .version(2)
      .filter(LogFilter.categories(Account.TYPE.category(), SubjectForgotten.CATEGORY))
      .tables(TABLE)
      .setup(t -> t.handle().execute("CREATE TABLE " + t.table(TABLE) + " (account text NOT NULL, "
          + "version bigint NOT NULL, position bigint NOT NULL, recorded_at timestamptz NOT NULL, "
          + "kind text NOT NULL, currency text NOT NULL, amount numeric NOT NULL, balance numeric NOT NULL, "
          + "reference text, customer text, PRIMARY KEY (account, version))"))
      .reset(Refold.of(TABLE, Account.TYPE.category(), StatementsProjection::apply))
      .handler((event, ctx) -> apply(event, ctx.handle(), ctx.table(TABLE)))
      .build();

  private StatementsProjection() {}

  private static void apply(RecordedEvent event, Handle handle, String table) {
    Object payload = event.payload();
    if (payload instanceof Opened opened) {
      line(handle, table, event, "opened", Money.zero(opened.currency()), "owner " + opened.owner());
      handle.execute("UPDATE " + table + " SET customer = ? WHERE account = ? AND version = ?",
          opened.customer(), event.streamId().id(), event.version());
    } else if (payload instanceof SubjectForgotten forgotten) {
      handle.execute("UPDATE " + table + " SET reference = ? WHERE customer = ?", "owner " + Account.ERASED,
          forgotten.subject());
    } else if (payload instanceof Deposited d) {
      line(handle, table, event, "deposit", d.amount(), null);
    } else if (payload instanceof Withdrawn w) {
      line(handle, table, event, "withdrawal", w.amount().negate(), null);
    } else if (payload instanceof TransferDebited t) {
      line(handle, table, event, "transfer-out", t.amount().negate(), "transfer " + t.transferId() + " to " + t.target());
    } else if (payload instanceof TransferCredited t) {
      line(handle, table, event, "transfer-in", t.amount(), "transfer " + t.transferId() + " from " + t.source());
    } else if (payload instanceof TransferRefunded t) {
      line(handle, table, event, "refund", t.amount(), "transfer " + t.transferId() + " refunded: " + t.reason());
    }
    // Freezing, unfreezing and closing move no money: they are not statement lines.
  }

  private static void line(Handle handle, String table, RecordedEvent event, String kind, Money amount,
      String reference) {
    String account = event.streamId().id();
    BigDecimal before = handle.createQuery("SELECT balance FROM " + table
            + " WHERE account = ? ORDER BY version DESC LIMIT 1")
        .bind(0, account).mapTo(BigDecimal.class).findOne().orElse(BigDecimal.ZERO);
    handle.execute("INSERT INTO " + table + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", account,
        event.version(), event.position(), Timestamp.from(event.recordedAt()), kind,
        amount.currency().getCurrencyCode(), amount.amount(), before.add(amount.amount()), reference);
  }

  /** The statement of {@code account}, oldest line first; empty when there is none. */
  public static List<Line> read(PostgresEventStore store, String account) {
    return store.withHandle("read the statements view", h -> h.createQuery("SELECT * FROM " + store.schema() + "." + NAME
            + " WHERE account = ? ORDER BY version").bind(0, account)
        .map((rs, c) -> {
          Currency currency = Currency.getInstance(rs.getString("currency"));
          return new Line(rs.getString("account"), rs.getLong("version"), rs.getLong("position"),
              rs.getTimestamp("recorded_at").toInstant(), rs.getString("kind"),
              new Money(rs.getBigDecimal("amount"), currency), new Money(rs.getBigDecimal("balance"), currency),
              rs.getString("reference"));
        }).list());
  }
}
