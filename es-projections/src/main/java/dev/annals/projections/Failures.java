package dev.annals.projections;

import dev.annals.core.AnnalsException;
import dev.annals.core.Backoff;
import dev.annals.core.EventDecodingException;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.UnknownEventTypeException;
import dev.annals.core.internal.Redaction;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Set;
import java.util.function.LongSupplier;

/** Sorting failures into "the event's fault" and "the infrastructure's fault". */
final class Failures {

  private static final Set<String> CONNECTION_LOST = Set.of("57P01", "57P02", "57P03", "53300", "25P03");
  private static final int MAX_STACK_TRACE = 16_000;
  private static final Duration RETRY_WAIT = Duration.ofMillis(50);

  private Failures() {}

  /**
   * Whether {@code e} means the database went away (terminated backend, broken socket, pool
   * timeout). Such a failure says nothing about the event being processed, so it must not count
   * as one of the event's attempts: otherwise a database restart would park healthy events.
   */
  static boolean isConnectionLoss(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StoreUnavailableException || t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        if (state != null && (state.startsWith("08") || CONNECTION_LOST.contains(state))) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * Whether {@code e} is a stored event that cannot be decoded with this application's
   * registry. Trying again in the same process cannot help: the registry does not change.
   */
  static boolean isUndecodable(Throwable e) {
    return e instanceof UnknownEventTypeException || e instanceof EventDecodingException;
  }

  /** One line naming the exception's class and redacted message, for dead letters and logs. */
  static String describe(Throwable e) {
    return Redaction.describe(e);
  }

  /**
   * Asks again after a dropped connection (a retryable failure), every 50 ms until
   * {@code deadline} ({@link System#nanoTime()}); then, on any other failure, or when
   * interrupted (the flag stays set), throws it.
   */
  static long retrying(long deadline, LongSupplier query) {
    while (true) {
      try {
        return query.getAsLong();
      } catch (AnnalsException e) {
        if (!e.isRetryable() || System.nanoTime() > deadline || !Backoff.sleep(RETRY_WAIT, () -> true)) {
          throw e;
        }
      }
    }
  }

  /** The stack trace of {@code e} with every message redacted, cut at 16,000 characters. */
  static String stackTrace(Throwable e) {
    StringWriter out = new StringWriter();
    Redaction.redacted(e).printStackTrace(new PrintWriter(out));
    String text = out.toString();
    return text.length() > MAX_STACK_TRACE ? text.substring(0, MAX_STACK_TRACE) + "\n\t... (truncated)" : text;
  }
}
