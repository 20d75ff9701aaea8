package dev.annals.projections;

/** What a projector partition is doing, as {@link ProjectionStatus} reports it. */
public enum ProjectorState {
  /** Owned by a node and caught up: its last read found less than a full batch. */
  RUNNING,
  /** Owned by a node and more than a batch behind the log. */
  CATCHING_UP,
  /** A new version being built beside the active one; reads still go to the active version. */
  REBUILDING,
  /** Paused by an operator on every node ({@link ProjectionRunner#pause}). */
  PAUSED,
  /** No node holds a live lease on it: no runner has it started, or its owner died. */
  STOPPED,
  /**
   * Halted before an event that failed its last try under {@link FailurePolicy#STOP}; see the
   * last error and the {@link DeadLetter.Status#HALTED} dead letter.
   */
  FAILED
}
