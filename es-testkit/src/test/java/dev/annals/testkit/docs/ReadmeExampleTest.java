package dev.annals.testkit.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import dev.annals.core.InMemoryEventStore;
import dev.annals.testkit.AggregateFixture;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** The example in README.md; it compiles and passes, so the documented usage cannot rot. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ReadmeExampleTest {

  // tag::readme-example[]
  sealed interface Command {}
  record Deposit(long cents) implements Command {}

  sealed interface Event {}
  record Deposited(long cents) implements Event {}

  record Wallet(long cents) {}

  static final Decider<Command, Wallet, Event> WALLET = Decider.of(
      () -> new Wallet(0),
      (wallet, event) -> new Wallet(wallet.cents() + ((Deposited) event).cents()),
      (command, wallet) -> {
        long cents = ((Deposit) command).cents();
        if (cents <= 0) {
          throw new DomainException("a deposit must be positive, was " + cents);
        }
        return List.of(new Deposited(cents));
      });

  static final EventRegistry EVENTS = EventRegistry.builder().register(Deposited.class, "Deposited").build();

  @Test
  void a_deposit_adds_to_the_wallet() {
    AggregateFixture.of(WALLET, EVENTS)
        .given(new Deposited(500))
        .when(new Deposit(250))
        .thenEvents(new Deposited(250))
        .thenState(new Wallet(750));
  }
  // end::readme-example[]

  @Test
  void the_wallet_runs_in_a_repository() {
    // tag::readme-repository[]
    AggregateType<Command, Wallet, Event> type = AggregateType.builder("wallet", Event.class, WALLET).build();
    try (var wallets = AggregateRepository.builder(type, InMemoryEventStore.create(EVENTS)).build()) {
      wallets.handle("w-1", new Deposit(250));
      assertThat(wallets.load("w-1").state()).isEqualTo(new Wallet(250));
    }
    // end::readme-repository[]
  }

  @Test
  void a_negative_deposit_is_refused() {
    AggregateFixture.of(WALLET, EVENTS).given()
        .when(new Deposit(-1))
        .thenError(DomainException.class, "a deposit must be positive, was -1");
  }
}
