package dev.annals.postgres;

import java.util.List;
import java.util.Objects;

/**
 * One read of the log.
 *
 * @param events the events, in log order
 * @param next the cursor to read after next: the last event's, or the one read from if empty
 */
public record LogBatch(List<StoredEvent> events, LogCursor next) {

  public LogBatch {
    events = List.copyOf(events);
    Objects.requireNonNull(next, "next");
  }

  public boolean isEmpty() {
    return events.isEmpty();
  }
}
