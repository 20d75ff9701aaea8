package dev.annals.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.core.AggregateRepository;
import dev.annals.core.InMemoryEventStore;
import dev.annals.core.SerializedEvent;
import dev.annals.core.Shredder;
import dev.annals.core.StreamId;
import dev.annals.testkit.AggregateFixture;
import java.util.Currency;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/** The owner's name is personal data of their customer; old events still decode. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class OwnerPersonalDataTest {

  static final Currency EUR = Currency.getInstance("EUR");
  static final Opened OPENED = new Opened("alice", EUR, Money.of("100", "EUR"));

  @Test
  void the_customer_id_is_a_pseudonym_derived_from_the_owner() {
    assertThat(OPENED.customer()).isEqualTo(Account.customerOf("alice")).matches("c-[0-9a-f]{16}")
        .isNotEqualTo(Account.customerOf("bob"));
  }

  @Test
  void an_account_opened_before_names_were_protected_still_decodes_with_its_customer() throws Exception {
    ObjectNode v1 = (ObjectNode) Account.REGISTRY.objectMapper().readTree(Account.REGISTRY.serialize(OPENED).json());
    v1.remove("customer");
    Object decoded = Account.REGISTRY.deserialize(new SerializedEvent("AccountOpened", 1, v1.toString()),
        StreamId.of("account", "1001"), 1, 1).payload();
    assertThat(decoded).isEqualTo(OPENED);
  }

  @Test
  void the_fixture_checks_the_owner_round_trip_encrypted() {
    AggregateFixture.of(Account.TYPE, Account.REGISTRY)
        .given()
        .when(new Open("alice", EUR))
        .thenEvents(OPENED);
  }

  @Test
  void a_forgotten_owner_loads_as_erased_with_the_money_unchanged() {
    InMemoryEventStore store = InMemoryEventStore.create(BankEvents.REGISTRY);
    try (AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts =
        AggregateRepository.builder(Account.TYPE, store).build()) {
      accounts.handle("1001", new Open("alice", EUR));
      accounts.handle("1001", new Deposit(Money.of("25", "EUR")));
      assertThat(accounts.load("1001").state().owner()).isEqualTo("alice");

      Shredder.builder(store).evicting(accounts).build().forget(Account.customerOf("alice"), "dpo", "request 9");

      AccountState state = accounts.load("1001").state();
      assertThat(state.owner()).isEqualTo(Account.ERASED);
      assertThat(state.balance()).isEqualTo(Money.of("25", "EUR"));
      assertThat(store.readStream(StreamId.of("account", "1001")).get(1).payload())
          .isEqualTo(new Deposited(Money.of("25", "EUR")));
    }
  }
}
