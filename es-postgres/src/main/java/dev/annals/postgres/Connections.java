package dev.annals.postgres;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Optional;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jdbi.v3.core.Handles;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;

/**
 * Where a {@link PostgresEventStore}'s statements run: on a pool, each in a transaction of its
 * own ({@link Pooled}), or in a transaction the caller holds open ({@link Joined}, from
 * {@link PostgresEventStore#joining}), which the store must never commit, roll back or close.
 */
sealed interface Connections extends AutoCloseable permits Connections.Pooled, Connections.Joined {

  /** Work on a connection. */
  interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  DataSource dataSource();

  Jdbi jdbi();

  /**
   * Runs an append's statements, which either all take effect or none. Each statement must be
   * sent as {@link #appendStatement} gives it.
   */
  <T> T append(SqlWork<T> work) throws SQLException;

  /** An append statement as these connections send it: as it is, unless {@link Joined} says otherwise. */
  default String appendStatement(String sql) {
    return sql;
  }

  /**
   * How many times an append is tried while the stream's last writer is a younger transaction:
   * each try in a new transaction has a newer id.
   */
  int orderConflictAttempts();

  /** Releases what these connections own; never throws. */
  @Override
  void close();

  /**
   * The store's pool: each append on a connection of its own, committed when it returns.
   *
   * @param ownedPool the pool the store made, closed with it; empty for a caller's data source
   * @param notifications the store's notifier, stopped with it
   */
  record Pooled(DataSource dataSource, Jdbi jdbi, Optional<HikariDataSource> ownedPool,
      Notifications notifications) implements Connections {

    Pooled(DataSource dataSource, Optional<HikariDataSource> ownedPool, Notifications notifications) {
      this(dataSource, Jdbi.create(dataSource), ownedPool, notifications);
    }

    @Override
    public <T> T append(SqlWork<T> work) throws SQLException {
      try (Connection c = dataSource.getConnection()) {
        return work.run(c);
      }
    }

    @Override
    public int orderConflictAttempts() {
      return 5;
    }

    @Override
    public void close() {
      notifications.close();
      ownedPool.ifPresent(HikariDataSource::close);
    }
  }

  /**
   * A transaction the caller holds: one borrowed connection, wrapped so that closing it does
   * nothing, since the store's code closes what it gets but the caller decides when the
   * transaction ends.
   */
  record Joined(DataSource dataSource, Jdbi jdbi) implements Connections {

    static Joined on(Connection connection) {
      DataSource borrowed = borrowed(connection);
      Jdbi jdbi = Jdbi.create(borrowed);
      // Closing a handle of this view must neither commit nor roll back what the caller holds open.
      jdbi.getConfig(Handles.class).setForceEndTransactions(false);
      return new Joined(borrowed, jdbi);
    }

    /** The savepoint each append statement in a caller's transaction runs in. */
    static final String SAVEPOINT = "annals_append";

    @Override
    public <T> T append(SqlWork<T> work) throws SQLException {
      try (Connection c = dataSource.getConnection()) {
        try {
          return work.run(c);
        } catch (SQLException e) {
          // The statement failed inside its savepoint (a duplicate event id, say): undo it and
          // no more, so that the caller's transaction goes on and the store can answer. Only
          // when the transaction is failed: a failure before the statement (the driver looking a
          // type up) left no savepoint, and rolling back to none would fail the transaction.
          if (failed(c)) {
            try (Statement undo = c.createStatement()) {
              undo.execute("ROLLBACK TO SAVEPOINT " + SAVEPOINT + "; RELEASE SAVEPOINT " + SAVEPOINT);
            } catch (SQLException undoFailed) {
              e.addSuppressed(undoFailed);
            }
          }
          throw e;
        }
      }
    }

    /** Whether the transaction on {@code c} is failed; true when the driver cannot say. */
    private static boolean failed(Connection c) {
      try {
        return !c.isWrapperFor(BaseConnection.class)
            || c.unwrap(BaseConnection.class).getTransactionState() == TransactionState.FAILED;
      } catch (SQLException e) {
        return true;
      }
    }

    /**
     * The statement inside a savepoint of its own, sent with it in one round trip: a duplicate
     * event id must not abort the caller's transaction, and a savepoint set and released by the
     * driver's calls would cost two round trips more per append.
     */
    @Override
    public String appendStatement(String sql) {
      return "SAVEPOINT " + SAVEPOINT + "; " + sql + "; RELEASE SAVEPOINT " + SAVEPOINT;
    }

    /** One: the caller's transaction id cannot change, so only the caller's retry can help. */
    @Override
    public int orderConflictAttempts() {
      return 1;
    }

    /** Nothing: the caller owns the connection and the store's resources stay with the store. */
    @Override
    public void close() {}

    private static DataSource borrowed(Connection connection) {
      Connection borrowed = (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
          new Class<?>[] {Connection.class}, (proxy, method, args) -> {
            switch (method.getName()) {
              case "close":
                return null;
              case "isClosed":
                return connection.isClosed();
              case "unwrap":
                return connection.unwrap((Class<?>) args[0]);
              default:
                try {
                  return method.invoke(connection, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
            }
          });
      return new DataSource() {
        @Override
        public Connection getConnection() {
          return borrowed;
        }

        @Override
        public Connection getConnection(String username, String password) {
          return borrowed;
        }

        @Override
        public PrintWriter getLogWriter() {
          return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
          // Nothing is logged here.
        }

        @Override
        public void setLoginTimeout(int seconds) {
          // The connection is already open.
        }

        @Override
        public int getLoginTimeout() {
          return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
          throw new SQLFeatureNotSupportedException("no parent logger");
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
          throw new SQLException("not a wrapper of " + type);
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
          return false;
        }
      };
    }
  }
}
