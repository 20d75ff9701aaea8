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
 * work) and the log head, in a few parts: which partition, how it is doing, where it is against
 * the log, what the log holds back from every reader, its work, and who holds it.
 *
 * @param partition which projector, version and partition this is about
 * @param health what it is doing, its last error and its open dead letters
 * @param position its checkpoint against the log's head, and the lag between them
 * @param heldBack what an open transaction keeps every reader from seeing (the same for every
 *     partition)
 * @param work what it has processed, and how fast
 * @param lease the node holding its lease, if the lease is live
 * @param observedAt when this was read (database clock)
 */
public record ProjectionStatus(Partition partition, Health health, Position position, HeldBack heldBack,
    Work work, Optional<Lease> lease, Instant observedAt) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** All parts are required; {@code lease} is empty when no node holds a live lease. */
  public ProjectionStatus {
    Objects.requireNonNull(partition, "partition");
    Objects.requireNonNull(health, "health");
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(heldBack, "heldBack");
    Objects.requireNonNull(work, "work");
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(observedAt, "observedAt");
  }

  /**
   * Which partition a status is about.
   *
   * @param projector the projector's name
   * @param version the projector version
   * @param active whether this version serves reads (false while it is being rebuilt)
   * @param index the partition, 0 to {@code count - 1}
   * @param count the version's partition count
   */
  public record Partition(String projector, int version, boolean active, int index, int count) {
    /** The projector name is required. */
    public Partition {
      Objects.requireNonNull(projector, "projector");
    }
  }

  /**
   * How a partition is doing.
   *
   * @param state what it is doing
   * @param lastError the last error recorded for it, if any
   * @param openDeadLetters its parked, blocked and halted events
   */
  public record Health(ProjectorState state, Optional<LastError> lastError, long openDeadLetters) {
    /** State and last error are required ({@code lastError} may be empty). */
    public Health {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(lastError, "lastError");
    }
  }

  /**
   * An error recorded for a partition.
   *
   * @param message one line
   * @param at when it was recorded (database clock)
   */
  public record LastError(String message, Instant at) {
    /** Both are required. */
    public LastError {
      Objects.requireNonNull(message, "message");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * Where a partition is against the log.
   *
   * @param cursor the place in the log it has processed up to (its checkpoint)
   * @param headPosition the highest committed position in the log
   * @param safeHeadPosition the highest position readers can see now
   * @param lagEvents an <em>estimate</em> of the events left: 0 when no committed event after
   *     the cursor is readable, else the head position minus the position of the next
   *     unprocessed event, plus one. It counts log positions, including events of other
   *     categories and partitions, so it is an upper bound
   * @param lagSeconds the age of the oldest unprocessed readable event, by the database clock;
   *     0 when there is none
   */
  public record Position(LogCursor cursor, long headPosition, long safeHeadPosition, long lagEvents,
      double lagSeconds) {
    /** The cursor is required. */
    public Position {
      Objects.requireNonNull(cursor, "cursor");
    }
  }

  /**
   * Committed events nobody can read yet, because an older transaction is still open.
   *
   * @param events how many
   * @param oldestOpenTransaction the oldest open transaction in the cluster, which holds every
   *     reader back; set {@code idle_in_transaction_session_timeout} to bound it
   */
  public record HeldBack(long events, Optional<LogHead.OpenTransaction> oldestOpenTransaction) {
    /** The transaction is required ({@code oldestOpenTransaction} may be empty). */
    public HeldBack {
      Objects.requireNonNull(oldestOpenTransaction, "oldestOpenTransaction");
    }
  }

  /**
   * What a partition has processed.
   *
   * @param processedEvents events processed since it was created or last reset
   * @param eventsPerSecond its recent throughput, as measured by its owner; 0 without a live owner
   */
  public record Work(long processedEvents, double eventsPerSecond) {}

  /**
   * A live lease on a partition.
   *
   * @param node the node holding it
   * @param until when it ends unless renewed (database clock)
   */
  public record Lease(String node, Instant until) {
    /** Both are required. */
    public Lease {
      Objects.requireNonNull(node, "node");
      Objects.requireNonNull(until, "until");
    }
  }

  /** Whether it has processed every event readers can see now. */
  public boolean isCaughtUp() {
    return position.lagEvents() == 0;
  }

  /**
   * This status as one JSON object with one nested object per part ({@code partition},
   * {@code health}, {@code position}, {@code heldBack}, {@code work}, {@code lease}) and
   * {@code observedAt}. Absent values are {@code null}; instants are ISO-8601 strings; the
   * cursor is {@code {"transactionId":..,"position":..}}.
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
    ObjectNode p = o.putObject("partition");
    p.put("projector", partition.projector());
    p.put("version", partition.version());
    p.put("active", partition.active());
    p.put("index", partition.index());
    p.put("count", partition.count());

    ObjectNode h = o.putObject("health");
    h.put("state", health.state().name());
    if (health.lastError().isPresent()) {
      ObjectNode e = h.putObject("lastError");
      e.put("message", health.lastError().get().message());
      e.put("at", health.lastError().get().at().toString());
    } else {
      h.putNull("lastError");
    }
    h.put("openDeadLetters", health.openDeadLetters());

    ObjectNode pos = o.putObject("position");
    ObjectNode c = pos.putObject("cursor");
    c.put("transactionId", position.cursor().transactionId());
    c.put("position", position.cursor().position());
    pos.put("headPosition", position.headPosition());
    pos.put("safeHeadPosition", position.safeHeadPosition());
    pos.put("lagEvents", position.lagEvents());
    pos.put("lagSeconds", position.lagSeconds());

    ObjectNode held = o.putObject("heldBack");
    held.put("events", heldBack.events());
    if (heldBack.oldestOpenTransaction().isPresent()) {
      LogHead.OpenTransaction t = heldBack.oldestOpenTransaction().get();
      ObjectNode tx = held.putObject("oldestOpenTransaction");
      tx.put("pid", t.pid());
      tx.put("ageSeconds", t.age().toNanos() / 1e9);
      tx.put("state", t.state());
      tx.put("applicationName", t.applicationName());
      tx.put("query", t.query());
    } else {
      held.putNull("oldestOpenTransaction");
    }

    ObjectNode w = o.putObject("work");
    w.put("processedEvents", work.processedEvents());
    w.put("eventsPerSecond", work.eventsPerSecond());

    if (lease.isPresent()) {
      ObjectNode l = o.putObject("lease");
      l.put("node", lease.get().node());
      l.put("until", lease.get().until().toString());
    } else {
      o.putNull("lease");
    }
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
