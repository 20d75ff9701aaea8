package dev.annals.messaging.kafka;

import dev.annals.core.StoreUnavailableException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;
import org.jdbi.v3.core.ConnectionException;

/**
 * Tells a database that is away from a message that is bad. A message is only dead-lettered for
 * the second: while PostgreSQL is down every message would fail, and none of them is at fault.
 */
final class Unavailable {

  /** Connection errors, server shutting down or starting, too many connections. */
  private static final Set<String> STATES = Set.of("57P01", "57P02", "57P03", "53300");

  private Unavailable() {}

  static boolean isDatabaseUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof StoreUnavailableException || t instanceof ConnectionException
          || t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().startsWith("08") || STATES.contains(s.getSQLState()))) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
