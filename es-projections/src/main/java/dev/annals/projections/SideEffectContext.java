package dev.annals.projections;

import dev.annals.postgres.LogPartition;
import java.util.UUID;

/**
 * What a side-effect handler gets besides the event. Side effects are at-least-once: after a
 * crash, a lost lease or a failed try, the same event comes again with the same
 * {@link #idempotencyKey()}, which the receiving system uses to drop duplicates.
 *
 * <p>Valid only during the handler call, on the projector's thread.
 */
public interface SideEffectContext {

  /** A stable key for this event's side effect: the event's id, the same on every try. */
  UUID idempotencyKey();

  /**
   * Whether this event was processed once already, before the projector was reset to before
   * it. A handler that must not repeat its effect (a mail) skips it.
   */
  boolean replaying();

  /** Which try this is, from 1. */
  int attempt();

  /** The partition of the log this event came from. */
  LogPartition partition();
}
