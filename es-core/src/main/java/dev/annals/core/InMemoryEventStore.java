package dev.annals.core;

import dev.annals.core.internal.EventEncoding;
import dev.annals.core.internal.EventEncoding.EncodedEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * An {@link EventStore} in memory, for tests and examples. It keeps events in their serialized
 * form and applies the same checks, limits and errors as the Postgres store, so code tested
 * against it behaves the same in production. Thread-safe; appends are serialized by a lock.
 */
public final class InMemoryEventStore implements EventStore {

  private final Data data;
  private final EventRegistry registry;

  private static final class Data {
    final ReadWriteLock lock = new ReentrantReadWriteLock();
    final List<Stored> log = new ArrayList<>();
    final Map<StreamId, List<Stored>> streams = new HashMap<>();
    final Map<UUID, Stored> byId = new HashMap<>();
    final Clock clock;
    final int maxEventSize;

    Data(Clock clock, int maxEventSize) {
      this.clock = clock;
      this.maxEventSize = maxEventSize;
    }
  }

  private record Stored(StreamId streamId, long version, long position, EncodedEvent event,
      Instant recordedAt) {}

  private InMemoryEventStore(Data data, EventRegistry registry) {
    this.data = data;
    // Personal data needs keys; in memory they live exactly as long as the events they protect.
    this.registry = registry.declaresPersonalData() && registry.subjectKeys().isEmpty()
        ? registry.withSubjectKeys(SubjectKeys.inMemory()) : registry;
  }

  /**
   * An empty store with the default limits and the system clock. A registry that declares
   * personal data but has no subject keys gets in-memory ones ({@link SubjectKeys#inMemory()}).
   */
  public static InMemoryEventStore create(EventRegistry registry) {
    return builder(registry).build();
  }

  /** A builder for an empty store. */
  public static Builder builder(EventRegistry registry) {
    return new Builder(registry);
  }

  /**
   * A view of the same events that decodes with another registry, as a new version of an
   * application would see what an old one wrote.
   */
  public InMemoryEventStore withRegistry(EventRegistry other) {
    Objects.requireNonNull(other, "registry");
    return new InMemoryEventStore(data, other.subjectKeys().isEmpty() && registry.subjectKeys().isPresent()
        ? other.withSubjectKeys(registry.subjectKeys().get()) : other);
  }

  @Override
  public EventRegistry registry() {
    return registry;
  }

  @Override
  public AppendResult append(StreamId streamId, ExpectedVersion expected, List<NewEvent> events) {
    Objects.requireNonNull(expected, "expected version must not be null");
    List<EncodedEvent> encoded = EventEncoding.encode(registry, streamId, events, data.maxEventSize);
    data.lock.writeLock().lock();
    try {
      List<Stored> stream = data.streams.getOrDefault(streamId, List.of());
      long current = stream.size();
      boolean anyStored = encoded.stream().anyMatch(e -> data.byId.containsKey(e.eventId()));
      if (anyStored) {
        return originalResult(streamId, encoded);
      }
      if (!expected.isSatisfiedBy(current)) {
        throw new ConcurrencyConflictException(streamId, expected, current);
      }
      List<Stored> target = data.streams.computeIfAbsent(streamId, s -> new ArrayList<>());
      Instant now = data.clock.instant();
      long firstPosition = data.log.size() + 1;
      for (EncodedEvent e : encoded) {
        Stored s = new Stored(streamId, target.size() + 1, data.log.size() + 1, e, now);
        target.add(s);
        data.log.add(s);
        data.byId.put(e.eventId(), s);
      }
      return new AppendResult(streamId, current + 1, current + encoded.size(), firstPosition,
          data.log.size());
    } finally {
      data.lock.writeLock().unlock();
    }
  }

  /** Holds the write lock. Either the batch is an exact retry, or this throws. */
  private AppendResult originalResult(StreamId streamId, List<EncodedEvent> encoded) {
    List<UUID> storedIds = new ArrayList<>();
    for (EncodedEvent e : encoded) {
      if (data.byId.containsKey(e.eventId())) {
        storedIds.add(e.eventId());
      }
    }
    if (storedIds.size() != encoded.size()) {
      throw new DuplicateEventIdException(streamId, storedIds,
          storedIds.size() + " of the " + encoded.size() + " events are stored already");
    }
    Stored first = data.byId.get(encoded.get(0).eventId());
    for (int i = 0; i < encoded.size(); i++) {
      Stored s = data.byId.get(encoded.get(i).eventId());
      if (!s.streamId().equals(streamId) || s.version() != first.version() + i) {
        throw new DuplicateEventIdException(streamId, storedIds,
            "they were stored " + (s.streamId().equals(streamId) ? "in another order or batch"
                : "in stream " + s.streamId()));
      }
    }
    Stored last = data.byId.get(encoded.get(encoded.size() - 1).eventId());
    return new AppendResult(streamId, first.version(), last.version(), first.position(),
        last.position());
  }

  @Override
  public List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int limit) {
    EventEncoding.checkStreamRead(streamId, fromVersion, limit);
    List<Stored> page = new ArrayList<>();
    data.lock.readLock().lock();
    try {
      List<Stored> stream = data.streams.getOrDefault(streamId, List.of());
      for (long v = fromVersion; v <= stream.size() && page.size() < limit; v++) {
        page.add(stream.get((int) v - 1));
      }
    } finally {
      data.lock.readLock().unlock();
    }
    return decode(page);
  }

  @Override
  public List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int limit) {
    EventEncoding.checkStreamRead(streamId, fromVersion, limit);
    List<Stored> page = new ArrayList<>();
    data.lock.readLock().lock();
    try {
      List<Stored> stream = data.streams.getOrDefault(streamId, List.of());
      for (long v = Math.min(fromVersion, stream.size()); v >= 1 && page.size() < limit; v--) {
        page.add(stream.get((int) v - 1));
      }
    } finally {
      data.lock.readLock().unlock();
    }
    return decode(page);
  }

  @Override
  public List<RecordedEvent> readAll(long afterPosition, int limit, LogFilter filter) {
    EventEncoding.checkLogRead(afterPosition, limit);
    Objects.requireNonNull(filter, "filter must not be null (use LogFilter.all())");
    List<Stored> page = new ArrayList<>();
    data.lock.readLock().lock();
    try {
      for (long p = afterPosition + 1; p <= data.log.size() && page.size() < limit; p++) {
        Stored s = data.log.get((int) p - 1);
        if (filter.matches(s.streamId().category(), s.event().type())) {
          page.add(s);
        }
      }
    } finally {
      data.lock.readLock().unlock();
    }
    return decode(page);
  }

  @Override
  public Optional<RecordedEvent> readEvent(UUID eventId) {
    Objects.requireNonNull(eventId, "event id must not be null");
    data.lock.readLock().lock();
    try {
      Stored s = data.byId.get(eventId);
      return s == null ? Optional.empty() : Optional.of(decode(List.of(s)).get(0));
    } finally {
      data.lock.readLock().unlock();
    }
  }

  @Override
  public long headPosition() {
    data.lock.readLock().lock();
    try {
      return data.log.size();
    } finally {
      data.lock.readLock().unlock();
    }
  }

  @Override
  public long streamVersion(StreamId streamId) {
    Objects.requireNonNull(streamId, "stream id must not be null");
    data.lock.readLock().lock();
    try {
      return data.streams.getOrDefault(streamId, List.of()).size();
    } finally {
      data.lock.readLock().unlock();
    }
  }

  private List<RecordedEvent> decode(List<Stored> page) {
    List<RecordedEvent> out = new ArrayList<>(page.size());
    for (Stored s : page) {
      EncodedEvent e = s.event();
      out.add(EventEncoding.decode(registry, e.eventId(), s.streamId(), s.version(), s.position(),
          e.type(), e.schemaVersion(), e.payload(), e.metadata(), s.recordedAt()));
    }
    return out;
  }

  /** Settings for an in-memory store. */
  public static final class Builder {
    private final EventRegistry registry;
    private Clock clock = Clock.systemUTC();
    private int maxEventSize = EventEncoding.DEFAULT_MAX_EVENT_SIZE;

    private Builder(EventRegistry registry) {
      this.registry = Objects.requireNonNull(registry, "registry must not be null");
    }

    /** The clock that stamps recorded-at times; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock must not be null");
      return this;
    }

    /** Largest serialized event (payload plus metadata) in bytes; 1 MiB by default. */
    public Builder maxEventSize(int bytes) {
      if (bytes < 1) {
        throw new IllegalArgumentException("maxEventSize must be 1 or more bytes, was " + bytes);
      }
      this.maxEventSize = bytes;
      return this;
    }

    public InMemoryEventStore build() {
      return new InMemoryEventStore(new Data(clock, maxEventSize), registry);
    }
  }
}
