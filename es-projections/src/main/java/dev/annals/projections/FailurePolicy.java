package dev.annals.projections;

/**
 * What a projector does with an event that still fails after its last try.
 */
public enum FailurePolicy {

  /**
   * Stop the partition before the event: it is recorded as a {@link DeadLetter.Status#HALTED}
   * dead letter, the partition's state becomes {@link ProjectorState#FAILED} with the error, and
   * the checkpoint stays before the event. Retrying the dead letter (or resuming the projector)
   * tries it again; discarding it skips it.
   */
  STOP,

  /**
   * Park the event as a {@link DeadLetter.Status#PARKED} dead letter and go on with the next
   * one. Later events of the same stream are parked behind it as
   * {@link DeadLetter.Status#BLOCKED}, so no stream is ever seen out of order.
   */
  CONTINUE
}
