package dev.annals.projections;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogHead;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The state of one projector partition, from the database (so any node reports every node's
 * work) and the log head.
 *
 * @param projector the projector's name
 * @param version the projector version this row is about
 * @param active whether this version serves reads (false while it is being rebuilt)
 * @param partition the partition, 0 to {@code partitions - 1}
 * @param partitions the version's partition count
 * @param state what it is doing
 * @param cursor the place in the log it has processed up to (its checkpoint)
 * @param headPosition the highest committed position in the log
 * @param safeHeadPosition the highest position readers can see now
 * @param lagEvents an <em>estimate</em> of the events left: 0 when no committed event after the
 *     cursor is readable, else the head position minus the position of the next unprocessed
 *     event, plus one. It counts log positions, including events of other categories and
 *     partitions, so it is an upper bound
 * @param lagSeconds the age of the oldest unprocessed readable event, by the database clock; 0
 *     when there is none
 * @param heldBackEvents committed events nobody can read yet because an older transaction is
 *     still open (see {@code oldestOpenTransaction})
 * @param oldestOpenTransaction the oldest open transaction in the cluster, which holds every
 *     reader back; set {@code idle_in_transaction_session_timeout} to bound it
 * @param lastError the last error recorded for this partition, one line
 * @param lastErrorAt when it was recorded
 * @param eventsPerSecond its recent throughput, as measured by its owner
 * @param processedEvents events processed since it was created or last reset
 * @param ownerNode the node holding its lease, if the lease is live
 * @param leaseUntil when that lease ends unless renewed (database clock)
 * @param openDeadLetters parked, blocked and halted events of this partition
 * @param observedAt when this was read (database clock)
 */
public record ProjectionStatus(String projector, int version, boolean active, int partition,
    int partitions, ProjectorState state, LogCursor cursor, long headPosition,
    long safeHeadPosition, long lagEvents, double lagSeconds, long heldBackEvents,
    Optional<LogHead.OpenTransaction> oldestOpenTransaction, Optional<String> lastError,
    Optional<Instant> lastErrorAt, double eventsPerSecond, long processedEvents,
    Optional<String> ownerNode, Optional<Instant> leaseUntil, long openDeadLetters,
    Instant observedAt) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public ProjectionStatus {
    Objects.requireNonNull(projector, "projector");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(cursor, "cursor");
    Objects.requireNonNull(oldestOpenTransaction, "oldestOpenTransaction");
    Objects.requireNonNull(lastError, "lastError");
    Objects.requireNonNull(lastErrorAt, "lastErrorAt");
    Objects.requireNonNull(ownerNode, "ownerNode");
    Objects.requireNonNull(leaseUntil, "leaseUntil");
    Objects.requireNonNull(observedAt, "observedAt");
  }

  /** Whether it has processed every event readers can see now. */
  public boolean isCaughtUp() {
    return lagEvents == 0;
  }

  /**
   * This status as one JSON object. Absent values are {@code null}; instants are ISO-8601
   * strings; the cursor is {@code {"transactionId":..,"position":..}}.
   */
  public String toJson() {
    return write(node());
  }

  /** Several statuses as a JSON array of {@link #toJson()} objects. */
  public static String toJson(List<ProjectionStatus> statuses) {
    ArrayNode array = JSON.createArrayNode();
    statuses.forEach(s -> array.add(s.node()));
    return write(array);
  }

  private ObjectNode node() {
    ObjectNode o = JSON.createObjectNode();
    o.put("projector", projector);
    o.put("version", version);
    o.put("active", active);
    o.put("partition", partition);
    o.put("partitions", partitions);
    o.put("state", state.name());
    ObjectNode c = o.putObject("cursor");
    c.put("transactionId", cursor.transactionId());
    c.put("position", cursor.position());
    o.put("headPosition", headPosition);
    o.put("safeHeadPosition", safeHeadPosition);
    o.put("lagEvents", lagEvents);
    o.put("lagSeconds", lagSeconds);
    o.put("heldBackEvents", heldBackEvents);
    if (oldestOpenTransaction.isPresent()) {
      LogHead.OpenTransaction t = oldestOpenTransaction.get();
      ObjectNode tx = o.putObject("oldestOpenTransaction");
      tx.put("pid", t.pid());
      tx.put("ageSeconds", t.age().toNanos() / 1e9);
      tx.put("state", t.state());
      tx.put("applicationName", t.applicationName());
      tx.put("query", t.query());
    } else {
      o.putNull("oldestOpenTransaction");
    }
    o.put("lastError", lastError.orElse(null));
    o.put("lastErrorAt", lastErrorAt.map(Instant::toString).orElse(null));
    o.put("eventsPerSecond", eventsPerSecond);
    o.put("processedEvents", processedEvents);
    o.put("ownerNode", ownerNode.orElse(null));
    o.put("leaseUntil", leaseUntil.map(Instant::toString).orElse(null));
    o.put("openDeadLetters", openDeadLetters);
    o.put("observedAt", observedAt.toString());
    return o;
  }

  private static String write(Object node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      // A tree of plain values always serializes; anything else is a bug here.
      throw new IllegalStateException("cannot write projection status as JSON", e);
    }
  }
}
