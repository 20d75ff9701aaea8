package dev.annals.projections;

import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogPartition;
import java.util.UUID;

/**
 * What a read-model handler gets besides the event: the batch transaction (which also advances
 * the checkpoint, so every change made through {@link #handle()} is applied exactly once), the
 * version-suffixed table names, and whether the event is being replayed.
 *
 * <p>Valid only during the handler call, on the projector's thread.
 */
public interface ProjectionContext extends TableContext {

  /**
   * Whether this event was processed once already: it is at or before the checkpoint a reset
   * moved back from, or, for a version rebuilt beside the serving one, at or before where the
   * serving version was when the rebuild began. A handler that also records outside work (a
   * mail to send, an outbox row) skips it when replaying. Events after that place are live for
   * both versions until the switch, so such work may be recorded twice there: at least once.
   */
  boolean replaying();

  /** A stable key for work this event causes: the event's id, the same on every try. */
  UUID idempotencyKey();

  /** The partition of the log this event came from. */
  LogPartition partition();

  /** The event's place in the log; the checkpoint moves here when the batch commits. */
  LogCursor cursor();
}
