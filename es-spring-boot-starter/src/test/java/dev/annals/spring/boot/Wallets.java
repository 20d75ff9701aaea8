package dev.annals.spring.boot;

import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.projections.Projector;
import java.util.List;

/** Two small aggregates (wallets and tickets) and a read model, as an application declares them. */
final class Wallets {

  private Wallets() {}

  sealed interface WalletCommand {}

  record Deposit(long cents) implements WalletCommand {}

  sealed interface WalletEvent {}

  record Deposited(long cents) implements WalletEvent {}

  record Wallet(long cents) {}

  sealed interface TicketCommand {}

  record Issue(String title) implements TicketCommand {}

  sealed interface TicketEvent {}

  record Issued(String title) implements TicketEvent {}

  record Ticket(String title) {}

  static final EventRegistry REGISTRY = EventRegistry.builder()
      .register(Deposited.class, "Deposited")
      .register(Issued.class, "Issued")
      .build();

  static AggregateType<WalletCommand, Wallet, WalletEvent> walletType(int snapshotEvery) {
    return AggregateType.builder("wallet", WalletEvent.class, Decider.<WalletCommand, Wallet, WalletEvent>of(
            () -> new Wallet(0),
            (wallet, event) -> new Wallet(wallet.cents() + ((Deposited) event).cents()),
            (command, wallet) -> {
              long cents = ((Deposit) command).cents();
              if (cents <= 0) {
                throw new DomainException("a deposit must be positive, was " + cents);
              }
              return List.of(new Deposited(cents));
            }))
        .snapshots(Wallet.class, 1)
        .snapshotEvery(snapshotEvery)
        .build();
  }

  static AggregateType<TicketCommand, Ticket, TicketEvent> ticketType() {
    return AggregateType.builder("ticket", TicketEvent.class, Decider.<TicketCommand, Ticket, TicketEvent>of(
            () -> new Ticket(""),
            (ticket, event) -> new Ticket(((Issued) event).title()),
            (command, ticket) -> List.of(new Issued(((Issue) command).title()))))
        .build();
  }

  /** Sums each wallet's deposits into the table {@code balances}. */
  static Projector balances() {
    return Projector.builder("balances")
        .filter(LogFilter.categories("wallet"))
        .tables("balances")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("balances")
            + " (wallet text PRIMARY KEY, cents bigint NOT NULL)"))
        .handler((event, ctx) -> ctx.handle().execute("INSERT INTO " + ctx.table("balances")
            + " VALUES (?, ?) ON CONFLICT (wallet) DO UPDATE SET cents = " + ctx.table("balances")
            + ".cents + excluded.cents", event.streamId().id(), event.payload(Deposited.class).cents()))
        .build();
  }
}
