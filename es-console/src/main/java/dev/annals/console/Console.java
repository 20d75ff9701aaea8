package dev.annals.console;

import dev.annals.core.AsOf;
import dev.annals.core.StreamId;
import dev.annals.messaging.webhooks.WebhookSubscription;
import dev.annals.messaging.webhooks.Webhooks;
import dev.annals.postgres.Anchor;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogHead;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.DeadLetter;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.RetryResult;
import dev.annals.projections.StoredProjections;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.beans.factory.DisposableBean;

/**
 * What the console knows and does, apart from HTTP: reads the store and the runner, checks an
 * operator's input, acts, and records each action. Thread-safe.
 */
final class Console implements DisposableBean {

  static final int MAX_PAGE = 200;

  /** Why a standalone console refuses the actions that need the application's projectors. */
  static final String STANDALONE = "this console runs standalone, without the application's projectors: "
      + "projector and dead-letter actions run in a console embedded in the application (or through its "
      + "ProjectionRunner); here they are shown only";

  private final PostgresEventStore store;
  private final Optional<ProjectionRunner> runner;
  private final StoredProjections stored;
  private final Optional<Webhooks> webhooks;
  private final Map<String, StateDecoder> decoders;
  private final Audit audit;
  private final String schema;
  private final ExecutorService verifier = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "console-verify");
    t.setDaemon(true);
    return t;
  });
  private final AtomicReference<Views.Integrity> integrity =
      new AtomicReference<>(Views.Integrity.never());

  Console(ConsoleServer.Settings settings) {
    this.store = settings.store();
    this.runner = settings.runner();
    this.stored = StoredProjections.of(settings.store());
    this.webhooks = settings.webhooks();
    this.decoders = settings.decoders();
    this.audit = new Audit(store);
    this.schema = store.schema();
  }

  // ---- projectors

  /** Without the application's runner: projectors are shown, not acted on. */
  boolean standalone() {
    return runner.isEmpty();
  }

  /** From the runner when there is one; standalone, from the projection tables alone. */
  List<Views.Projector> projectors() {
    return (runner.isPresent() ? runner.get().status() : stored.status()).stream().map(Views.Projector::of).toList();
  }

  /** Every version of every projector, retired ones too, from the projection tables. */
  List<Views.Version> versions() {
    long head = store.headPosition();
    return stored.versions().stream().map(v -> Views.Version.of(v, head)).toList();
  }

  /** Drops a retired version's recorded tables; the runner refuses any other version. */
  Views.DroppedTables dropTables(String projector, int v, String user, String reason) {
    ProjectionRunner r = runnerOf(projector);
    StoredProjections.Version found = stored.versions().stream()
        .filter(x -> x.projector().equals(projector) && x.version() == v).findFirst()
        .orElseThrow(() -> Refusal.notFound("projector " + projector + " has no version " + v));
    String names = found.tables().isEmpty() ? "no recorded tables" : String.join(", ", found.tables());
    AtomicReference<List<String>> dropped = new AtomicReference<>(List.of());
    act(user, "drop-tables", "projector " + projector + " v" + v,
        "drop the tables of " + projector + " v" + v + ": " + names, reason,
        () -> dropped.set(r.dropRetiredTables(projector, v)));
    return new Views.DroppedTables(projector, v, dropped.get());
  }

  void pause(String projector, String user, String reason) {
    ProjectionRunner r = runnerOf(projector);
    act(user, "pause", "projector " + projector, "pause " + projector + " on every node", reason,
        () -> r.pause(projector));
  }

  void resume(String projector, String user, String reason) {
    ProjectionRunner r = runnerOf(projector);
    act(user, "resume", "projector " + projector, "resume " + projector + " on every node", reason,
        () -> r.resume(projector));
  }

  /** What a replay would do, for the confirmation; changes nothing. */
  Views.ReplayPlan replayPlan(String projector, String position, String time) {
    runnerOf(projector);
    long from = replayPosition(position, time);
    long events = store.withHandle("count the events to replay", h -> h.createQuery(
        "SELECT count(*) FROM " + schema + ".events WHERE position >= :p").bind("p", from).mapTo(Long.class).one());
    int version = runner.get().status(projector).stream().mapToInt(s -> s.partition().version()).max().orElse(1);
    String description = String.format(Locale.ROOT, "replay %s v%d from position %,d: %,d events", projector,
        version, from, events);
    return new Views.ReplayPlan(projector, version, from, events, description);
  }

  Views.ReplayPlan replay(String projector, String position, String time, String user, String reason) {
    Views.ReplayPlan plan = replayPlan(projector, position, time);
    act(user, "replay", "projector " + projector, plan.description(), reason,
        () -> replayFrom(projector, plan.fromPosition()));
    return plan;
  }

  /** From the first event of the log is from the start, which every projector's reset supports. */
  private void replayFrom(String projector, long position) {
    boolean earlier = store.withHandle("find an event before the replay", h -> h.createQuery(
        "SELECT EXISTS (SELECT 1 FROM " + schema + ".events WHERE position < :p)").bind("p", position)
        .mapTo(Boolean.class).one());
    if (earlier) {
      runner.get().replayFrom(projector, position);
    } else {
      runner.get().reset(projector, LogCursor.START);
    }
  }

  private long replayPosition(String position, String time) {
    boolean hasPosition = position != null && !position.isBlank();
    boolean hasTime = time != null && !time.isBlank();
    if (hasPosition == hasTime) {
      throw Refusal.badRequest("give either a position or a time to replay from");
    }
    long head = store.headPosition();
    if (hasPosition) {
      long p;
      try {
        p = Long.parseLong(position.trim());
      } catch (NumberFormatException e) {
        throw Refusal.badRequest("position '" + Checks.shorten(position) + "' is not a whole number");
      }
      if (p < 1) {
        throw Refusal.badRequest("position must be 1 or more, was " + p);
      }
      if (p > head) {
        throw Refusal.badRequest("position " + p + " is beyond the head of the log (" + head + ")");
      }
      boolean exists = store.withHandle("find the event to replay from", h -> h.createQuery(
          "SELECT EXISTS (SELECT 1 FROM " + schema + ".events WHERE position = :p)").bind("p", p)
          .mapTo(Boolean.class).one());
      if (!exists) {
        throw Refusal.badRequest("no event has position " + p + " (a rolled-back append left a hole there)");
      }
      return p;
    }
    Instant at = parseTime(time);
    Optional<Long> first = store.withHandle("find the first event at a time", h -> h.createQuery(
        "SELECT min(position) FROM " + schema + ".events WHERE recorded_at >= :t")
        .bind("t", OffsetDateTime.ofInstant(at, ZoneOffset.UTC)).mapTo(Long.class).findOne());
    return first.orElseThrow(() -> Refusal.badRequest("no event was recorded at or after " + at));
  }

  static Instant parseTime(String time) {
    try {
      return OffsetDateTime.parse(time.trim()).toInstant();
    } catch (RuntimeException e) {
      throw Refusal.badRequest("time '" + Checks.shorten(time)
          + "' is not an ISO-8601 date-time with an offset, e.g. 2026-03-01T12:00:00Z");
    }
  }

  private ProjectionRunner runnerOf(String projector) {
    if (runner.isEmpty() && stored.versions().stream().anyMatch(v -> v.projector().equals(projector))) {
      throw Refusal.conflict(STANDALONE);
    }
    if (runner.isEmpty() || !runner.get().projectorNames().contains(projector)) {
      throw Refusal.notFound("no projector named '" + Checks.shorten(projector) + "' runs here");
    }
    return runner.get();
  }

  // ---- dead letters

  List<Views.DeadLetterView> deadLetters(String projector, String stream) {
    if (runner.isEmpty()) {
      boolean anyProjector = projector == null || projector.isBlank();
      return stored.deadLetters().stream()
          .filter(d -> anyProjector || d.projector().equals(projector.trim()))
          .filter(d -> stream == null || stream.isBlank() || d.streamId().toString().equals(stream.trim()))
          .map(Views.DeadLetterView::of)
          .sorted(Comparator.comparingLong(Views.DeadLetterView::position)).toList();
    }
    List<String> names = runner.get().projectorNames();
    if (projector != null && !projector.isBlank()) {
      runnerOf(projector);
      names = List.of(projector);
    }
    List<Views.DeadLetterView> all = new ArrayList<>();
    for (String name : names) {
      for (DeadLetter d : runner.get().deadLetters(name)) {
        if (stream == null || stream.isBlank() || d.streamId().toString().equals(stream.trim())) {
          all.add(Views.DeadLetterView.of(d));
        }
      }
    }
    all.sort(Comparator.comparingLong(Views.DeadLetterView::position));
    return all;
  }

  Views.RetryOutcome retry(long id, String user, String reason) {
    DeadLetter d = openDeadLetter(id);
    AtomicReference<RetryResult> result = new AtomicReference<>();
    act(user, "retry", "dead letter " + id, "retry " + d.type() + " of " + d.streamId() + " v"
        + d.streamVersion() + " in " + d.projector(), reason, () -> result.set(runner.get().retry(id)));
    return Views.RetryOutcome.of(result.get());
  }

  Views.RetryOutcome retryStream(String projector, String stream, String user, String reason) {
    runnerOf(projector);
    StreamId streamId = parseStream(stream);
    List<DeadLetter> open = runner.get().deadLetters(projector).stream()
        .filter(d -> d.streamId().equals(streamId)).sorted(Comparator.comparingLong(DeadLetter::streamVersion)).toList();
    if (open.isEmpty()) {
      throw Refusal.notFound("projector " + projector + " has no open dead letters of stream " + streamId);
    }
    List<DeadLetter> resolved = new ArrayList<>();
    AtomicReference<Optional<DeadLetter>> failing = new AtomicReference<>(Optional.empty());
    act(user, "retry-stream", "stream " + streamId, "retry the " + open.size() + " dead letters of " + streamId
        + " in " + projector + ", in stream order", reason, () -> {
          // The runner retries the blocked ones behind a parked event with it; go on until none is left.
          for (int round = 0; round < open.size(); round++) {
            Optional<DeadLetter> next = runner.get().deadLetters(projector).stream()
                .filter(d -> d.streamId().equals(streamId)).min(Comparator.comparingLong(DeadLetter::streamVersion));
            if (next.isEmpty()) {
              return;
            }
            RetryResult r = runner.get().retry(next.get().id());
            resolved.addAll(r.resolved());
            if (r.stillFailing().isPresent()) {
              failing.set(r.stillFailing());
              return;
            }
          }
        });
    return Views.RetryOutcome.of(new RetryResult(resolved, failing.get()));
  }

  void discard(long id, String user, String reason) {
    if (reason == null || reason.isBlank()) {
      throw Refusal.badRequest("a discard needs a reason");
    }
    DeadLetter d = openDeadLetter(id);
    act(user, "discard", "dead letter " + id, "discard " + d.type() + " of " + d.streamId() + " v"
        + d.streamVersion() + " in " + d.projector(), reason, () -> runner.get().discard(id));
  }

  private DeadLetter openDeadLetter(long id) {
    if (runner.isEmpty() && stored.deadLetters().stream().anyMatch(d -> d.id() == id)) {
      throw Refusal.conflict(STANDALONE);
    }
    if (runner.isPresent()) {
      for (String name : runner.get().projectorNames()) {
        for (DeadLetter d : runner.get().deadLetters(name)) {
          if (d.id() == id) {
            return d;
          }
        }
      }
    }
    throw Refusal.notFound("no open dead letter has id " + id);
  }

  // ---- streams

  List<Views.StreamSummary> findStreams(String query) {
    String q = query == null ? "" : query.trim();
    if (q.length() > StreamId.MAX_CATEGORY_LENGTH + StreamId.MAX_ID_LENGTH + 1) {
      throw Refusal.badRequest("a stream search is at most " + (StreamId.MAX_CATEGORY_LENGTH + StreamId.MAX_ID_LENGTH + 1)
          + " characters");
    }
    String like = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%";
    return store.withHandle("find streams", h -> h.createQuery("SELECT stream_id, category, version, created_at FROM "
        + schema + ".streams WHERE stream_id LIKE :q ORDER BY stream_id LIMIT 50")
        .bind("q", like)
        .map((rs, ctx) -> new Views.StreamSummary(rs.getString(1), rs.getString(2), rs.getLong(3),
            rs.getObject(4, OffsetDateTime.class).toInstant()))
        .list());
  }

  Views.EventPage events(String stream, long fromVersion, int limit) {
    StreamId id = parseStream(stream);
    if (fromVersion < 1) {
      throw Refusal.badRequest("fromVersion must be 1 or more, was " + fromVersion);
    }
    if (limit < 1 || limit > MAX_PAGE) {
      throw Refusal.badRequest("limit must be 1 to " + MAX_PAGE + ", was " + limit);
    }
    long version = streamVersion(id);
    List<Views.Event> events = store.withHandle("read a stream's events", h -> h.createQuery(
        Views.Event.SELECT.replace("${schema}", schema) + " WHERE stream_id = :s AND version >= :v ORDER BY version LIMIT :l")
        .bind("s", id.toString()).bind("v", fromVersion).bind("l", limit)
        .map(Views.Event::read).list());
    return new Views.EventPage(id.toString(), version, fromVersion, events);
  }

  List<Views.Event> around(long position, int before, int after) {
    if (position < 1) {
      throw Refusal.badRequest("position must be 1 or more, was " + position);
    }
    int b = Math.max(0, Math.min(before, 50));
    int a = Math.max(0, Math.min(after, 50));
    String select = Views.Event.SELECT.replace("${schema}", schema);
    return store.withHandle("read the events around a position", h -> {
      List<Views.Event> earlier = h.createQuery(select + " WHERE position < :p ORDER BY position DESC LIMIT :l")
          .bind("p", position).bind("l", b).map(Views.Event::read).list();
      List<Views.Event> later = h.createQuery(select + " WHERE position >= :p ORDER BY position LIMIT :l")
          .bind("p", position).bind("l", a + 1).map(Views.Event::read).list();
      List<Views.Event> all = new ArrayList<>(earlier);
      java.util.Collections.reverse(all);
      all.addAll(later);
      return all;
    });
  }

  Views.StateView state(String stream, String version, String position, String time) {
    StreamId id = parseStream(stream);
    long current = streamVersion(id);
    int given = (blank(version) ? 0 : 1) + (blank(position) ? 0 : 1) + (blank(time) ? 0 : 1);
    if (given > 1) {
      throw Refusal.badRequest("give at most one of version, position and time");
    }
    AsOf asOf;
    if (!blank(version)) {
      long v = parseLong("version", version);
      if (v < 0 || v > current) {
        throw Refusal.badRequest("version must be 0 to " + current + " (the stream's version), was " + v);
      }
      asOf = AsOf.version(v);
    } else if (!blank(position)) {
      long p = parseLong("position", position);
      long head = store.headPosition();
      if (p < 0 || p > head) {
        throw Refusal.badRequest("position must be 0 to " + head + " (the head of the log), was " + p);
      }
      asOf = AsOf.position(p);
    } else if (!blank(time)) {
      asOf = AsOf.time(parseTime(time));
    } else {
      asOf = AsOf.version(current);
    }
    StateDecoder decoder = decoders.get(id.category());
    if (decoder == null) {
      long upTo = versionAt(id, asOf);
      return new Views.StateView(id.toString(), upTo, current, null, false);
    }
    StateDecoder.State s = decoder.stateAsOf(id, asOf);
    return new Views.StateView(id.toString(), s.version(), current, store.registry().toJson(s.state()), true);
  }

  private long versionAt(StreamId id, AsOf asOf) {
    if (asOf instanceof AsOf.Version v) {
      return v.version();
    }
    String condition = asOf instanceof AsOf.Position ? "position <= :x" : "recorded_at <= :x";
    return store.withHandle("find a stream's version as of a point", h -> {
      var q = h.createQuery("SELECT coalesce(max(version), 0) FROM " + schema + ".events WHERE stream_id = :s AND "
          + condition).bind("s", id.toString());
      if (asOf instanceof AsOf.Position p) {
        q.bind("x", p.position());
      } else {
        q.bind("x", OffsetDateTime.ofInstant(((AsOf.Time) asOf).time(), ZoneOffset.UTC));
      }
      return q.mapTo(Long.class).one();
    });
  }

  Views.IntegrityReport verifyStream(String stream) {
    StreamId id = parseStream(stream);
    streamVersion(id);
    return Views.IntegrityReport.of(store.integrityVerifier().verify(IntegrityVerifier.Scope.stream(id)));
  }

  private long streamVersion(StreamId id) {
    long v = store.streamVersion(id);
    if (v == 0) {
      throw Refusal.notFound("no stream " + id);
    }
    return v;
  }

  static StreamId parseStream(String stream) {
    if (stream == null || stream.isBlank()) {
      throw Refusal.badRequest("a stream is required, as category-id");
    }
    try {
      return StreamId.parse(stream.trim());
    } catch (IllegalArgumentException e) {
      throw Refusal.badRequest("'" + Checks.shorten(stream) + "' is not a stream id (category-id): "
          + Checks.shorten(e.getMessage()));
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static long parseLong(String name, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw Refusal.badRequest(name + " '" + Checks.shorten(value) + "' is not a whole number");
    }
  }

  // ---- integrity of the whole log

  Views.Integrity integrity() {
    return integrity.get();
  }

  Views.Integrity startVerify(String user, String reason) {
    Instant started = Instant.now();
    Views.Integrity running = Views.Integrity.started(user, started);
    Views.Integrity before = integrity.get();
    if (before.running() || !integrity.compareAndSet(before, running)) {
      throw Refusal.conflict("a verification is already running (started by " + before.startedBy() + ")");
    }
    act(user, "verify", "the log", "verify the hash chains of every stream", reason, () -> verifier.execute(() -> {
      try {
        IntegrityVerifier v = store.integrityVerifier();
        IntegrityVerifier.Report report = v.verify(IntegrityVerifier.Scope.all(),
            (done, total, events) -> integrity.set(integrity.get().progress(done, total, events)));
        Anchor anchor = v.anchor();
        integrity.set(integrity.get().finished(Views.IntegrityReport.of(report), Views.AnchorView.of(anchor)));
      } catch (RuntimeException e) {
        integrity.set(integrity.get().failed(Checks.shorten(String.valueOf(e.getMessage()))));
      }
    }));
    return integrity.get();
  }

  // ---- webhooks

  List<Views.Webhook> webhooks() {
    return webhooks.map(w -> w.subscriptions().stream().map(Views.Webhook::of).toList()).orElse(List.of());
  }

  List<Views.Delivery> deliveries(String id, int limit) {
    WebhookSubscription s = subscription(id);
    int l = Math.max(1, Math.min(limit, MAX_PAGE));
    return webhooks.get().pending(s.id()).stream().limit(l).map(Views.Delivery::of).toList();
  }

  void replayWebhook(String id, String user, String reason) {
    WebhookSubscription s = subscription(id);
    act(user, "replay-webhook", "webhook " + s.id(), "deliver the " + s.pending() + " waiting events to "
        + Views.Webhook.safe(s.url()) + ", in order", reason, () -> webhooks.get().replay(s.id()));
  }

  private WebhookSubscription subscription(String id) {
    java.util.UUID uuid;
    try {
      uuid = java.util.UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw Refusal.badRequest("'" + Checks.shorten(id) + "' is not a webhook subscription id (a UUID)");
    }
    return webhooks.flatMap(w -> w.find(uuid))
        .orElseThrow(() -> Refusal.notFound("no webhook subscription " + uuid));
  }

  // ---- audit

  List<Views.AuditEntry> auditLog(int limit) {
    int l = Math.max(1, Math.min(limit, MAX_PAGE));
    return store.withHandle("read the console's audit log", h -> h.createQuery("SELECT position, recorded_at, payload::text FROM "
        + schema + ".events WHERE stream_id = :s AND type = :t ORDER BY version DESC LIMIT :l")
        .bind("s", Audit.STREAM.toString()).bind("t", Audit.TYPE).bind("l", l)
        .map((rs, ctx) -> new Views.AuditEntry(rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant(),
            rs.getString(3)))
        .list());
  }

  LogHead head() {
    return store.logReader().head();
  }

  /** Runs an action and records it, done or failed; a refusal of the input is not an action. */
  private void act(String user, String action, String target, String detail, String reason, Runnable work) {
    String why = reason == null ? "" : reason.strip();
    if (why.length() > 500) {
      throw Refusal.badRequest("a reason is at most 500 characters");
    }
    try {
      work.run();
    } catch (Refusal e) {
      throw e;
    } catch (RuntimeException e) {
      audit.record(new Audit.ActionRecorded(user, action, target, detail, why,
          "failed: " + Checks.shorten(String.valueOf(e.getMessage()))));
      throw e;
    }
    audit.record(new Audit.ActionRecorded(user, action, target, detail, why, "done"));
  }

  @Override
  public void destroy() throws InterruptedException {
    verifier.shutdownNow();
    verifier.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS);
  }
}
