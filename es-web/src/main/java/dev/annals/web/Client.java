package dev.annals.web;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * A streaming follower (SSE or WebSocket): a bounded queue between the hub, which must never
 * block, and the client's connection, which may be slow. One writer task at a time drains the
 * queue on the writers' executor; a write may block on a slow connection, and meanwhile the
 * queue fills. When it would hold more than its capacity the client is ended with a reason
 * instead of buffering more: the queue is dropped, and the reason is sent once the write in
 * progress (if any) has finished.
 *
 * <p>Thread-safe: the hub offers, a scheduler asks for heartbeats, the transport reports a closed
 * connection, each from its own thread.
 */
abstract class Client implements Subscriber {

  /** Why a client ends. */
  enum Ending {
    /** It did not read fast enough. */
    SLOW,
    /** Its start message was wrong. */
    REFUSED,
    /** The server could not read the events. */
    FAILED,
    /** The server is shutting down. */
    SHUTDOWN,
    /** The connection is gone (closed by the client, or a write failed). */
    GONE
  }

  private final int capacity;
  private final Executor writers;
  private final Runnable release;
  private final Runnable onSlow;
  /** Guarded by this, as the fields below. */
  private final ArrayDeque<Followed> queue = new ArrayDeque<>();
  private boolean draining;
  private boolean heartbeatDue;
  private Ending ending;
  private String reason;
  private boolean finished;
  private volatile long lastWrite = System.nanoTime();

  /**
   * @param capacity the most events waiting to be written
   * @param release gives the follower's slot back; called once, when the client has finished
   * @param onSlow counts a client dropped for being slow
   */
  Client(int capacity, Executor writers, Runnable release, Runnable onSlow) {
    this.capacity = capacity;
    this.writers = writers;
    this.release = release;
    this.onSlow = onSlow;
  }

  @Override
  public final synchronized boolean offer(List<Followed> events, long readUpTo) {
    if (ending != null) {
      return false;
    }
    // A client with nothing waiting takes a whole page, however large: it is keeping up.
    if (!queue.isEmpty() && queue.size() + events.size() > capacity) {
      end(Ending.SLOW, "too slow: over " + capacity + " events waiting; resume from the last id received");
      onSlow.run();
      return false;
    }
    if (!events.isEmpty()) {
      queue.addAll(events);
      schedule();
    }
    return true;
  }

  @Override
  public final void fail(String reason) {
    end(Ending.FAILED, reason);
  }

  /** Asks for a heartbeat if nothing was written for {@code idleNanos}. */
  final synchronized void heartbeat(long idleNanos) {
    if (ending == null && queue.isEmpty() && System.nanoTime() - lastWrite >= idleNanos) {
      heartbeatDue = true;
      schedule();
    }
  }

  /** Ends this client, once: what is queued is dropped, and the reason is sent if it can be. */
  final synchronized void end(Ending why, String text) {
    if (ending != null) {
      return;
    }
    ending = why;
    reason = text;
    queue.clear();
    schedule();
  }

  /** Whether this client has ended or is ending. */
  final synchronized boolean ended() {
    return ending != null;
  }

  private void schedule() {
    if (!draining && !finished) {
      draining = true;
      writers.execute(this::drain);
    }
  }

  private void drain() {
    while (true) {
      List<Followed> batch;
      boolean beat;
      Ending why;
      String text;
      synchronized (this) {
        why = ending;
        text = reason;
        batch = new ArrayList<>(queue);
        queue.clear();
        beat = heartbeatDue;
        heartbeatDue = false;
        if (why == null && batch.isEmpty() && !beat) {
          draining = false;
          return;
        }
        if (why != null) {
          finished = true;
          draining = false;
        }
      }
      if (why != null) {
        try {
          finish(why, text);
        } finally {
          release.run();
        }
        return;
      }
      try {
        for (Followed event : batch) {
          write(event);
        }
        if (beat) {
          writeHeartbeat();
        }
        lastWrite = System.nanoTime();
      } catch (IOException | RuntimeException e) {
        end(Ending.GONE, "the connection failed: " + e.getMessage());
      }
    }
  }

  /** Writes one event; may block while the connection is slow. */
  abstract void write(Followed event) throws IOException;

  /** Writes something the client ignores, so that a dead connection is noticed. */
  abstract void writeHeartbeat() throws IOException;

  /** Tells the client why it ends, where it still can, and closes the connection; never throws. */
  abstract void finish(Ending why, String reason);
}
