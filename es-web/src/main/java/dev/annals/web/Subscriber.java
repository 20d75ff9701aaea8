package dev.annals.web;

import java.util.List;

/** What the hub delivers to: one follower's transport. */
interface Subscriber {

  /**
   * Takes the next events of this follower and the position it has read up to. Called by one
   * thread at a time (a catch-up task, then the hub's poller); must not block.
   *
   * @param events matching events in log order, possibly none
   * @param readUpTo the position of the last event read for this follower, matching or not;
   *     0 while nothing was read
   * @return false when this follower wants no more (it ended, or could not keep up and ended
   *     itself): the hub forgets it
   */
  boolean offer(List<Followed> events, long readUpTo);

  /** Ends this follower because its events could not be read; {@code reason} is for the client. */
  void fail(String reason);

  /** Told once, when this follower has caught up and the shared poller serves it from now on. */
  default void joined() {}
}
