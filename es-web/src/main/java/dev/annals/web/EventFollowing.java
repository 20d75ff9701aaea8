package dev.annals.web;

import dev.annals.messaging.CloudEventMapper;
import dev.annals.postgres.PostgresEventStore;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Followers of one store's log over HTTP: the shared poller, the cap on followers, the bounds on
 * each one's buffer and wait. {@link FollowRoutes} mounts it at paths of the application's
 * choice. One instance per store; every follower of every route shares its poller, its cap and
 * its threads.
 *
 * <p>Thread-safe. {@link #close()} ends every follower and stops the threads.
 */
public final class EventFollowing implements AutoCloseable {

  private final PostgresEventStore store;
  private final int maxFollowers;
  private final Duration maxWait;
  private final int bufferSize;
  private final Duration heartbeat;
  private final int pageSize;
  private final Semaphore slots;
  private final LogHub hub;
  private final ExecutorService catchUp;
  private final ThreadPoolExecutor writers;
  private final ScheduledExecutorService timer;
  private final Set<Client> clients = ConcurrentHashMap.newKeySet();
  private final Set<LongPoll> polls = ConcurrentHashMap.newKeySet();
  private final AtomicLong dropped = new AtomicLong();

  private EventFollowing(Builder b) {
    this.store = b.store;
    this.maxFollowers = b.maxFollowers;
    this.maxWait = b.maxWait;
    this.bufferSize = b.bufferSize;
    this.heartbeat = b.heartbeat;
    this.pageSize = b.pageSize;
    this.slots = new Semaphore(maxFollowers);
    String schema = store.schema();
    this.catchUp = Executors.newFixedThreadPool(2, threads("annals-follow-catch-up-" + schema));
    // A writer may block on a slow connection: up to one thread per streaming follower, which
    // the cap bounds, and idle ones end. A client has one writer task at a time, so the queue
    // holds at most one per follower (and never refuses one, as a bounded hand-off could just
    // after a finishing client gave its slot back but not yet its thread).
    this.writers = new ThreadPoolExecutor(maxFollowers, maxFollowers, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), threads("annals-follow-writer-" + schema));
    writers.allowCoreThreadTimeOut(true);
    this.timer = Executors.newSingleThreadScheduledExecutor(threads("annals-follow-timer-" + schema));
    this.hub = new LogHub(store, new EventJson(store.registry(), b.mapper), pageSize, catchUp);
    long idle = heartbeat.toNanos();
    long period = Math.max(1, heartbeat.toMillis() / 2);
    timer.scheduleAtFixedRate(() -> clients.forEach(c -> c.heartbeat(idle)), period, period,
        TimeUnit.MILLISECONDS);
  }

  /**
   * Starts configuring the followers of {@code store}'s log, whose events go out as the
   * CloudEvents {@code mapper} makes.
   */
  public static Builder builder(PostgresEventStore store, CloudEventMapper mapper) {
    return new Builder(Objects.requireNonNull(store, "store must not be null"),
        Objects.requireNonNull(mapper, "mapper must not be null"));
  }

  /** How many followers are open now: streaming connections and waiting long polls. */
  public int followers() {
    return maxFollowers - slots.availablePermits();
  }

  /**
   * How many streaming followers were dropped for being too slow since this instance started: a
   * figure to watch, as each is a client that fell behind by {@code bufferSize} events.
   */
  public long droppedFollowers() {
    return dropped.get();
  }

  void countDropped() {
    dropped.incrementAndGet();
  }

  /** The most followers open at once. */
  public int maxFollowers() {
    return maxFollowers;
  }

  /** The longest {@code wait} a long poll may ask for. */
  public Duration maxWait() {
    return maxWait;
  }

  PostgresEventStore store() {
    return store;
  }

  LogHub hub() {
    return hub;
  }

  int bufferSize() {
    return bufferSize;
  }

  int pageSize() {
    return pageSize;
  }

  ExecutorService writers() {
    return writers;
  }

  ScheduledExecutorService timer() {
    return timer;
  }

  /**
   * Takes a follower's slot.
   *
   * @return the action that gives it back (idempotent)
   * @throws Problems.Refused 503 when {@link #maxFollowers()} followers are open
   */
  Runnable acquire() {
    if (!slots.tryAcquire()) {
      throw new Problems.Refused(503, "Too many followers", maxFollowers
          + " followers are open, the most this server serves; try again later");
    }
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        slots.release();
      }
    };
  }

  /** Registers a streaming client for heartbeats and shutdown, until it finishes. */
  void track(Client client) {
    clients.add(client);
  }

  void untrack(Client client) {
    clients.remove(client);
  }

  /** Registers a waiting long poll, to be answered at shutdown if it still waits. */
  void track(LongPoll poll) {
    polls.add(poll);
  }

  void untrack(LongPoll poll) {
    polls.remove(poll);
  }

  @Override
  public void close() {
    hub.close();
    clients.forEach(c -> c.end(Client.Ending.SHUTDOWN, "the server is shutting down; resume from the last id received"));
    polls.forEach(LongPoll::expire);
    timer.shutdownNow();
    catchUp.shutdownNow();
    writers.shutdown();
  }

  private static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.getAndIncrement());
      t.setDaemon(true);
      return t;
    };
  }

  /** Configures {@link EventFollowing}; each setter checks its value. */
  public static final class Builder {
    private final PostgresEventStore store;
    private final CloudEventMapper mapper;
    private int maxFollowers = 200;
    private Duration maxWait = Duration.ofSeconds(30);
    private int bufferSize = 1000;
    private Duration heartbeat = Duration.ofSeconds(15);
    private int pageSize = 500;

    private Builder(PostgresEventStore store, CloudEventMapper mapper) {
      this.store = store;
      this.mapper = mapper;
    }

    /**
     * The most followers open at once, of every route and kind; one more is refused with 503.
     * 200 by default. Each streaming follower may hold a writer thread while its client is slow.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder maxFollowers(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxFollowers must be 1 or more, was " + max);
      }
      this.maxFollowers = max;
      return this;
    }

    /**
     * The longest {@code wait} of a long poll; a longer one is refused with 400. 30 seconds by
     * default.
     *
     * @throws IllegalArgumentException if not positive or over 10 minutes
     */
    public Builder maxWait(Duration max) {
      Objects.requireNonNull(max, "maxWait must not be null");
      if (max.isNegative() || max.isZero() || max.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("maxWait must be positive and at most 10 minutes, was " + max);
      }
      this.maxWait = max;
      return this;
    }

    /**
     * How many events may wait for a streaming client; a client that falls further behind is
     * dropped with a reason. 1000 by default.
     *
     * @throws IllegalArgumentException if less than 1
     */
    public Builder bufferSize(int events) {
      if (events < 1) {
        throw new IllegalArgumentException("bufferSize must be 1 or more events, was " + events);
      }
      this.bufferSize = events;
      return this;
    }

    /**
     * How long a streaming connection may stay silent before the server sends a heartbeat (an
     * SSE comment, a WebSocket ping), which keeps proxies from closing it and finds clients that
     * went away. 15 seconds by default.
     *
     * @throws IllegalArgumentException if under 100 milliseconds
     */
    public Builder heartbeat(Duration interval) {
      Objects.requireNonNull(interval, "heartbeat must not be null");
      if (interval.compareTo(Duration.ofMillis(100)) < 0) {
        throw new IllegalArgumentException("heartbeat must be 100 ms or more, was " + interval);
      }
      this.heartbeat = interval;
      return this;
    }

    /**
     * How many events one read of the log returns. 500 by default.
     *
     * @throws IllegalArgumentException if less than 1 or over 10,000
     */
    public Builder pageSize(int events) {
      if (events < 1 || events > 10_000) {
        throw new IllegalArgumentException("pageSize must be between 1 and 10000, was " + events);
      }
      this.pageSize = events;
      return this;
    }

    /** Starts the shared poller (which reads nothing while nobody follows). */
    public EventFollowing build() {
      return new EventFollowing(this);
    }
  }
}
