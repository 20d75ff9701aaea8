package dev.annals.web;

import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.StoredEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Reads the log once for every follower that has caught up, and hands each its events.
 *
 * <h2>Catching up, then joining</h2>
 * A follower starts from its own place in the log (a resume position, the start, or "now"). A
 * catch-up task reads from there with its own {@link LogReader} until it reaches the place the
 * hub's poller has dispatched up to (the hub's cursor), and only then joins the live followers,
 * under the hub's lock, so no batch can be dispatched between its last read and its joining.
 * Both read the same gap-safe order, in which nothing ever appears behind a place a reader passed,
 * so a follower that read further than the hub skips what the hub dispatches up to its own
 * cursor, and one behind the hub reads on: no event is lost or sent twice.
 *
 * <p>While no follower is live the poller reads nothing; the first to join sets the hub's
 * cursor to its own. A batch the poller read from a cursor that was reset meanwhile is dropped
 * and read again from the new one.
 *
 * <h2>Never blocking on a client</h2>
 * Subscribers take events without blocking ({@link Subscriber#offer}); a slow one ends itself
 * when its bounded buffer is full, and the hub forgets it. Each event is written as JSON once per
 * batch, however many followers get it.
 *
 * <p>Thread-safe. One poller thread, named after the store's schema; catch-up tasks run on the
 * executor given.
 */
final class LogHub implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(LogHub.class.getName());
  private static final Duration MIN_POLL = Duration.ofMillis(10);
  private static final Duration MAX_POLL = Duration.ofSeconds(1);
  /** How long the poller waits for a wake-up before it reads again anyway. */
  private static final Duration IDLE_READ = Duration.ofSeconds(5);

  private final PostgresEventStore store;
  private final EventJson json;
  private final int page;
  private final ExecutorService catchUp;
  private final Object lock = new Object();
  /** Guarded by lock. */
  private final Set<Subscription> live = new HashSet<>();
  /** Where the poller has dispatched up to; guarded by lock, meaningful while live is not empty. */
  private LogCursor head = LogCursor.START;
  private final Thread poller;
  private volatile boolean closed;

  LogHub(PostgresEventStore store, EventJson json, int page, ExecutorService catchUp) {
    this.store = store;
    this.json = json;
    this.page = page;
    this.catchUp = catchUp;
    this.poller = new Thread(this::poll, "annals-follow-" + store.schema());
    poller.setDaemon(true);
    poller.start();
  }

  /** Where a follower of the log starts: just after everything readers can see now. */
  LogCursor now(LogReader reader) {
    long safe = reader.head().safeHeadPosition();
    return safe == 0 ? LogCursor.START : reader.cursorAfter(safe);
  }

  /**
   * Starts following the log from {@code from}, events passing {@code filter}.
   */
  void follow(LogCursor from, Predicate<StoredEvent> filter, Subscriber subscriber) {
    start(new Subscription(from, filter, subscriber, null, 0));
  }

  /**
   * Starts following one stream: its events after position {@code after} by version, then live
   * from {@code now}, a cursor taken before (so nothing between the two is missed; what both
   * return is skipped by version).
   */
  void followStream(StreamId stream, long after, LogCursor now, Subscriber subscriber) {
    start(new Subscription(now, e -> e.streamId().equals(stream), subscriber, stream, after));
  }

  private void start(Subscription sub) {
    catchUp.execute(() -> {
      try {
        catchUp(sub);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a follower could not catch up; it is ended", e);
        sub.subscriber.fail("the events could not be read; try again later");
      }
    });
  }

  private void catchUp(Subscription sub) {
    if (sub.stream != null && !sendHistory(sub)) {
      return;
    }
    LogReader reader = store.logReader();
    while (!closed) {
      boolean joined = false;
      synchronized (lock) {
        if (live.isEmpty()) {
          head = sub.cursor;
          live.add(sub);
          lock.notifyAll();
          joined = true;
        } else if (sub.cursor.compareTo(head) >= 0) {
          live.add(sub);
          joined = true;
        }
      }
      if (joined) {
        sub.subscriber.joined();
        return;
      }
      LogBatch batch = reader.read(sub.cursor, page);
      if (!deliver(sub, batch, new HashMap<>())) {
        return;
      }
      if (batch.isEmpty()) {
        // Behind the hub yet nothing to read: the hub read further than this reader's snapshot
        // shows; the next read will see it.
        try {
          reader.awaitEvents(MIN_POLL);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private boolean sendHistory(Subscription sub) {
    long from = 1;
    while (true) {
      List<RecordedEvent> events = store.readStream(sub.stream, from, page);
      List<Followed> out = new ArrayList<>();
      for (RecordedEvent event : events) {
        if (event.position() > sub.afterPosition) {
          out.add(json.write(event));
        }
        sub.sentVersion = event.version();
      }
      if (!out.isEmpty() && !sub.subscriber.offer(out, out.get(out.size() - 1).position())) {
        return false;
      }
      if (events.size() < page) {
        return true;
      }
      from = events.get(events.size() - 1).version() + 1;
    }
  }

  /**
   * Hands {@code sub} what it has not had of {@code batch}.
   *
   * @param written the JSON of this batch's events written so far, shared by its followers
   * @return false if the subscriber wants no more
   */
  private boolean deliver(Subscription sub, LogBatch batch, Map<Long, Followed> written) {
    List<Followed> out = new ArrayList<>();
    for (StoredEvent stored : batch.events()) {
      if (stored.cursor().compareTo(sub.cursor) <= 0 || !sub.filter.test(stored)
          || (sub.stream != null && stored.version() <= sub.sentVersion)) {
        continue;
      }
      Followed event = written.computeIfAbsent(stored.position(), p -> encode(stored));
      if (event != null) {
        out.add(event);
      }
    }
    if (batch.next().isAfter(sub.cursor)) {
      sub.cursor = batch.next();
    }
    return sub.subscriber.offer(out, sub.cursor.position());
  }

  private Followed encode(StoredEvent stored) {
    try {
      return json.write(stored);
    } catch (RuntimeException e) {
      // One event the registry cannot read must not stop every follower: it is left out.
      LOG.log(Level.WARNING, "event at position " + stored.position() + " (" + stored.type()
          + ") cannot be written as JSON and is not sent to followers", e);
      return null;
    }
  }

  private void poll() {
    LogReader reader = store.logReader();
    Duration backoff = MIN_POLL;
    while (!closed) {
      try {
        LogCursor from;
        synchronized (lock) {
          while (live.isEmpty() && !closed) {
            lock.wait();
          }
          from = head;
        }
        LogBatch batch = reader.read(from, page);
        synchronized (lock) {
          if (!head.equals(from)) {
            continue;
          }
          Map<Long, Followed> written = new HashMap<>();
          live.removeIf(sub -> !deliver(sub, batch, written));
          head = batch.next();
        }
        if (!batch.isEmpty()) {
          backoff = MIN_POLL;
          continue;
        }
        // Events committed behind an older open transaction become readable when it ends,
        // which wakes nobody: poll, backing off, while there are any.
        if (reader.heldBackUpTo(Long.MAX_VALUE) > 0) {
          reader.awaitEvents(backoff);
          backoff = backoff.multipliedBy(2).compareTo(MAX_POLL) > 0 ? MAX_POLL : backoff.multipliedBy(2);
        } else {
          backoff = MIN_POLL;
          reader.awaitEvents(IDLE_READ);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "following the log of schema '" + store.schema()
            + "' failed; retrying in a second", e);
        try {
          Thread.sleep(1000);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  /** How many followers the poller serves now (not those still catching up). */
  int liveFollowers() {
    synchronized (lock) {
      return live.size();
    }
  }

  @Override
  public void close() {
    closed = true;
    poller.interrupt();
    synchronized (lock) {
      live.clear();
      lock.notifyAll();
    }
  }

  /** One follower's place; its fields are written by one thread at a time (see the class comment). */
  private static final class Subscription {
    final Predicate<StoredEvent> filter;
    final Subscriber subscriber;
    final StreamId stream;
    final long afterPosition;
    LogCursor cursor;
    long sentVersion;

    Subscription(LogCursor cursor, Predicate<StoredEvent> filter, Subscriber subscriber,
        StreamId stream, long afterPosition) {
      this.cursor = Objects.requireNonNull(cursor);
      this.filter = filter;
      this.subscriber = subscriber;
      this.stream = stream;
      this.afterPosition = afterPosition;
    }
  }
}
