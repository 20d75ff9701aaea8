package dev.annals.core;

import java.util.List;

/** A small account aggregate the core tests share. */
final class TestAccount {

  private TestAccount() {}

  sealed interface Command {}

  record Open(String owner) implements Command {}

  record Deposit(long amount) implements Command {}

  record Withdraw(long amount) implements Command {}

  sealed interface Event {}

  record Opened(String owner) implements Event {}

  record Deposited(long amount) implements Event {}

  record Withdrawn(long amount) implements Event {}

  record State(boolean open, long balance) {
    static final State NONE = new State(false, 0);
  }

  static final class Refused extends DomainException {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  static final Decider<Command, State, Event> DECIDER = Decider.of(
      () -> State.NONE,
      (s, e) -> {
        if (e instanceof Opened) {
          return new State(true, 0);
        }
        if (e instanceof Deposited d) {
          return new State(true, s.balance() + d.amount());
        }
        return new State(true, s.balance() - ((Withdrawn) e).amount());
      },
      (c, s) -> {
        if (c instanceof Open o) {
          return s.open() ? List.of() : List.of(new Opened(o.owner()));
        }
        if (!s.open()) {
          throw new Refused("account is not open");
        }
        if (c instanceof Deposit d) {
          return List.of(new Deposited(d.amount()));
        }
        Withdraw w = (Withdraw) c;
        if (w.amount() > s.balance()) {
          throw new Refused("insufficient funds: balance " + s.balance() + ", asked " + w.amount());
        }
        return List.of(new Withdrawn(w.amount()));
      });

  static final EventRegistry REGISTRY = EventRegistry.builder()
      .register(Opened.class, "AccountOpened")
      .register(Deposited.class, "MoneyDeposited")
      .register(Withdrawn.class, "MoneyWithdrawn")
      .build();

  static AggregateType<Command, State, Event> type(int snapshotEvery) {
    return AggregateType.builder("account", Event.class, DECIDER)
        .snapshots(State.class, 1)
        .snapshotEvery(snapshotEvery)
        .build();
  }
}
