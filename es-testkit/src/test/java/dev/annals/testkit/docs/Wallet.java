package dev.annals.testkit.docs;

import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import java.util.List;

/** The aggregate the examples in docs/concepts.md and docs/testing.md use. */
final class Wallet {

  private Wallet() {}

  // tag::wallet-model[]
  sealed interface WalletCommand {}
  record Deposit(long cents) implements WalletCommand {}
  record Withdraw(long cents) implements WalletCommand {}

  sealed interface WalletEvent {}
  record Deposited(long cents) implements WalletEvent {}
  record Withdrawn(long cents) implements WalletEvent {}

  record Balance(long cents) {}
  // end::wallet-model[]

  // tag::wallet-decider[]
  static final Decider<WalletCommand, Balance, WalletEvent> DECIDER =
      Decider.of(() -> new Balance(0), Wallet::evolve, Wallet::decide);

  static Balance evolve(Balance balance, WalletEvent event) {
    if (event instanceof Deposited deposited) {
      return new Balance(balance.cents() + deposited.cents());
    }
    return new Balance(balance.cents() - ((Withdrawn) event).cents());
  }

  static List<WalletEvent> decide(WalletCommand command, Balance balance) {
    if (command instanceof Deposit deposit) {
      if (deposit.cents() < 0) {
        throw new DomainException("a deposit cannot be negative, was " + deposit.cents());
      }
      return deposit.cents() == 0 ? List.of() : List.of(new Deposited(deposit.cents()));
    }
    Withdraw withdraw = (Withdraw) command;
    if (withdraw.cents() <= 0) {
      throw new DomainException("a withdrawal must be positive, was " + withdraw.cents());
    }
    if (withdraw.cents() > balance.cents()) {
      throw new InsufficientFunds(withdraw.cents(), balance.cents());
    }
    return List.of(new Withdrawn(withdraw.cents()));
  }

  static final class InsufficientFunds extends DomainException {
    InsufficientFunds(long asked, long balance) {
      super("cannot withdraw " + asked + " cents: the wallet holds " + balance);
    }
  }
  // end::wallet-decider[]

  // tag::wallet-type[]
  static final EventRegistry REGISTRY = EventRegistry.builder()
      .register(Deposited.class, "Deposited")
      .register(Withdrawn.class, "Withdrawn")
      .build();

  static final AggregateType<WalletCommand, Balance, WalletEvent> TYPE =
      AggregateType.builder("wallet", WalletEvent.class, DECIDER)
          .snapshots(Balance.class, 1)   // the state class and its schema version
          .snapshotEvery(100)
          .build();
  // end::wallet-type[]
}
