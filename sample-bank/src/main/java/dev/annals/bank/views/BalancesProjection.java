package dev.annals.bank.views;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.AccountEvent.Closed;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Frozen;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.bank.domain.AccountEvent.TransferCredited;
import dev.annals.bank.domain.AccountEvent.TransferDebited;
import dev.annals.bank.domain.AccountEvent.TransferRefunded;
import dev.annals.bank.domain.AccountEvent.Unfrozen;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.domain.Money;
import dev.annals.core.LogFilter;
import dev.annals.core.SubjectForgotten;
import dev.annals.core.RecordedEvent;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.Projector;
import java.math.BigDecimal;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code balances} read model: one row per account with its owner, currency, balance, status
 * and the log position of the last event applied (the owner's name reads {@value Account#ERASED}
 * once the customer is forgotten), kept up to date by a projector in the event store's
 * schema. Readers query the view {@code <schema>.balances}.
 */
public final class BalancesProjection {

  /** The projector's name, also the name of the view readers query. */
  public static final String NAME = "balances";

  private static final String TABLE = "balances";

  private static final Logger LOG = LoggerFactory.getLogger(BalancesProjection.class);

  /** One account as the view shows it. */
  public record Balance(String account, String owner, Money balance, String status, long lastPosition) {}

  /** Projects the account events into the {@code balances} table, exactly once. */
  public static final Projector PROJECTOR = Projector.builder(NAME)
      // v2 keeps the owner's customer id, to erase the owner's name when the customer is forgotten.
      .version(2)
      .filter(LogFilter.categories(Account.TYPE.category(), SubjectForgotten.CATEGORY))
      .tables(TABLE)
      .setup(t -> t.handle().execute("CREATE TABLE " + t.table(TABLE) + " (account text PRIMARY KEY, "
          + "owner text NOT NULL, currency text NOT NULL, balance numeric NOT NULL, status text NOT NULL, "
          + "last_position bigint NOT NULL, customer text NOT NULL)"))
      .reset(Refold.of(TABLE, Account.TYPE.category(), BalancesProjection::apply))
      .handler((event, ctx) -> {
        apply(event, ctx.handle(), ctx.table(TABLE));
        // Logged while the batch's span is current: bank serve shows the command's trace id on it.
        LOG.debug("applied {} of {} at position {}", event.type(), event.streamId(), event.position());
      })
      .build();

  private BalancesProjection() {}

  private static void apply(RecordedEvent event, Handle handle, String table) {
    // One row per public account id, across the streams of its years.
    String account = Account.accountOf(event.streamId().id());
    Object payload = event.payload();
    if (payload instanceof AccountEvent.BalanceCarriedForward carried) {
      // The row goes on; rebuilt after last year's stream was archived, it starts here (the name
      // is not carried forward, so the owner reads as the customer id).
      handle.execute("INSERT INTO " + table + " VALUES (?, ?, ?, ?, 'OPEN', ?, ?) ON CONFLICT (account) DO UPDATE "
              + "SET balance = EXCLUDED.balance, status = 'OPEN', last_position = EXCLUDED.last_position",
          account, carried.customer(), carried.balance().currency().getCurrencyCode(), carried.balance().amount(),
          event.position(), carried.customer());
    } else if (payload instanceof Opened opened) {
      handle.execute("INSERT INTO " + table + " VALUES (?, ?, ?, 0, 'OPEN', ?, ?)", account,
          opened.owner(), opened.currency().getCurrencyCode(), event.position(), opened.customer());
    } else if (payload instanceof SubjectForgotten forgotten) {
      // The view's copy of the name goes; the log's stays as ciphertext whose key is destroyed.
      handle.execute("UPDATE " + table + " SET owner = ? WHERE customer = ?", Account.ERASED, forgotten.subject());
    } else if (payload instanceof Deposited d) {
      move(handle, table, account, d.amount().amount(), event.position());
    } else if (payload instanceof Withdrawn w) {
      move(handle, table, account, w.amount().amount().negate(), event.position());
    } else if (payload instanceof TransferDebited t) {
      move(handle, table, account, t.amount().amount().negate(), event.position());
    } else if (payload instanceof TransferCredited t) {
      move(handle, table, account, t.amount().amount(), event.position());
    } else if (payload instanceof TransferRefunded t) {
      move(handle, table, account, t.amount().amount(), event.position());
    } else if (payload instanceof Frozen) {
      status(handle, table, account, "FROZEN", event.position());
    } else if (payload instanceof Unfrozen) {
      status(handle, table, account, "OPEN", event.position());
    } else if (payload instanceof Closed) {
      status(handle, table, account, "CLOSED", event.position());
    }
  }

  private static void status(Handle handle, String table, String account, String status, long position) {
    handle.execute("UPDATE " + table + " SET status = ?, last_position = ? WHERE account = ?",
        status, position, account);
  }

  private static void move(Handle handle, String table, String account, BigDecimal delta,
      long position) {
    int updated = handle.execute("UPDATE " + table + " SET balance = balance + ?, last_position = ? "
        + "WHERE account = ?", delta, position, account);
    if (updated != 1) {
      throw new IllegalStateException("no balance row for account " + account + " at position "
          + position + ": its Opened event was not projected");
    }
  }

  /** Every account in the view, by account id. */
  public static List<Balance> rows(PostgresEventStore store) {
    return store.withHandle("read the balances view", h -> h.createQuery("SELECT * FROM " + store.schema() + "." + NAME
            + " ORDER BY account")
        .map((rs, c) -> new Balance(rs.getString("account"), rs.getString("owner"),
            new Money(rs.getBigDecimal("balance"), Currency.getInstance(rs.getString("currency"))),
            rs.getString("status"), rs.getLong("last_position")))
        .list());
  }

  /** The projected balances by account id, read through the view. */
  public static Map<String, Money> read(PostgresEventStore store) {
    return store.withHandle("read the balances view", h -> {
      Map<String, Money> balances = new TreeMap<>();
      h.createQuery("SELECT account, currency, balance FROM " + store.schema() + "." + NAME)
          .map((rs, c) -> Map.entry(rs.getString("account"), new Money(rs.getBigDecimal("balance"),
              Currency.getInstance(rs.getString("currency")))))
          .forEach(e -> balances.put(e.getKey(), e.getValue()));
      return balances;
    });
  }
}
