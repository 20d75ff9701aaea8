package dev.annals.postgres;

import dev.annals.core.AnnalsException;
import dev.annals.core.StoreUnavailableException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/** Turns JDBC failures into the framework's exceptions, once, in one place. */
final class SqlErrors {

  private static final Set<String> UNAVAILABLE = Set.of("57P01", "57P02", "57P03", "53300", "08000",
      "08001", "08003", "08004", "08006", "08007");
  private static final Set<String> SCHEMA_GONE = Set.of("3F000", "42P01", "42883");

  private SqlErrors() {}

  static SQLException sqlCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        return s;
      }
    }
    return null;
  }

  static boolean isUniqueViolation(Throwable e, String constraint) {
    SQLException s = sqlCause(e);
    return s != null && "23505".equals(s.getSQLState()) && String.valueOf(s.getMessage()).contains(constraint);
  }

  static AnnalsException translate(String operation, String schema, Throwable e) {
    if (e instanceof AnnalsException a) {
      return a;
    }
    SQLException sql = sqlCause(e);
    String state = sql == null ? null : sql.getSQLState();
    String detail = sql == null ? String.valueOf(e.getMessage()) : sql.getMessage();
    if (sql instanceof SQLTransientConnectionException || (state != null
        && (UNAVAILABLE.contains(state) || state.startsWith("08")))) {
      return new StoreUnavailableException(operation + " failed: PostgreSQL is unreachable or "
          + "dropped the connection (" + detail + "). If this was an append, it may or may not "
          + "be stored: retry it with the same event ids.", e);
    }
    if (state != null && SCHEMA_GONE.contains(state)) {
      return new SchemaException(operation + " failed: the event store in schema '" + schema
          + "' is missing objects (" + detail + "); was it dropped? Reinstall with "
          + "PostgresSchema.install or check the configured schema name.", e);
    }
    return new PostgresStoreException(operation + " failed: " + detail
        + (state == null ? "" : " [SQLSTATE " + state + "]"), state, e);
  }
}
