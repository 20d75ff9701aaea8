package dev.annals.messaging;

import io.cloudevents.CloudEvent;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * How every broker consumer hands a message to the inbox: tries the handler with backoff,
 * tells a failure of the database (wait and try again, without limit, keeping the message and
 * the order) from a failure of the message (after the last try it goes to the dead letters).
 *
 * <p>Blocking the consumer's thread while the database is down is deliberate: handing the
 * message back to the broker would let the messages behind it overtake it.
 */
final class InboxDelivery {

  static final System.Logger LOG = System.getLogger("dev.annals.messaging");

  enum Outcome { APPLIED, DUPLICATE, DEAD, STOPPED }

  record Result(Outcome outcome, Throwable error, int attempts) {}

  private final Inbox inbox;
  private final String consumer;
  private final MessageHandler handler;
  private final int maxAttempts;
  private final Duration firstBackoff;
  private final Duration maxBackoff;
  final AtomicLong applied = new AtomicLong();
  final AtomicLong duplicates = new AtomicLong();
  final AtomicLong deadLettered = new AtomicLong();

  InboxDelivery(Inbox inbox, String consumer, MessageHandler handler, int maxAttempts, Duration firstBackoff,
      Duration maxBackoff) {
    this.inbox = inbox;
    this.consumer = consumer;
    this.handler = handler;
    this.maxAttempts = maxAttempts;
    this.firstBackoff = firstBackoff;
    this.maxBackoff = maxBackoff;
  }

  ConsumerCounts counts() {
    return new ConsumerCounts(applied.get(), duplicates.get(), deadLettered.get());
  }

  /**
   * Delivers one event.
   *
   * @param stopping true once the consumer is closing: gives up waiting (outcome STOPPED; the
   *     message is left unacknowledged and comes again)
   * @param waiting called while waiting for the database, to tell the broker the message is
   *     still being worked on
   */
  Result deliver(CloudEvent event, BooleanSupplier stopping, Runnable waiting) {
    int attempts = 0;
    int outageWaits = 0;
    while (true) {
      if (stopping.getAsBoolean()) {
        return new Result(Outcome.STOPPED, null, attempts);
      }
      try {
        boolean ran = inbox.process(consumer, event, handler);
        (ran ? applied : duplicates).incrementAndGet();
        return new Result(ran ? Outcome.APPLIED : Outcome.DUPLICATE, null, attempts + 1);
      } catch (Exception e) {
        if (isDatabaseDown(e)) {
          outageWaits++;
          if (outageWaits == 1 || outageWaits % 10 == 0) {
            LOG.log(System.Logger.Level.WARNING, "consumer {0}: the database is unreachable ({1}); "
                + "holding message {2} and trying again", consumer, e.toString(), event.getId());
          }
          waiting.run();
          sleep(backoff(outageWaits));
          continue;
        }
        attempts++;
        if (attempts >= maxAttempts) {
          return new Result(Outcome.DEAD, e, attempts);
        }
        sleep(backoff(attempts));
      }
    }
  }

  Duration backoff(int tries) {
    Duration d = firstBackoff;
    for (int i = 1; i < tries && d.compareTo(maxBackoff) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
  }

  static String describe(Throwable e) {
    return e.getClass().getName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(Math.max(1, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A broken or refused connection says nothing about the message; it must not count as a try. */
  static boolean isDatabaseDown(Throwable e) {
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException
          || t instanceof org.jdbi.v3.core.ConnectionException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"))) {
        return true;
      }
    }
    return false;
  }

  /** Checked retry settings shared by the consumer builders. */
  static void checkRetries(int maxAttempts, Duration first, Duration max) {
    if (maxAttempts < 1 || maxAttempts > 100) {
      throw new IllegalArgumentException("maxAttempts must be 1 to 100, was " + maxAttempts);
    }
    if (first == null || max == null || first.isNegative() || first.isZero()) {
      throw new IllegalArgumentException("first backoff must be positive, was " + first);
    }
    if (max.compareTo(first) < 0) {
      throw new IllegalArgumentException("max backoff must be at least the first backoff ("
          + first + "), was " + max);
    }
  }
}
