package dev.annals.projections;

/** The {@code state} column of a checkpoint row. */
enum RowState {
  RUNNING, CATCHING_UP, REBUILDING, PAUSED, FAILED, RETIRED;

  /** Whether a worker may process events in this state. */
  boolean runnable() {
    return this == RUNNING || this == CATCHING_UP || this == REBUILDING;
  }
}
