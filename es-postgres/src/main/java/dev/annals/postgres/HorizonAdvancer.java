package dev.annals.postgres;

import dev.annals.core.internal.Redaction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Moves the store's horizon fence, so that a transaction that never appends cannot hold the
 * store's readers back.
 *
 * <h2>Why</h2>
 * {@link LogReader} reads below {@code pg_snapshot_xmin}: the oldest transaction holding an id
 * anywhere in the cluster, in any database. A batch job in another database, a migration, or a
 * projector's own read-model transaction held every reader of every store back for as long as it
 * stayed open.
 *
 * <h2>The fence</h2>
 * Readers read below the larger of that and the fence F. What they rely on: no event with a
 * transaction id below F can still appear. Two rules give it:
 * <ol>
 *   <li>every append takes the store's append lock shared (until commit), then reads F and, when
 *       its transaction id is below F, writes nothing and reports the transaction order conflict
 *       the store already retries in a new transaction (a newer id);
 *   <li>this advancer moves F only while holding the append lock exclusively: then no append is
 *       in flight, so every transaction below the new F that appended has finished, and any that
 *       appends later reads the new F and is refused.
 * </ol>
 * F lives twice: in the sequence {@code append_fence}, which an appender reads after the lock
 * with its latest value whatever the appender's isolation level; and in the row
 * {@code log_horizon}, which readers read in their own snapshot. A snapshot that shows the row's
 * new F was taken after the advancer committed, hence after every append below F committed (a
 * transaction leaves the running set before it releases its locks), so it sees their events.
 *
 * <h2>How far behind</h2>
 * The fence is set to a transaction-id counter value ({@code pg_snapshot_xmax}) observed
 * {@code lag} ago: only a transaction that took its id more than that before appending is ever
 * refused, and readers trail the newest commits by about that much while an old transaction is
 * open elsewhere (and not at all otherwise: the fence moves only when the cluster horizon is
 * behind it). The exclusive lock waits at most {@value #LOCK_TIMEOUT_MS} ms (appends queue behind
 * it meanwhile); a long transaction that appended keeps it away, and with it the horizon, until
 * it ends: the advancer then backs off, so that appenders do not queue behind it on every tick.
 *
 * <p>One per pooled store, started by the first {@link PostgresEventStore#logReader()}; several
 * stores and nodes may advance one schema's fence, each move only forward. Thread-safe.
 */
final class HorizonAdvancer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(HorizonAdvancer.class.getName());
  static final int LOCK_TIMEOUT_MS = 50;
  private static final long MAX_BACKOFF_NANOS = Duration.ofSeconds(2).toNanos();

  /** A transaction-id counter value seen at a time. */
  private record Seen(long nanos, long xid) {}

  private final DataSource dataSource;
  private final String schema;
  private final Duration lag;
  private final Duration tick;
  private final String observe;
  private final String lock;
  private final String setSequence;
  private final String setRow;
  private final Deque<Seen> seen = new ArrayDeque<>();
  private final AtomicLong advances = new AtomicLong();
  private final AtomicLong timeouts = new AtomicLong();
  private final Object monitor = new Object();
  private Thread thread;
  private volatile boolean closed;
  private long backoffNanos;
  private long notBeforeNanos;
  private int failures;

  HorizonAdvancer(DataSource dataSource, String schema, Duration lag) {
    this.dataSource = dataSource;
    this.schema = schema;
    this.lag = lag;
    this.tick = Duration.ofNanos(Math.max(Duration.ofMillis(5).toNanos(), lag.toNanos() / 3));
    this.observe = "SELECT CAST(pg_snapshot_xmin(s) AS text), CAST(pg_snapshot_xmax(s) AS text), "
        + "(SELECT CAST(h.fence AS text) FROM " + schema + ".log_horizon h) FROM pg_current_snapshot() s";
    this.lock = "SELECT set_config('lock_timeout', '" + LOCK_TIMEOUT_MS + "ms', true), "
        + "pg_advisory_xact_lock(" + AppendSql.appendLockKey(schema) + ")";
    this.setSequence = "SELECT setval('" + schema + ".append_fence', greatest(f.last_value, ?)) FROM "
        + schema + ".append_fence f";
    this.setRow = "UPDATE " + schema + ".log_horizon SET fence = greatest(fence, CAST(? AS xid8)), "
        + "advanced_at = clock_timestamp()";
  }

  /** Starts the advancer thread, once. */
  void start() {
    synchronized (monitor) {
      if (thread != null || closed) {
        return;
      }
      thread = new Thread(this::run, "annals-horizon-" + schema);
      thread.setDaemon(true);
      thread.start();
    }
  }

  /** How often the fence moved, and how often the exclusive lock timed out, since the start. */
  long advances() {
    return advances.get();
  }

  long timeouts() {
    return timeouts.get();
  }

  private void run() {
    while (!closed) {
      try {
        step();
        failures = 0;
      } catch (SQLException | RuntimeException e) {
        failures++;
        // The first failure and then every hundredth: a database outage must not flood the log.
        if (failures == 1 || failures % 100 == 0) {
          LOG.log(System.Logger.Level.WARNING, "could not move the horizon fence of schema '" + schema
              + "' (" + failures + " in a row); readers fall back to the cluster horizon meanwhile",
              Redaction.redacted(e));
        }
      }
      try {
        Thread.sleep(Math.max(1, tick.toMillis()));
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One look: note the counter, and move the fence if readers need it and it is time. */
  void step() throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      long xmin;
      long xmax;
      long fence;
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(observe)) {
        rs.next();
        xmin = Long.parseUnsignedLong(rs.getString(1));
        xmax = Long.parseUnsignedLong(rs.getString(2));
        fence = Long.parseUnsignedLong(rs.getString(3));
      }
      long now = System.nanoTime();
      seen.addLast(new Seen(now, xmax));
      Seen due = null;
      while (!seen.isEmpty() && now - seen.peekFirst().nanos() >= lag.toNanos()) {
        due = seen.removeFirst();
      }
      if (due == null) {
        return;
      }
      // Put back: the next looks may still need it.
      seen.addFirst(due);
      long target = due.xid();
      // Readers already read up to xmin; a fence at or below it, or below the current one, adds nothing.
      if (target <= xmin || target <= fence || now < notBeforeNanos) {
        return;
      }
      if (advance(c, target)) {
        backoffNanos = 0;
        advances.incrementAndGet();
      } else {
        timeouts.incrementAndGet();
        backoffNanos = Math.min(MAX_BACKOFF_NANOS, Math.max(tick.toNanos(), backoffNanos * 2));
        notBeforeNanos = System.nanoTime() + backoffNanos;
      }
    }
  }

  /** Moves both copies of the fence under the exclusive append lock; false if the lock timed out. */
  private boolean advance(Connection c, long target) throws SQLException {
    c.setAutoCommit(false);
    try {
      try (Statement st = c.createStatement()) {
        st.execute(lock);
      } catch (SQLException e) {
        c.rollback();
        if ("55P03".equals(e.getSQLState())) {
          return false;
        }
        throw e;
      }
      try (PreparedStatement ps = c.prepareStatement(setSequence)) {
        ps.setLong(1, target);
        ps.execute();
      }
      try (PreparedStatement ps = c.prepareStatement(setRow)) {
        ps.setString(1, Long.toUnsignedString(target));
        ps.executeUpdate();
      }
      c.commit();
      return true;
    } catch (SQLException | RuntimeException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  @Override
  public void close() {
    Thread t;
    synchronized (monitor) {
      closed = true;
      t = thread;
    }
    if (t != null) {
      t.interrupt();
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
