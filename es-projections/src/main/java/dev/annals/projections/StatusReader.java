package dev.annals.projections;

import dev.annals.core.Backoff;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.internal.Redaction;
import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogHead;
import dev.annals.postgres.LogReader;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads the status of projector partitions from the checkpoint rows and the log, for any node. */
final class StatusReader {

  private final Engine engine;
  private final Slots slots;

  StatusReader(Engine engine, Slots slots) {
    this.engine = engine;
    this.slots = slots;
  }

  /** See {@link ProjectionRunner#status()}. */
  List<ProjectionStatus> all() {
    List<ProjectionStatus> out = new ArrayList<>();
    for (String name : slots.names()) {
      out.addAll(of(name));
    }
    return out;
  }

  /** See {@link ProjectionRunner#status(String)}. */
  List<ProjectionStatus> of(String projector) {
    Projector p = slots.projector(projector);
    slots.ensureSchema();
    try {
      record Snapshot(List<Checkpoint> rows, Instant now, Optional<Integer> active,
          Map<Integer, Map<Integer, Long>> deadLetters) {}
      Snapshot s = engine.jdbi().withHandle(h -> {
        List<Checkpoint> rows = engine.checkpoints.listLive(h, p.name());
        Instant now = h.createQuery("SELECT clock_timestamp()").mapTo(OffsetDateTime.class).one().toInstant();
        Map<Integer, Map<Integer, Long>> dead = new LinkedHashMap<>();
        for (Checkpoint c : rows) {
          dead.computeIfAbsent(c.key().version(), v -> engine.deadLetters.openCounts(h, p.name(), v));
        }
        return new Snapshot(rows, now, engine.versions.active(h, p.name()), dead);
      });
      LogReader reader = engine.store.logReader();
      LogHead head = reader.head();
      ProjectionStatus.HeldBack heldBack = new ProjectionStatus.HeldBack(head.heldBackEvents(),
          head.oldestTransaction());
      List<ProjectionStatus> out = new ArrayList<>();
      for (Checkpoint c : s.rows()) {
        LogBatch next = reader.read(c.cursor(), 1, p.filter(), c.key().logPartition());
        long lagEvents = 0;
        double lagSeconds = 0;
        if (!next.isEmpty()) {
          long nextPosition = next.events().get(0).position();
          lagEvents = Math.max(1, head.headPosition() - nextPosition + 1);
          Duration age = Duration.between(next.events().get(0).recordedAt(), s.now());
          lagSeconds = Math.max(0, age.toNanos() / 1e9);
        }
        boolean live = c.hasLiveOwner(s.now());
        PartitionKey k = c.key();
        out.add(new ProjectionStatus(
            new ProjectionStatus.Partition(p.name(), k.version(),
                s.active().map(v -> v == k.version()).orElse(false), k.partition(), k.partitions()),
            new ProjectionStatus.Health(stateOf(c, s.now()), lastError(c),
                s.deadLetters().getOrDefault(k.version(), Map.of()).getOrDefault(k.partition(), 0L)),
            new ProjectionStatus.Position(c.cursor(), head.headPosition(), head.safeHeadPosition(),
                lagEvents, lagSeconds),
            heldBack,
            new ProjectionStatus.Work(c.processedEvents(), live ? c.eventsPerSecond() : 0),
            live ? Optional.of(new ProjectionStatus.Lease(c.owner(), c.leaseUntil())) : Optional.empty(),
            s.now()));
      }
      return out;
    } catch (RuntimeException e) {
      throw engine.failure("read the status of projector " + p.name(), e);
    }
  }

  static Optional<ProjectionStatus.LastError> lastError(Checkpoint c) {
    if (c.lastError() == null || c.lastErrorAt() == null) {
      return Optional.empty();
    }
    // Redacted again on the way out: rows written by an older version may hold a raw password.
    return Optional.of(new ProjectionStatus.LastError(Redaction.redact(c.lastError()), c.lastErrorAt()));
  }

  static ProjectorState stateOf(Checkpoint c, Instant now) {
    switch (c.state()) {
      case FAILED:
        return ProjectorState.FAILED;
      case PAUSED:
        return ProjectorState.PAUSED;
      case RETIRED:
        return ProjectorState.STOPPED;
      default:
        break;
    }
    if (!c.hasLiveOwner(now)) {
      return ProjectorState.STOPPED;
    }
    switch (c.state()) {
      case REBUILDING:
        return ProjectorState.REBUILDING;
      case CATCHING_UP:
        return ProjectorState.CATCHING_UP;
      default:
        return ProjectorState.RUNNING;
    }
  }

  /** See {@link ProjectionRunner#awaitCaughtUp}. */
  boolean awaitCaughtUp(String projector, Duration timeout) {
    Projector p = slots.projector(projector);
    long deadline = System.nanoTime() + timeout.toNanos();
    // Everything committed before this call: an open transaction elsewhere can hold some of it
    // back from readers, and a status that has read all that is visible is not yet caught up.
    long target = Failures.retrying(deadline, engine.store::headPosition);
    LogReader horizon = engine.store.logReader();
    while (true) {
      try {
        List<ProjectionStatus> statuses = ofVersion(projector, p.version());
        if (statuses.size() == p.partitions() && statuses.stream()
            .allMatch(s -> s.partition().active() && s.isCaughtUp()
                && s.health().state() != ProjectorState.FAILED)
            && horizon.heldBackUpTo(target) == 0
            && ofVersion(projector, p.version()).stream().allMatch(ProjectionStatus::isCaughtUp)) {
          return true;
        }
      } catch (ProjectionException | StoreUnavailableException e) {
        if (!e.isRetryable()) {
          throw e;
        }
        // A dropped connection: ask again until the timeout.
      }
      if (System.nanoTime() >= deadline) {
        return false;
      }
      if (!Backoff.sleep(Duration.ofMillis(20), () -> true)) {
        return false;
      }
    }
  }

  private List<ProjectionStatus> ofVersion(String projector, int version) {
    return of(projector).stream().filter(s -> s.partition().version() == version).toList();
  }
}
