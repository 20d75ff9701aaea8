package dev.annals.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class AggregateFixtureTest {

  sealed interface Cmd {}

  record Add(String item, int qty) implements Cmd {}

  record Checkout() implements Cmd {}

  sealed interface Evt {}

  record Added(String item, int qty) implements Evt {}

  record CheckedOut(int items) implements Evt {}

  /** Not registered: a fixture must catch it. */
  record Sneaky(String x) implements Evt {}

  record Cart(int items, boolean done) {}

  static final class CartIsEmpty extends DomainException {
    private static final long serialVersionUID = 1L;

    CartIsEmpty() {
      super("cannot check out an empty cart");
    }
  }

  static final Decider<Cmd, Cart, Evt> DECIDER = Decider.of(
      () -> new Cart(0, false),
      (c, e) -> e instanceof Added a ? new Cart(c.items() + a.qty(), false)
          : e instanceof CheckedOut ? new Cart(c.items(), true) : c,
      (cmd, c) -> {
        if (cmd instanceof Add a) {
          return a.item().equals("sneaky") ? List.of(new Sneaky("x")) : List.of(new Added(a.item(), a.qty()));
        }
        if (c.done()) {
          return List.of();
        }
        if (c.items() == 0) {
          throw new CartIsEmpty();
        }
        return List.of(new CheckedOut(c.items()));
      });

  static final EventRegistry REGISTRY = EventRegistry.builder()
      .register(Added.class, "Added")
      .register(CheckedOut.class, "CheckedOut")
      .build();

  static final AggregateType<Cmd, Cart, Evt> CART = AggregateType.builder("cart", Evt.class, DECIDER)
      .snapshots(Cart.class, 1).build();

  final AggregateFixture<Cmd, Cart, Evt> cart = AggregateFixture.of(CART, REGISTRY);

  @Test
  void passing_expectations_chain() {
    cart.given(new Added("apple", 2))
        .when(new Checkout())
        .thenEvents(new CheckedOut(2))
        .thenState(new Cart(2, true));
    cart.given(new Added("apple", 2), new CheckedOut(2)).when(new Checkout()).thenNothing();
    cart.given().when(new Checkout()).thenError(CartIsEmpty.class, "empty cart");
  }

  @Test
  void wrong_events_are_shown_side_by_side_field_by_field() {
    assertThatThrownBy(() -> cart.given(new Added("apple", 2)).when(new Checkout())
        .thenEvents(new CheckedOut(3)))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("produced other events than expected")
        .hasMessageContaining("expected 1 event(s), got 1")
        .hasMessageMatching("(?s).*✗ items\\s+\\| 3\\s+\\| 2.*");
  }

  @Test
  void missing_and_extra_events_are_listed() {
    assertThatThrownBy(() -> cart.given().when(new Add("pear", 1)).thenEvents(new Added("pear", 1),
        new CheckedOut(1)))
        .hasMessageContaining("expected 2 event(s), got 1")
        .hasMessageMatching("(?s).*✗ \\[1\\].*CheckedOut.*\\(none\\).*");
    assertThatThrownBy(() -> cart.given().when(new Add("pear", 1)).thenNothing())
        .hasMessageContaining("expected to change nothing")
        .hasMessageContaining("pear");
  }

  @Test
  void an_unexpected_error_is_reported_with_its_cause() {
    AssertionFailedError e = (AssertionFailedError) org.assertj.core.api.Assertions.catchThrowable(
        () -> cart.given().when(new Checkout()).thenEvents(new CheckedOut(0)));
    assertThat(e.getMessage()).contains("failed with").contains(CartIsEmpty.class.getName())
        .contains("empty cart");
    assertThat(e.getCause()).isInstanceOf(CartIsEmpty.class);
  }

  @Test
  void an_expected_error_that_does_not_happen_is_reported() {
    assertThatThrownBy(() -> cart.given(new Added("a", 1)).when(new Checkout())
        .thenError(CartIsEmpty.class, "empty"))
        .hasMessageContaining("was expected to fail with CartIsEmpty")
        .hasMessageContaining("CheckedOut[items=1]");
  }

  @Test
  void an_error_of_another_type_or_message_is_reported() {
    assertThatThrownBy(() -> cart.given().when(new Checkout()).thenError(IllegalStateException.class, "x"))
        .hasMessageContaining("instead of java.lang.IllegalStateException");
    assertThatThrownBy(() -> cart.given().when(new Checkout()).thenError(CartIsEmpty.class, "full"))
        .hasMessageContaining("does not contain \"full\"")
        .hasMessageContaining("cannot check out an empty cart");
  }

  @Test
  void a_wrong_state_is_shown_field_by_field() {
    assertThatThrownBy(() -> cart.given(new Added("a", 1)).when(new Add("b", 1)).thenState(new Cart(3, false)))
        .hasMessageContaining("differs from the expected state")
        .hasMessageMatching("(?s).*✗ items\\s+\\| 3\\s+\\| 2.*");
  }

  @Test
  void an_event_that_cannot_be_stored_fails_the_test() {
    assertThatThrownBy(() -> cart.given(new Sneaky("x")))
        .isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("cannot be stored and read back")
        .hasMessageContaining("Sneaky");
    assertThatThrownBy(() -> cart.given().when(new Add("sneaky", 1)).thenEvents(new Sneaky("x")))
        .hasMessageContaining("produced event");
  }

  /** Its second field is not written, so it comes back as null. */
  record Lossy(String name, @com.fasterxml.jackson.annotation.JsonIgnore String derived) {}

  @Test
  void an_event_that_changes_in_a_round_trip_fails_the_test() {
    Decider<Cmd, Cart, Object> d = Decider.of(() -> new Cart(0, false), (c, e) -> c, (cmd, c) -> List.of());
    // A lenient mapper lets the loss through to the equality check; the default one refuses earlier.
    EventRegistry r = EventRegistry.builder().register(Lossy.class, "Lossy")
        .objectMapper(EventRegistry.defaultObjectMapper().configure(
            com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES, false))
        .build();
    AggregateFixture<Cmd, Cart, Object> f = AggregateFixture.of(d, r);
    assertThatThrownBy(() -> f.given(new Lossy("a", "not derived")))
        .hasMessageContaining("changes in a serialization round trip")
        .hasMessageMatching("(?s).*✗ derived\\s+\\| not derived\\s+\\| null.*");
  }
}
