package dev.annals.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * An append-only store of event streams with optimistic concurrency.
 *
 * <p>Guarantees every implementation keeps (the {@code EventStoreContract} in es-testkit checks
 * them):
 * <ul>
 *   <li>An append is atomic: all its events are stored, with consecutive stream versions, or
 *       none is.</li>
 *   <li>The expected version is checked before anything is written; a mismatch throws
 *       {@link ConcurrencyConflictException} with the actual version and writes nothing.</li>
 *   <li>Appending events whose ids are all stored already, in the same stream and order, returns
 *       the original {@link AppendResult} and writes nothing, whatever the expected version.
 *       Reusing some stored ids otherwise throws {@link DuplicateEventIdException}.</li>
 *   <li>Every stored event gets a global position; positions increase with append order.</li>
 * </ul>
 *
 * <p>Implementations are thread-safe.
 */
public interface EventStore {

  /** Reading a stream backward from here starts at its last event. */
  long END = Long.MAX_VALUE;

  /** The registry this store serializes and decodes events with. */
  EventRegistry registry();

  /**
   * Appends events to a stream atomically.
   *
   * @param events one or more events whose payload classes are registered, with distinct ids
   * @throws ConcurrencyConflictException if the stream is not at {@code expected}
   * @throws DuplicateEventIdException if some event ids are stored but this is not a retry
   * @throws EventTooLargeException if an event is over the store's size limit
   * @throws EventSerializationException if a payload class is not registered
   * @throws IllegalArgumentException if {@code events} is empty or repeats an id
   */
  AppendResult append(StreamId streamId, ExpectedVersion expected, List<NewEvent> events);

  /** Appends one event; see {@link #append(StreamId, ExpectedVersion, List)}. */
  default AppendResult append(StreamId streamId, ExpectedVersion expected, NewEvent event) {
    return append(streamId, expected, List.of(event));
  }

  /**
   * Reads up to {@code limit} events of a stream in version order, starting at
   * {@code fromVersion} (inclusive). A stream that does not exist reads as empty.
   *
   * @throws IllegalArgumentException if {@code fromVersion < 1} or {@code limit < 1}
   * @throws UnknownEventTypeException if a stored event's type is not registered
   */
  List<RecordedEvent> readStream(StreamId streamId, long fromVersion, int limit);

  /**
   * Reads up to {@code limit} events of a stream in descending version order, starting at
   * {@code fromVersion} (inclusive; {@link #END} for the last event).
   *
   * @throws IllegalArgumentException if {@code fromVersion < 1} or {@code limit < 1}
   */
  List<RecordedEvent> readStreamBackward(StreamId streamId, long fromVersion, int limit);

  /**
   * The payloads of up to {@code limit} events of a stream from {@code fromVersion} (inclusive),
   * decoded and upcast as {@link #readStream(StreamId, long, int)} decodes them: element {@code i}
   * is the payload of version {@code fromVersion + i}. This is all that rebuilding a state needs,
   * so a store may read less for it than whole events (no ids, metadata or times). By default,
   * the payloads of {@link #readStream(StreamId, long, int)}.
   *
   * @throws IllegalArgumentException if {@code fromVersion < 1} or {@code limit < 1}
   * @throws UnknownEventTypeException if a stored event's type is not registered
   * @throws EventDecodingException if a stored payload does not decode
   */
  default List<Object> readPayloads(StreamId streamId, long fromVersion, int limit) {
    List<RecordedEvent> events = readStream(streamId, fromVersion, limit);
    List<Object> payloads = new ArrayList<>(events.size());
    for (RecordedEvent e : events) {
      payloads.add(e.payload());
    }
    return payloads;
  }

  /** Reads a whole stream in version order. */
  default List<RecordedEvent> readStream(StreamId streamId) {
    List<RecordedEvent> all = new ArrayList<>();
    long next = 1;
    while (true) {
      List<RecordedEvent> page = readStream(streamId, next, 1000);
      all.addAll(page);
      if (page.size() < 1000) {
        return all;
      }
      next = page.get(page.size() - 1).version() + 1;
    }
  }

  /**
   * Reads up to {@code limit} events of the whole log with a position greater than
   * {@code afterPosition}, in position order, that pass {@code filter}.
   *
   * <p>This is an auditor's view of committed history. To follow the live log without missing
   * events that commit out of order, use a store's gap-safe reader (such as es-postgres'
   * {@code LogReader}).
   *
   * @param afterPosition 0 to start at the beginning
   * @throws IllegalArgumentException if {@code afterPosition < 0} or {@code limit < 1}
   */
  List<RecordedEvent> readAll(long afterPosition, int limit, LogFilter filter);

  /** {@link #readAll(long, int, LogFilter)} without a filter. */
  default List<RecordedEvent> readAll(long afterPosition, int limit) {
    return readAll(afterPosition, limit, LogFilter.all());
  }

  /**
   * The event stored under {@code eventId}, wherever it is in the log. Lets a caller find out
   * whether an earlier attempt of a command stored its events (event ids derive from command ids).
   *
   * @return empty when no event has that id
   * @throws UnknownEventTypeException if the stored event's type is not registered
   */
  Optional<RecordedEvent> readEvent(UUID eventId);

  /** The position of the last stored event, 0 when the log is empty. */
  long headPosition();

  /** The stream's current version: the number of its events, 0 when it does not exist. */
  long streamVersion(StreamId streamId);
}
