package dev.annals.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Wake-ups for log readers. Appends in this process wake local readers at once; a scheduled task
 * sends at most one {@code NOTIFY} per interval after appends (outside their transactions) for
 * readers on other nodes; a listener thread, started when a reader first waits, turns
 * notifications from any node into local wake-ups. Readers never depend on a wake-up: they poll
 * as well, so a lost notification only costs latency.
 */
final class Notifications implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Notifications.class.getName());

  private final DataSource dataSource;
  private final String channel;
  private final boolean enabled;
  private final Object monitor = new Object();
  private final AtomicBoolean dirty = new AtomicBoolean();
  private final ScheduledExecutorService sender;
  private long sequence;
  private Thread listener;
  private volatile boolean closed;

  Notifications(DataSource dataSource, String schema, Duration interval) {
    this.dataSource = dataSource;
    String name = "annals_" + schema;
    this.channel = name.length() > 63 ? name.substring(0, 63) : name;
    this.enabled = !interval.isZero();
    if (enabled) {
      sender = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "annals-notify-" + schema);
        t.setDaemon(true);
        return t;
      });
      long micros = Math.max(1000, interval.toNanos() / 1000);
      sender.scheduleWithFixedDelay(this::sendIfDirty, micros, micros, TimeUnit.MICROSECONDS);
    } else {
      sender = null;
    }
  }

  /** Called after an append committed. */
  void appended() {
    wake();
    if (enabled) {
      dirty.set(true);
    }
  }

  /** A counter that grows with every wake-up; pass it to {@link #await}. */
  long sequence() {
    synchronized (monitor) {
      return sequence;
    }
  }

  /**
   * Waits until a wake-up after {@code seen}, or {@code max} passed.
   *
   * @return whether a wake-up came
   */
  boolean await(long seen, Duration max) throws InterruptedException {
    if (enabled) {
      startListener();
    }
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (monitor) {
      while (sequence <= seen) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || closed) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(monitor, left);
      }
      return true;
    }
  }

  private void wake() {
    synchronized (monitor) {
      sequence++;
      monitor.notifyAll();
    }
  }

  private void sendIfDirty() {
    if (!dirty.getAndSet(false)) {
      return;
    }
    // Without waiting for a WAL flush: a wake-up need not survive a crash (readers poll anyway),
    // and a flush of its own every interval would queue in front of the appends' commits.
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT set_config('synchronous_commit', 'off', true), pg_notify(?, '')")) {
      ps.setString(1, channel);
      ps.execute();
    } catch (SQLException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "could not notify readers on " + channel
          + "; they will find new events by polling", e);
    }
  }

  private synchronized void startListener() {
    if (listener != null || closed) {
      return;
    }
    listener = new Thread(this::listen, "annals-listen-" + channel);
    listener.setDaemon(true);
    listener.start();
  }

  private void listen() {
    while (!closed) {
      try (Connection c = dataSource.getConnection()) {
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN " + channel);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        while (!closed) {
          PGNotification[] received = pg.getNotifications(250);
          if (received != null && received.length > 0) {
            wake();
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (closed) {
          return;
        }
        LOG.log(System.Logger.Level.DEBUG, "listener on " + channel + " lost its connection; "
            + "readers poll meanwhile", e);
        try {
          Thread.sleep(1000);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    if (sender != null) {
      sender.shutdownNow();
    }
    Thread t;
    synchronized (this) {
      t = listener;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    wake();
  }
}
