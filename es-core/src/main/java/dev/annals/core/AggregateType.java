package dev.annals.core;

import java.util.Objects;
import java.util.Optional;

/**
 * Everything the framework needs to know about one kind of aggregate: its stream category, its
 * decider, its event and state types, and its snapshot policy.
 *
 * <pre>{@code
 * AggregateType<AccountCommand, Account, AccountEvent> ACCOUNT =
 *     AggregateType.builder("account", AccountEvent.class, decider)
 *         .snapshots(Account.class, 1)   // state class and its schema version
 *         .snapshotEvery(100)
 *         .build();
 * }</pre>
 *
 * @param <C> command type
 * @param <S> state type
 * @param <E> event type
 */
public final class AggregateType<C, S, E> {

  /** Snapshot interval used when snapshots are enabled without one. */
  public static final int DEFAULT_SNAPSHOT_EVERY = 100;

  private final String category;
  private final Class<E> eventType;
  private final Decider<C, S, E> decider;
  private final Class<S> stateType;
  private final int stateSchemaVersion;
  private final int snapshotEvery;

  private AggregateType(Builder<C, S, E> b) {
    this.category = b.category;
    this.eventType = b.eventType;
    this.decider = b.decider;
    this.stateType = b.stateType;
    this.stateSchemaVersion = b.stateSchemaVersion;
    this.snapshotEvery = b.stateType == null ? 0 : b.snapshotEvery;
  }

  /**
   * Starts describing an aggregate.
   *
   * @param category stream category of its streams (see {@link StreamId})
   * @param eventType the common supertype of its events, usually a sealed interface
   */
  public static <C, S, E> Builder<C, S, E> builder(String category, Class<E> eventType,
      Decider<C, S, E> decider) {
    return new Builder<>(category, eventType, decider);
  }

  public String category() {
    return category;
  }

  public Class<E> eventType() {
    return eventType;
  }

  public Decider<C, S, E> decider() {
    return decider;
  }

  /** The state class snapshots are written as; empty when snapshots are off. */
  public Optional<Class<S>> stateType() {
    return Optional.ofNullable(stateType);
  }

  public int stateSchemaVersion() {
    return stateSchemaVersion;
  }

  /** Take a snapshot each time the stream passes a multiple of this many events; 0 for never. */
  public int snapshotEvery() {
    return snapshotEvery;
  }

  /** The stream of the aggregate with this id. */
  public StreamId streamId(String id) {
    return StreamId.of(category, id);
  }

  @Override
  public String toString() {
    return "AggregateType[" + category + "]";
  }

  /** Checked builder for an {@link AggregateType}. */
  public static final class Builder<C, S, E> {
    private final String category;
    private final Class<E> eventType;
    private final Decider<C, S, E> decider;
    private Class<S> stateType;
    private int stateSchemaVersion = 1;
    private int snapshotEvery = DEFAULT_SNAPSHOT_EVERY;
    private boolean everySet;

    private Builder(String category, Class<E> eventType, Decider<C, S, E> decider) {
      StreamId.of(Objects.requireNonNull(category, "category must not be null"), "x");
      this.category = category;
      this.eventType = Objects.requireNonNull(eventType, "eventType must not be null");
      this.decider = Objects.requireNonNull(decider, "decider must not be null");
    }

    /**
     * Enables snapshots, written as JSON of {@code stateType}. Bump {@code schemaVersion} when the
     * state's shape changes: older snapshots are then ignored and states rebuilt from events.
     */
    public Builder<C, S, E> snapshots(Class<S> stateType, int schemaVersion) {
      this.stateType = Objects.requireNonNull(stateType, "stateType must not be null");
      if (schemaVersion < 1) {
        throw new IllegalArgumentException("state schema version must be 1 or more, was " + schemaVersion);
      }
      this.stateSchemaVersion = schemaVersion;
      return this;
    }

    /** Snapshot interval in events; {@value #DEFAULT_SNAPSHOT_EVERY} by default. */
    public Builder<C, S, E> snapshotEvery(int events) {
      if (events < 1) {
        throw new IllegalArgumentException("snapshotEvery must be 1 or more events, was " + events);
      }
      this.snapshotEvery = events;
      this.everySet = true;
      return this;
    }

    /**
     * @throws IllegalStateException if an interval was set without enabling snapshots
     */
    public AggregateType<C, S, E> build() {
      if (everySet && stateType == null) {
        throw new IllegalStateException("snapshotEvery(" + snapshotEvery + ") for '" + category
            + "' needs snapshots(StateClass.class, schemaVersion) too");
      }
      return new AggregateType<>(this);
    }
  }
}
