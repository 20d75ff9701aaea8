package dev.annals.messaging.internal;

import dev.annals.core.Backoff;
import dev.annals.core.internal.Redaction;
import dev.annals.messaging.inbox.ConsumerCounts;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import io.cloudevents.CloudEvent;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * How every broker consumer hands a message to the inbox: tries the handler with backoff,
 * tells a failure of the database (wait and try again, without limit, keeping the message and
 * the order) from a failure of the message (after the last try it goes to the dead letters).
 * Shared by the consumers of every transport; not an API for applications.
 *
 * <p>Blocking the consumer's thread while the database is down is deliberate: handing the
 * message back to the broker would let the messages behind it overtake it.
 *
 * <p>Thread-safe as far as its counters go; {@link #deliver} is called by one consumer thread.
 */
public final class InboxDelivery {

  /** The logger of the messaging module's consumers and dispatchers. */
  public static final System.Logger LOG = System.getLogger("dev.annals.messaging");

  /** How the delivery of one message ended. */
  public enum Outcome {
    /** The effect committed. */
    APPLIED,
    /** The inbox had the message already; nothing ran. */
    DUPLICATE,
    /** The handler failed on every try: the message is for the dead letters. */
    DEAD,
    /** The consumer is stopping; the message is to be left for redelivery. */
    STOPPED
  }

  /**
   * The end of one delivery.
   *
   * @param outcome how it ended
   * @param error the handler's last failure when {@link Outcome#DEAD}, else null
   * @param attempts how often the handler was tried
   */
  public record Result(Outcome outcome, Throwable error, int attempts) {}

  private final Inbox inbox;
  private final String consumer;
  private final MessageHandler handler;
  private final Retries retries;
  private final AtomicLong applied = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();

  /** Delivers the messages of {@code consumer} to {@code handler} through {@code inbox}. */
  public InboxDelivery(Inbox inbox, String consumer, MessageHandler handler, Retries retries) {
    this.inbox = Objects.requireNonNull(inbox, "inbox must not be null");
    this.consumer = Objects.requireNonNull(consumer, "consumer must not be null");
    this.handler = Objects.requireNonNull(handler, "handler must not be null");
    this.retries = Objects.requireNonNull(retries, "retries must not be null");
  }

  /** What the consumer has done so far. */
  public ConsumerCounts counts() {
    return new ConsumerCounts(applied.get(), duplicates.get(), deadLettered.get());
  }

  /** Counts a message the consumer moved to its dead letters. */
  public void countDeadLetter() {
    deadLettered.incrementAndGet();
  }

  /**
   * Delivers one event.
   *
   * @param stopping true once the consumer is closing: gives up waiting (outcome STOPPED; the
   *     message is left unacknowledged and comes again)
   * @param waiting called while waiting for the database, to tell the broker the message is
   *     still being worked on
   */
  public Result deliver(CloudEvent event, BooleanSupplier stopping, Runnable waiting) {
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
                + "holding message {2} and trying again", consumer, Redaction.describe(e), event.getId());
          }
          waiting.run();
          Backoff.sleep(backoff(outageWaits), () -> !stopping.getAsBoolean());
          continue;
        }
        attempts++;
        if (attempts >= retries.maxAttempts()) {
          return new Result(Outcome.DEAD, e, attempts);
        }
        Backoff.sleep(backoff(attempts), () -> !stopping.getAsBoolean());
      }
    }
  }

  /** The wait after {@code failures} failures in a row, for the consumer's own reconnecting too. */
  public Duration backoff(int failures) {
    return retries.backoff().delay(failures);
  }

  /** An error as the dead letters record it: its class and message, credentials hidden. */
  public static String describe(Throwable e) {
    return Redaction.describe(e);
  }

  /** {@code text} with credentials in it (URL user info, passwords) masked, for logs and errors. */
  public static String redact(String text) {
    return Redaction.redact(text);
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
}
