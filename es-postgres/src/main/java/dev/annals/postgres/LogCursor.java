package dev.annals.postgres;

/**
 * A place in the gap-safe log order: after the event written by transaction
 * {@code transactionId} at {@code position}. The log is ordered by (transaction id, position);
 * a reader that stores this pair as its checkpoint never skips an event.
 *
 * @param transactionId the writing transaction's id ({@code xid8}), 0 at the start
 * @param position the global position, 0 at the start
 */
public record LogCursor(long transactionId, long position) implements Comparable<LogCursor> {

  /** Before every event. */
  public static final LogCursor START = new LogCursor(0, 0);

  public LogCursor {
    if (transactionId < 0 || position < 0) {
      throw new IllegalArgumentException("log cursor parts must be 0 or more, was ("
          + transactionId + ", " + position + ")");
    }
  }

  @Override
  public int compareTo(LogCursor other) {
    int byTransaction = Long.compareUnsigned(transactionId, other.transactionId);
    return byTransaction != 0 ? byTransaction : Long.compare(position, other.position);
  }

  /** Whether this cursor is after {@code other} in log order. */
  public boolean isAfter(LogCursor other) {
    return compareTo(other) > 0;
  }

  @Override
  public String toString() {
    return transactionId + ":" + position;
  }

  /**
   * Parses the form {@link #toString()} writes, {@code transactionId:position}.
   *
   * @throws IllegalArgumentException if the text is not a cursor
   */
  public static LogCursor parse(String text) {
    int colon = text == null ? -1 : text.indexOf(':');
    try {
      if (colon > 0) {
        return new LogCursor(Long.parseLong(text.substring(0, colon)),
            Long.parseLong(text.substring(colon + 1)));
      }
    } catch (NumberFormatException e) {
      // fall through to the common message
    }
    throw new IllegalArgumentException("invalid log cursor '" + text
        + "': expected transactionId:position, for example 7311:1042");
  }
}
