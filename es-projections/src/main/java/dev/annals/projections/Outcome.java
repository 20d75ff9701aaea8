package dev.annals.projections;

import java.util.OptionalInt;

/**
 * What processing came to: a step of a partition, a commit of some of its events, or the fate
 * of a failing event. One type for all three, so that each result passes up unchanged to where
 * it is acted on.
 */
sealed interface Outcome {

  /** Step again at once: something was processed, the cursor moved, or an event was left for later. */
  Outcome PROGRESS = new Progress();
  /** A read found nothing. */
  Outcome IDLE = new Idle();
  /** The partition is no longer this node's to process: another owner, or a state that does not run. */
  Outcome LOST = new Lost();

  /** See {@link #PROGRESS}. */
  record Progress() implements Outcome {}

  /** See {@link #IDLE}. */
  record Idle() implements Outcome {}

  /** See {@link #LOST}. */
  record Lost() implements Outcome {}

  /**
   * A transaction committed: the checkpoint moved past {@code events} events (none when a
   * side-effect commit found its first blocked stream unblocked), or a failing event was parked.
   */
  record Committed(int events) implements Outcome {}

  /**
   * A handler failed and its transaction rolled back.
   *
   * @param at the index of the failing event among those tried; empty when a batch handler
   *     failed, which does not say which event was at fault
   */
  record Failed(OptionalInt at, Throwable cause) implements Outcome {

    static Failed at(int index, Throwable cause) {
      return new Failed(OptionalInt.of(index), cause);
    }

    /** Whether events before the failing one could be committed on their own. */
    boolean afterOthers() {
      return at.orElse(0) > 0;
    }
  }

  /** The fencing check refused the transaction; {@code row} is the checkpoint as found. */
  record Fenced(Checkpoint row) implements Outcome {}
}
