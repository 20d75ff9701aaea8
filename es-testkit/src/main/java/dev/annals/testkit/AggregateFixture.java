package dev.annals.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.PersonalData;
import dev.annals.core.SerializedEvent;
import dev.annals.core.StreamId;
import dev.annals.core.SubjectKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.opentest4j.AssertionFailedError;

/**
 * Given-when-then tests for a {@link Decider}, without a store:
 *
 * <pre>{@code
 * AggregateFixture<AccountCommand, Account, AccountEvent> account =
 *     AggregateFixture.of(Bank.ACCOUNT, Bank.REGISTRY);
 *
 * account.given(new Opened("alice", EUR), new Deposited(eur("10")))
 *     .when(new Withdraw(eur("25")))
 *     .thenError(InsufficientFunds.class, "balance 10.00 EUR");
 * }</pre>
 *
 * <p>Besides the decision, the fixture checks that every given event, every produced event and
 * the resulting state survive a round trip through the {@link EventRegistry}: a class that
 * cannot be stored fails here, in the test, rather than in production. Events that declare
 * {@link PersonalData} make that trip encrypted (with in-memory subject keys unless the registry
 * has its own), must be stored with their protected fields as ciphertext, and must still decode
 * once their subject is forgotten.
 *
 * <p>Failures are {@link AssertionFailedError}s that show expected and actual events side by side,
 * field by field. Fixtures are immutable and may be shared between tests.
 *
 * @param <C> command type
 * @param <S> state type
 * @param <E> event type
 */
public final class AggregateFixture<C, S, E> {

  private static final StreamId FIXTURE_STREAM = StreamId.of("fixture", "1");

  private final Decider<C, S, E> decider;
  private final EventRegistry registry;
  private final Optional<Class<S>> stateType;

  private AggregateFixture(Decider<C, S, E> decider, EventRegistry registry,
      Optional<Class<S>> stateType) {
    this.decider = Objects.requireNonNull(decider, "decider must not be null");
    Objects.requireNonNull(registry, "registry must not be null");
    // Personal data is checked encrypted, as stores keep it.
    this.registry = registry.subjectKeys().isPresent() || !registry.declaresPersonalData() ? registry
        : registry.withSubjectKeys(SubjectKeys.inMemory());
    this.stateType = stateType;
  }

  /**
   * A fixture for an aggregate type; its state is round-tripped when the type has snapshots
   * enabled (its state class is known).
   */
  public static <C, S, E> AggregateFixture<C, S, E> of(AggregateType<C, S, E> type,
      EventRegistry registry) {
    return new AggregateFixture<>(type.decider(), registry, type.stateType());
  }

  /** A fixture for a bare decider; the state is not round-tripped. */
  public static <C, S, E> AggregateFixture<C, S, E> of(Decider<C, S, E> decider,
      EventRegistry registry) {
    return new AggregateFixture<>(decider, registry, Optional.empty());
  }

  /** The events that happened before the command. */
  @SafeVarargs
  public final Given given(E... events) {
    return given(copy(events));
  }

  private static <T> List<T> copy(T[] values) {
    // A loop rather than Arrays.asList: handing a generic varargs array on is what -Xlint flags.
    List<T> list = new ArrayList<>(values.length);
    for (T v : values) {
      list.add(v);
    }
    return list;
  }

  /** The events that happened before the command. */
  public Given given(List<? extends E> events) {
    List<E> copy = new ArrayList<>();
    for (E e : events) {
      copy.add(roundTripEvent(Objects.requireNonNull(e, "given events must not contain null"), "given"));
    }
    return new Given(copy);
  }

  /** The history of the aggregate, before a command is sent. */
  public final class Given {
    private final List<E> history;

    private Given(List<E> history) {
      this.history = history;
    }

    /** Decides {@code command} against the state the given events produce. */
    public Then when(C command) {
      Objects.requireNonNull(command, "command must not be null");
      S state = decider.fold(decider.initialState(), history);
      try {
        List<E> produced = decider.decide(command, state);
        if (produced == null) {
          throw new AssertionFailedError("decide returned null for " + command
              + "; return List.of() when a command changes nothing");
        }
        return new Then(command, state, List.copyOf(produced), null);
      } catch (RuntimeException e) {
        return new Then(command, state, null, e);
      }
    }

    /** The state the given events produce, without a command. */
    public S state() {
      return decider.fold(decider.initialState(), history);
    }
  }

  /** The outcome of a command, to assert on. Each assertion returns this for chaining. */
  public final class Then {
    private final C command;
    private final S before;
    private final List<E> produced;
    private final RuntimeException error;

    private Then(C command, S before, List<E> produced, RuntimeException error) {
      this.command = command;
      this.before = before;
      this.produced = produced;
      this.error = error;
    }

    /** Asserts the command produced exactly these events, in this order. */
    @SafeVarargs
    public final Then thenEvents(E... expected) {
      List<E> want = copy(expected);
      List<E> actual = producedOrFail("events " + want);
      if (!want.equals(actual)) {
        throw new AssertionFailedError("command " + command + " produced other events than expected\n"
            + Diff.events(want, actual), want, actual);
      }
      for (E e : actual) {
        roundTripEvent(e, "produced");
      }
      return this;
    }

    /** Asserts the command changed nothing: no events and no error. */
    public Then thenNothing() {
      List<E> actual = producedOrFail("no events");
      if (!actual.isEmpty()) {
        throw new AssertionFailedError("command " + command + " was expected to change nothing\n"
            + Diff.events(List.of(), actual), List.of(), actual);
      }
      return this;
    }

    /** Asserts the state after applying the produced events to the given ones. */
    public Then thenState(S expected) {
      List<E> actual = producedOrFail("state " + expected);
      S after = decider.fold(before, actual);
      if (!Objects.equals(expected, after)) {
        throw new AssertionFailedError("state after " + command + " differs from the expected state\n"
            + Diff.values("state", expected, after), expected, after);
      }
      roundTripState(after);
      return this;
    }

    /**
     * Asserts the command was refused with an exception of {@code type} whose message contains
     * {@code messageContains}.
     */
    public Then thenError(Class<? extends RuntimeException> type, String messageContains) {
      if (error == null) {
        throw new AssertionFailedError("command " + command + " was expected to fail with "
            + type.getSimpleName() + " (\"" + messageContains + "\") but produced "
            + Diff.list(produced));
      }
      if (!type.isInstance(error)) {
        AssertionFailedError failure = new AssertionFailedError("command " + command
            + " failed with " + error.getClass().getName() + " instead of " + type.getName()
            + ": " + error.getMessage(), type.getName(), error.getClass().getName());
        failure.initCause(error);
        throw failure;
      }
      String message = String.valueOf(error.getMessage());
      if (messageContains != null && !message.contains(messageContains)) {
        throw new AssertionFailedError("command " + command + " failed with "
            + type.getSimpleName() + " as expected, but its message does not contain \""
            + messageContains + "\":\n  " + message, messageContains, message);
      }
      return this;
    }

    /** The events the command produced, for custom assertions. */
    public List<E> events() {
      return producedOrFail("events");
    }

    private List<E> producedOrFail(String expectation) {
      if (error != null) {
        AssertionFailedError failure = new AssertionFailedError("command " + command + " was expected to give "
            + expectation + " but failed with " + error.getClass().getName() + ": "
            + error.getMessage());
        failure.initCause(error);
        throw failure;
      }
      return produced;
    }
  }

  private E roundTripEvent(E event, String role) {
    SerializedEvent stored;
    Object back;
    UUID eventId = UUID.randomUUID();
    try {
      stored = registry.serialize(event, eventId, FIXTURE_STREAM);
      back = registry.deserialize(stored, eventId, FIXTURE_STREAM, 1, 1).payload();
      checkPersonalData(event, role, stored, eventId);
    } catch (RuntimeException e) {
      AssertionFailedError failure = new AssertionFailedError(role + " event " + event
          + " cannot be stored and read back: " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
    if (!event.equals(back)) {
      throw new AssertionFailedError(role + " event " + event.getClass().getSimpleName()
          + " changes in a serialization round trip (as " + stored.json() + ")\n"
          + Diff.values("event", event, back), event, back);
    }
    return event;
  }

  /**
   * Protected fields must be stored encrypted, and the event must still decode once its subject
   * is forgotten (each erased value fits its field), so that aggregates holding it still load.
   */
  private void checkPersonalData(E event, String role, SerializedEvent stored, UUID eventId) {
    Optional<PersonalData<?>> declared = registry.personalData(event.getClass());
    if (declared.isEmpty()) {
      return;
    }
    JsonNode plain = registry.objectMapper().valueToTree(event);
    JsonNode json;
    try {
      json = registry.objectMapper().readTree(stored.json());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    for (String pointer : declared.get().fields().keySet()) {
      JsonNode value = plain.at(pointer);
      if (!value.isMissingNode() && !value.isNull() && !json.at(pointer).has("annals:pii")) {
        throw new AssertionFailedError(role + " event " + event.getClass().getSimpleName()
            + " declares " + pointer + " as personal data but it is stored in plain text: " + stored.json());
      }
    }
    String subject = registry.subjectOf(event).orElseThrow();
    SubjectKeys forgotten = SubjectKeys.inMemory();
    forgotten.destroy(subject);
    try {
      registry.withSubjectKeys(forgotten).deserialize(stored, eventId, FIXTURE_STREAM, 1, 1);
    } catch (RuntimeException e) {
      AssertionFailedError failure = new AssertionFailedError(role + " event " + event
          + " cannot be read once subject " + subject + " is forgotten (does each erased value fit"
          + " its field? see PersonalData.erasedAs): " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }

  private void roundTripState(S state) {
    if (stateType.isEmpty()) {
      return;
    }
    Object back;
    String json;
    try {
      json = registry.toJson(state);
      back = registry.fromJson(json, stateType.get());
    } catch (RuntimeException e) {
      AssertionFailedError failure = new AssertionFailedError("state " + state
          + " cannot be snapshotted and read back: " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
    if (!state.equals(back)) {
      throw new AssertionFailedError("state changes in a snapshot round trip (as " + json + ")\n"
          + Diff.values("state", state, back), state, back);
    }
  }
}
