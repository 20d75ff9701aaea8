package dev.annals.testkit.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import dev.annals.testkit.AggregateFixture;
import dev.annals.testkit.docs.Wallet.Balance;
import dev.annals.testkit.docs.Wallet.Deposit;
import dev.annals.testkit.docs.Wallet.Deposited;
import dev.annals.testkit.docs.Wallet.InsufficientFunds;
import dev.annals.testkit.docs.Wallet.WalletCommand;
import dev.annals.testkit.docs.Wallet.WalletEvent;
import dev.annals.testkit.docs.Wallet.Withdraw;
import dev.annals.testkit.docs.Wallet.Withdrawn;
import dev.annals.testkit.internal.Snippets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

/** The examples in docs/testing.md, and a check that the failure output it shows is real. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class TestingExamplesTest {

  // tag::fixture-setup[]
  final AggregateFixture<WalletCommand, Balance, WalletEvent> wallet =
      AggregateFixture.of(Wallet.TYPE, Wallet.REGISTRY);
  // end::fixture-setup[]

  // tag::fixture[]
  @Test
  void a_withdrawal_takes_money_out() {
    wallet.given(new Deposited(500))
        .when(new Withdraw(200))
        .thenEvents(new Withdrawn(200))
        .thenState(new Balance(300));
  }

  @Test
  void a_withdrawal_beyond_the_balance_is_refused() {
    wallet.given(new Deposited(500), new Withdrawn(200))
        .when(new Withdraw(400))
        .thenError(InsufficientFunds.class, "cannot withdraw 400 cents: the wallet holds 300");
  }

  @Test
  void a_zero_deposit_changes_nothing() {
    wallet.given(new Deposited(500))
        .when(new Deposit(0))
        .thenNothing();
  }

  @Test
  void events_and_state_are_there_for_custom_assertions() {
    assertThat(wallet.given(new Deposited(500)).when(new Deposit(1)).events())
        .singleElement().isInstanceOf(Deposited.class);
    assertThat(wallet.given(new Deposited(500), new Withdrawn(500)).state())
        .isEqualTo(new Balance(0));
  }
  // end::fixture[]

  @Test
  void a_refusal_may_be_asserted_by_its_supertype() {
    wallet.given().when(new Deposit(-1)).thenError(DomainException.class, "cannot be negative");
    wallet.given(new Deposited(500)).when(new Withdraw(-1))
        .thenError(DomainException.class, "a withdrawal must be positive, was -1");
  }

  @Test
  void an_event_the_registry_cannot_store_fails_the_test() {
    // tag::round-trip[]
    EventRegistry forgetful = EventRegistry.builder().register(Deposited.class, "Deposited").build();
    AggregateFixture<WalletCommand, Balance, WalletEvent> fixture = AggregateFixture.of(Wallet.TYPE, forgetful);

    assertThatThrownBy(() -> fixture.given(new Deposited(500), new Withdrawn(200)))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("given event Withdrawn[cents=200] cannot be stored and read back")
        .hasMessageContaining("register it with EventRegistry.builder().register(Withdrawn.class");
    // end::round-trip[]
  }

  /** What each {@code <!-- output: NAME -->} block in docs/testing.md must show. */
  private Map<String, Throwable> failures() {
    Map<String, Throwable> failures = new LinkedHashMap<>();
    failures.put("wrong-events", catchThrowable(() -> {
      // tag::wrong-events[]
      wallet.given(new Deposited(500))
          .when(new Withdraw(200))
          .thenEvents(new Withdrawn(300), new Deposited(100));
      // end::wrong-events[]
    }));
    failures.put("wrong-state", catchThrowable(() -> {
      // tag::wrong-state[]
      wallet.given(new Deposited(500))
          .when(new Withdraw(200))
          .thenState(new Balance(200));
      // end::wrong-state[]
    }));
    failures.put("unexpected-error", catchThrowable(() -> {
      // tag::unexpected-error[]
      wallet.given(new Deposited(100))
          .when(new Withdraw(200))
          .thenEvents(new Withdrawn(200));
      // end::unexpected-error[]
    }));
    return failures;
  }

  @Test
  void the_failure_output_shown_in_testing_md_is_what_the_fixture_prints() {
    Map<String, Throwable> failures = failures();
    List<Snippets.Block> shown = Snippets.blocks(Snippets.docs().resolve("testing.md"), "output");
    assertThat(shown).extracting(Snippets.Block::name)
        .as("output blocks in docs/testing.md").containsExactlyInAnyOrderElementsOf(failures.keySet());
    for (Snippets.Block block : shown) {
      Throwable failure = failures.get(block.name());
      assertThat(failure).as(block.name()).isInstanceOf(AssertionFailedError.class);
      assertThat(block.code())
          .as("docs/testing.md line %d: output '%s' should be what the fixture prints now",
              block.line(), block.name())
          .isEqualTo(Snippets.normalize(failure.getMessage()));
    }
  }
}
