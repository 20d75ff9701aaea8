package dev.annals.projections;

import dev.annals.core.StreamId;
import dev.annals.postgres.LogCursor;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * An event a projector could not process, or held back behind one.
 *
 * @param id the dead letter's id, for {@link ProjectionRunner#retry} and {@link ProjectionRunner#discard}
 * @param projector the projector's name
 * @param projectorVersion the projector version that parked it
 * @param partition the partition it belongs to
 * @param cursor the event's place in the log
 * @param eventId the event's id
 * @param streamId its stream
 * @param streamVersion its version in the stream
 * @param type its stored type name
 * @param error the last error, one line ({@code class: message}); for a blocked event, what
 *     blocks it
 * @param stackTrace the last error's stack trace (empty for a blocked event)
 * @param attempts how many times it was tried
 * @param parkedAt when it was parked (database clock)
 * @param status where it stands
 * @param resolvedAt when it was resolved or discarded, if it was
 */
public record DeadLetter(long id, String projector, int projectorVersion, int partition,
    LogCursor cursor, UUID eventId, StreamId streamId, long streamVersion, String type,
    String error, String stackTrace, int attempts, Instant parkedAt, Status status,
    Optional<Instant> resolvedAt) {

  public DeadLetter {
    Objects.requireNonNull(projector, "projector");
    Objects.requireNonNull(cursor, "cursor");
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(streamId, "streamId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(error, "error");
    Objects.requireNonNull(stackTrace, "stackTrace");
    Objects.requireNonNull(parkedAt, "parkedAt");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(resolvedAt, "resolvedAt");
  }

  /** The event's global position. */
  public long position() {
    return cursor.position();
  }

  /** Whether it still needs an operator: parked, blocked or halted. */
  public boolean isOpen() {
    return status.isOpen();
  }

  /** Where a dead letter stands. */
  public enum Status {
    /** Failed its last try; the projector went on past it ({@link FailurePolicy#CONTINUE}). */
    PARKED,
    /** Held back because an earlier event of its stream is parked or blocked. */
    BLOCKED,
    /** Failed its last try; the partition stopped before it ({@link FailurePolicy#STOP}). */
    HALTED,
    /** Processed successfully by a retry. */
    RESOLVED,
    /** Dropped by an operator, or by a reset that replays it. */
    DISCARDED;

    /** Whether it still needs an operator. */
    public boolean isOpen() {
      return this == PARKED || this == BLOCKED || this == HALTED;
    }
  }
}
