package dev.annals.postgres.archive;

import dev.annals.core.StreamId;
import java.time.Instant;
import java.util.Objects;

/**
 * Which events {@link LogExport} writes: every event by default, narrowed by category, stream,
 * position range and recorded-at range (all that are set must hold). Immutable; each method
 * returns a new filter and checks its value.
 */
public final class ExportFilter {

  private final String category;
  private final StreamId stream;
  private final long fromPosition;
  private final long toPosition;
  private final Instant since;
  private final Instant until;

  private ExportFilter(String category, StreamId stream, long fromPosition, long toPosition, Instant since,
      Instant until) {
    this.category = category;
    this.stream = stream;
    this.fromPosition = fromPosition;
    this.toPosition = toPosition;
    this.since = since;
    this.until = until;
  }

  /** Every event. */
  public static ExportFilter all() {
    return new ExportFilter(null, null, 1, Long.MAX_VALUE, null, null);
  }

  /** Only the streams of {@code category}. */
  public ExportFilter category(String category) {
    StreamId.of(category, "x");
    return new ExportFilter(category, stream, fromPosition, toPosition, since, until);
  }

  /** Only {@code stream}. */
  public ExportFilter stream(StreamId stream) {
    return new ExportFilter(category, Objects.requireNonNull(stream, "stream must not be null"), fromPosition,
        toPosition, since, until);
  }

  /** Only positions {@code from} to {@code to}, both included. */
  public ExportFilter positions(long from, long to) {
    if (from < 1 || to < from) {
      throw new IllegalArgumentException("positions must be 1 <= from <= to, were " + from + " to " + to);
    }
    return new ExportFilter(category, stream, from, to, since, until);
  }

  /** Only events recorded at or after {@code since} and before {@code until}. */
  public ExportFilter recorded(Instant since, Instant until) {
    Objects.requireNonNull(since, "since must not be null");
    Objects.requireNonNull(until, "until must not be null");
    if (!since.isBefore(until)) {
      throw new IllegalArgumentException("since must be before until, were " + since + " and " + until);
    }
    return new ExportFilter(category, stream, fromPosition, toPosition, since, until);
  }

  String where() {
    StringBuilder sql = new StringBuilder(" WHERE position BETWEEN ? AND ?");
    if (category != null) {
      sql.append(" AND starts_with(stream_id, ?)");
    }
    if (stream != null) {
      sql.append(" AND stream_id = ?");
    }
    if (since != null) {
      sql.append(" AND recorded_at >= ? AND recorded_at < ?");
    }
    return sql.toString();
  }

  void bind(java.sql.PreparedStatement ps) throws java.sql.SQLException {
    int i = 1;
    ps.setLong(i++, fromPosition);
    ps.setLong(i++, toPosition);
    if (category != null) {
      ps.setString(i++, category + "-");
    }
    if (stream != null) {
      ps.setString(i++, stream.toString());
    }
    if (since != null) {
      ps.setObject(i++, java.time.OffsetDateTime.ofInstant(since, java.time.ZoneOffset.UTC));
      ps.setObject(i, java.time.OffsetDateTime.ofInstant(until, java.time.ZoneOffset.UTC));
    }
  }

  @Override
  public String toString() {
    return "ExportFilter[category=" + category + ", stream=" + stream + ", positions=" + fromPosition + ".."
        + toPosition + ", recorded=" + since + ".." + until + "]";
  }
}
