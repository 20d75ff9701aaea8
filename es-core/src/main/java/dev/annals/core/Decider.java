package dev.annals.core;

import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * An aggregate's behaviour as three pure functions: no base class, no framework calls, no I/O.
 *
 * <pre>{@code
 * Decider<AccountCommand, Account, AccountEvent> decider = Decider.of(
 *     () -> Account.NONE,
 *     Account::apply,                       // evolve: state + event -> state
 *     (command, account) -> account.handle(command));  // decide: events, or a DomainException
 * }</pre>
 *
 * @param <C> command type
 * @param <S> state type
 * @param <E> event type
 */
public interface Decider<C, S, E> {

  /** The state of an aggregate with no events. */
  S initialState();

  /** The state after {@code event}. Must not fail for any event {@link #decide} produced. */
  S evolve(S state, E event);

  /**
   * The events a command produces in a state; an empty list when it changes nothing.
   *
   * @throws DomainException when the command is refused
   */
  List<E> decide(C command, S state);

  /** A decider from three functions. */
  static <C, S, E> Decider<C, S, E> of(Supplier<S> initialState, BiFunction<S, E, S> evolve,
      BiFunction<C, S, List<E>> decide) {
    Objects.requireNonNull(initialState, "initialState");
    Objects.requireNonNull(evolve, "evolve");
    Objects.requireNonNull(decide, "decide");
    return new Decider<>() {
      @Override
      public S initialState() {
        return initialState.get();
      }

      @Override
      public S evolve(S state, E event) {
        return evolve.apply(state, event);
      }

      @Override
      public List<E> decide(C command, S state) {
        return decide.apply(command, state);
      }
    };
  }

  /** The state after applying {@code events} in order to {@code state}. */
  default S fold(S state, Iterable<? extends E> events) {
    S s = state;
    for (E e : events) {
      s = evolve(s, e);
    }
    return s;
  }
}
