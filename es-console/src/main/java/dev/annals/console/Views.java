package dev.annals.console;

import dev.annals.postgres.Anchor;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.projections.DeadLetter;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.RetryResult;
import dev.annals.projections.StoredProjections;
import com.fasterxml.jackson.annotation.JsonRawValue;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.jdbi.v3.core.statement.StatementContext;

/** What the console's API answers, as JSON records; stored JSON is passed through as it is ({@code @JsonRawValue}). */
final class Views {

  private Views() {}

  record OpenTransaction(int pid, double ageSeconds, String state, String applicationName) {}

  record LastError(String message, Instant at) {}

  /** One partition of one projector version; the oldest open transaction leaves its query out, which may hold secrets. */
  record Projector(String projector, int version, boolean active, int partition, int partitions, String state,
      String owner, Instant leaseUntil, long position, long headPosition, long safeHeadPosition, long lagEvents,
      double lagSeconds, long processedEvents, double eventsPerSecond, long heldBackEvents,
      OpenTransaction oldestOpenTransaction, LastError lastError, long openDeadLetters, Instant observedAt) {

    static Projector of(ProjectionStatus s) {
      var tx = s.heldBack().oldestOpenTransaction()
          .map(t -> new OpenTransaction(t.pid(), t.age().toMillis() / 1000.0, t.state(), t.applicationName()))
          .orElse(null);
      var error = s.health().lastError().map(e -> new LastError(e.message(), e.at())).orElse(null);
      return new Projector(s.partition().projector(), s.partition().version(), s.partition().active(),
          s.partition().index(), s.partition().count(), s.health().state().name(),
          s.lease().map(ProjectionStatus.Lease::node).orElse(null),
          s.lease().map(ProjectionStatus.Lease::until).orElse(null),
          s.position().cursor().position(), s.position().headPosition(), s.position().safeHeadPosition(),
          s.position().lagEvents(), s.position().lagSeconds(), s.work().processedEvents(),
          s.work().eventsPerSecond(), s.heldBack().events(), tx, error, s.health().openDeadLetters(), s.observedAt());
    }
  }

  /**
   * One version of a projector: {@code state} is {@code active}, {@code rebuilding} (it switches
   * by itself once caught up) or {@code retired}; {@code tables} are those a drop would remove.
   */
  record Version(String projector, int version, String state, int partitions, long position, long headPosition,
      List<String> tables, String description) {

    static Version of(StoredProjections.Version v, long head) {
      String description = switch (v.role()) {
        case ACTIVE -> "serves reads";
        case REBUILDING -> String.format(java.util.Locale.ROOT, "rebuilding beside the active version: at position "
            + "%,d of %,d; it switches by itself once caught up", v.position(), head);
        case RETIRED -> v.tables().isEmpty()
            ? "retired; no tables recorded (dropped already, or set up before they were recorded)"
            : "retired; its tables stay for a rollback until dropped";
      };
      return new Version(v.projector(), v.version(), v.role().name().toLowerCase(java.util.Locale.ROOT),
          v.partitions(), v.position(), head, v.tables(), description);
    }
  }

  record DroppedTables(String projector, int version, List<String> dropped) {}

  record ReplayPlan(String projector, int version, long fromPosition, long events, String description) {}

  record DeadLetterView(long id, String projector, int version, int partition, long position, String eventId,
      String stream, long streamVersion, String type, String error, int attempts, Instant parkedAt, String status) {

    static DeadLetterView of(DeadLetter d) {
      return new DeadLetterView(d.id(), d.projector(), d.projectorVersion(), d.partition(), d.position(),
          d.eventId().toString(), d.streamId().toString(), d.streamVersion(), d.type(), d.error(), d.attempts(),
          d.parkedAt(), d.status().name());
    }
  }

  record RetryOutcome(List<Long> resolved, Long stillFailing, String error) {
    static RetryOutcome of(RetryResult r) {
      return new RetryOutcome(r.resolved().stream().map(DeadLetter::id).toList(),
          r.stillFailing().map(DeadLetter::id).orElse(null),
          r.stillFailing().map(DeadLetter::error).orElse(null));
    }
  }

  record StreamSummary(String stream, String category, long version, Instant createdAt) {}

  /** An event as stored: its payload and metadata are the stored JSON, not decoded. */
  record Event(long position, String stream, long version, String eventId, String type, int schemaVersion,
      Instant recordedAt, @JsonRawValue String payload, @JsonRawValue String metadata) {

    static final String SELECT = "SELECT position, stream_id, version, event_id, type, schema_version, recorded_at, "
        + "payload::text, metadata::text FROM ${schema}.events";

    static Event read(ResultSet rs, StatementContext ctx) throws SQLException {
      return new Event(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getString(5), rs.getInt(6),
          rs.getObject(7, OffsetDateTime.class).toInstant(), rs.getString(8), rs.getString(9));
    }
  }

  record EventPage(String stream, long streamVersion, long fromVersion, List<Event> events) {}

  /** A stream's state as of a point: {@code state} is null when no decoder is given for its category. */
  record StateView(String stream, long version, long streamVersion, @JsonRawValue String state, boolean decoded) {}

  record Violation(String stream, long version, long position, String kind, String detail) {}

  record IntegrityReport(boolean intact, long streamsChecked, long eventsChecked, List<Violation> violations) {
    static IntegrityReport of(IntegrityVerifier.Report r) {
      return new IntegrityReport(r.intact(), r.streamsChecked(), r.eventsChecked(), r.violations().stream().limit(50)
          .map(v -> new Violation(v.stream(), v.version(), v.position(), v.kind().name(), v.detail())).toList());
    }
  }

  record AnchorView(long logPosition, Instant takenAt, int streams, String digest) {
    static AnchorView of(Anchor a) {
      return new AnchorView(a.logPosition(), a.takenAt(), a.heads().size(), a.digest());
    }
  }

  /** The whole-log verification: never run, running with progress, or finished with a result. */
  record Integrity(boolean running, String startedBy, Instant startedAt, long streamsDone, long streamsTotal,
      long eventsDone, Instant finishedAt, IntegrityReport result, AnchorView lastAnchor, String error) {

    static Integrity never() {
      return new Integrity(false, null, null, 0, 0, 0, null, null, null, null);
    }

    static Integrity started(String user, Instant at) {
      return new Integrity(true, user, at, 0, 0, 0, null, null, null, null);
    }

    Integrity progress(long done, long total, long events) {
      return new Integrity(true, startedBy, startedAt, done, total, events, null, null, lastAnchor, null);
    }

    Integrity finished(IntegrityReport report, AnchorView anchor) {
      return new Integrity(false, startedBy, startedAt, report.streamsChecked(), report.streamsChecked(),
          report.eventsChecked(), Instant.now(), report, anchor, null);
    }

    Integrity failed(String message) {
      return new Integrity(false, startedBy, startedAt, streamsDone, streamsTotal, eventsDone, Instant.now(), null,
          lastAnchor, message);
    }
  }

  /**
   * A webhook subscription. Its URL is shown without user info, query or fragment, which may
   * carry credentials, and so is its last error.
   */
  record Webhook(String id, String url, java.util.Set<String> eventTypes, String state, long delivered, long pending,
      int failures, Instant failingSince, String lastError, Instant lastAttemptAt, Instant nextAttemptAt) {

    static Webhook of(dev.annals.messaging.webhooks.WebhookSubscription s) {
      String safe = safe(s.url());
      return new Webhook(s.id().toString(), safe, s.eventTypes(), s.state().name(), s.delivered(), s.pending(),
          s.failures(), s.failingSince().orElse(null),
          s.lastError().map(e -> Checks.shorten(e.replace(s.url().toString(), safe), 300)).orElse(null),
          s.lastAttemptAt().orElse(null), s.nextAttemptAt().orElse(null));
    }

    static String safe(java.net.URI url) {
      return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
          + (url.getRawPath() == null ? "" : url.getRawPath());
    }
  }

  /** An event waiting for a webhook subscription (its body, the CloudEvent, is left out). */
  record Delivery(long seq, String eventId, String eventType, long position, Instant createdAt) {
    static Delivery of(dev.annals.messaging.webhooks.WebhookDelivery d) {
      return new Delivery(d.seq(), d.eventId().toString(), d.eventType(), d.position(), d.createdAt());
    }
  }

  /** One recorded console action; {@code action} is the stored event's payload. */
  record AuditEntry(long position, Instant recordedAt, @JsonRawValue String action) {}
}
