package dev.annals.postgres.internal;

import dev.annals.core.AnnalsException;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.internal.Redaction;
import dev.annals.postgres.PostgresStoreException;
import dev.annals.postgres.SchemaException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * Turns JDBC failures into the framework's exceptions, once, in one place. For the framework's
 * own modules, not its users.
 */
public final class SqlErrors {

  private static final Set<String> UNAVAILABLE = Set.of("57P01", "57P02", "57P03", "53300", "08000",
      "08001", "08003", "08004", "08006", "08007");
  private static final Set<String> SCHEMA_GONE = Set.of("3F000", "42P01", "42883");

  private SqlErrors() {}

  /** The first {@link SQLException} in {@code e}'s causes, or null if there is none. */
  public static SQLException sqlCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        return s;
      }
    }
    return null;
  }

  /** Whether {@code e} is a unique violation of {@code constraint}. */
  public static boolean isUniqueViolation(Throwable e, String constraint) {
    SQLException s = sqlCause(e);
    return s != null && "23505".equals(s.getSQLState()) && String.valueOf(s.getMessage()).contains(constraint);
  }

  /**
   * The framework's exception for a failure of {@code operation} on the event store in {@code
   * schema}: {@link StoreUnavailableException} when PostgreSQL is unreachable, {@link
   * SchemaException} when the schema's objects are missing, else {@link PostgresStoreException};
   * an {@link AnnalsException} as it is.
   */
  public static AnnalsException translate(String operation, String schema, Throwable e) {
    if (e instanceof AnnalsException a) {
      return a;
    }
    SQLException sql = sqlCause(e);
    String state = sql == null ? null : sql.getSQLState();
    // The driver's and the pool's messages may quote the connection URL.
    String detail = Redaction.redact(sql == null ? String.valueOf(e.getMessage()) : sql.getMessage());
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
