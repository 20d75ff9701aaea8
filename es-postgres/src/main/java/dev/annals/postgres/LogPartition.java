package dev.annals.postgres;

/**
 * One of {@code count} disjoint slices of the log, by a hash of the stream id: every event of a
 * stream falls in the same partition, so per-stream order holds within a partition. The hash is
 * PostgreSQL's {@code hashtext(stream_id)}, masked to 31 bits, modulo {@code count}.
 *
 * @param index this partition, 0 to count - 1
 * @param count how many partitions there are, 1 or more
 */
public record LogPartition(int index, int count) {

  /** The whole log as one partition. */
  public static final LogPartition ALL = new LogPartition(0, 1);

  public LogPartition {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("partition index must be 0.." + (count - 1)
          + " of count >= 1, was " + index + " of " + count);
    }
  }

  /** Whether this is the whole log. */
  public boolean isAll() {
    return count == 1;
  }

  @Override
  public String toString() {
    return index + "/" + count;
  }
}
