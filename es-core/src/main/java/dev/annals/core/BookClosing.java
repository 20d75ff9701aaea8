package dev.annals.core;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Closing the books: ends a stream with a closing event and starts its successor with a summary
 * event, each naming the other in its metadata, so that the old stream can be archived while the
 * new one carries on from the summary (a bank account's year, for example: see docs/archiving.md).
 *
 * <p>Two appends, not one transaction: the closing event first, at the version the summary was
 * computed from, so that nothing can slip in between the summary and the close; then the opening
 * event of the new stream. Both event ids derive from the old stream and that version, so a close
 * that failed between the two appends is finished by calling it again with the same arguments.
 */
public final class BookClosing {

  /** Metadata of the closing event: the stream that carries on. */
  public static final String CONTINUED_IN = "continuedIn";
  /** Metadata of the opening event: the stream it carries on from. */
  public static final String CARRIED_FROM = "carriedFrom";
  /** Metadata of the opening event: the version of the closing event in that stream. */
  public static final String CARRIED_FROM_VERSION = "carriedFromVersion";

  private BookClosing() {}

  /**
   * The two appends of a close.
   *
   * @param closing the closing event in the old stream
   * @param opening the opening event of the new stream
   */
  public record Closed(AppendResult closing, AppendResult opening) {}

  /**
   * Appends {@code closingEvent} to {@code from} at exactly {@code version}, then starts {@code to}
   * with {@code openingEvent}; both with {@code metadata} plus the links above.
   *
   * @param version the version of {@code from} that the summary in {@code openingEvent} was computed from
   * @throws ConcurrencyConflictException if {@code from} is no longer at {@code version} (nothing
   *     was written: compute the summary again), or {@code to} exists already
   * @throws IllegalArgumentException if {@code from} and {@code to} are the same stream
   */
  public static Closed close(EventStore store, StreamId from, long version, Object closingEvent, StreamId to,
      Object openingEvent, Metadata metadata) {
    Objects.requireNonNull(store, "store must not be null");
    Objects.requireNonNull(from, "from must not be null");
    Objects.requireNonNull(to, "to must not be null");
    Objects.requireNonNull(closingEvent, "closingEvent must not be null");
    Objects.requireNonNull(openingEvent, "openingEvent must not be null");
    Objects.requireNonNull(metadata, "metadata must not be null");
    if (from.equals(to)) {
      throw new IllegalArgumentException("closing the books needs a new stream, but from and to are both " + from);
    }
    if (version < 1) {
      throw new IllegalArgumentException("version must be 1 or more (the stream's events so far), was " + version);
    }
    AppendResult closing = store.append(from, ExpectedVersion.exactly(version),
        new NewEvent(id(from, version, "close"), closingEvent, metadata.with(CONTINUED_IN, to.toString())));
    AppendResult opening = store.append(to, ExpectedVersion.noStream(),
        new NewEvent(id(from, version, "open"), openingEvent, metadata.with(CARRIED_FROM, from.toString())
            .with(CARRIED_FROM_VERSION, Long.toString(closing.lastVersion()))));
    return new Closed(closing, opening);
  }

  /**
   * The stream {@code first} (a stream's first event) carries on from, if it opened a stream
   * with {@link #close}.
   */
  public static Optional<StreamId> carriedFrom(RecordedEvent first) {
    Objects.requireNonNull(first, "first must not be null");
    String from = first.metadata().extra().get(CARRIED_FROM);
    return from == null ? Optional.empty() : Optional.of(StreamId.parse(from));
  }

  private static UUID id(StreamId from, long version, String role) {
    return UUID.nameUUIDFromBytes(("annals.close|" + from + "|" + version + "|" + role)
        .getBytes(StandardCharsets.UTF_8));
  }
}
