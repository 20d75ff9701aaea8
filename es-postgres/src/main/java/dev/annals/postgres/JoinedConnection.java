package dev.annals.postgres;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A data source that hands out one borrowed connection, wrapped so that closing it does nothing:
 * the store's code closes what it gets, but the caller, who lent the connection in its open
 * transaction, decides when it ends.
 */
final class JoinedConnection {

  private JoinedConnection() {}

  static DataSource dataSource(Connection connection) {
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
