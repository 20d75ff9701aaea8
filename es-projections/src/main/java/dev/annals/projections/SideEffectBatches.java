package dev.annals.projections;

import dev.annals.core.RecordedEvent;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.StoredEvent;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Side-effect batches: the handlers run outside any transaction, then the checkpoint moves past
 * what was done. The fencing check can then only keep the checkpoint right: the effects of a
 * fenced-out batch may happen twice (at-least-once, with the event id as idempotency key). Not
 * thread-safe: the partition's thread only.
 */
final class SideEffectBatches {

  private final Claim claim;
  private final Engine engine;
  private final Projector projector;
  private final FailingEvents failing;

  SideEffectBatches(Claim claim) {
    this.claim = claim;
    this.engine = claim.engine;
    this.projector = claim.projector;
    this.failing = new FailingEvents(claim, (e, attempt, full) -> alone(e, attempt, full));
  }

  /** Processes a batch read after the checkpoint; see {@link PartitionProcessor#step}. */
  Outcome process(List<StoredEvent> events, boolean full, PartitionProcessor.Waiter waiter) {
    LogCursor readAfter = claim.row().cursor();
    // Check the lease first: effects done without it would be needless duplicates.
    if (!claim.renew(false, true)) {
      return Outcome.LOST;
    }
    if (!claim.row().cursor().equals(readAfter)) {
      // The renewal found a moved cursor (a reset): this batch was read after the old one.
      return Outcome.PROGRESS;
    }
    Map<String, Long> blocked = engine.jdbi().withHandle(h -> engine.deadLetters.blockedStreams(h,
        claim.key.projector(), claim.key.version(), ReadModelBatches.streams(events)));
    if (projector.batchSideEffect().isPresent()) {
      Optional<Outcome> done = inOneCall(events, blocked, full, waiter);
      if (done.isPresent()) {
        return done.get();
      }
      // The batch failed for a reason that may be one event's fault: one at a time finds it.
    }
    Set<Integer> blockedAt = new LinkedHashSet<>();
    int end = events.size();
    Throwable failure = null;
    for (int i = 0; i < events.size(); i++) {
      StoredEvent e = events.get(i);
      if (waiter.stopping() || !claim.renew(false, false)) {
        end = i;
        break;
      }
      if (blocked.containsKey(e.streamId().toString())) {
        blockedAt.add(i);
        continue;
      }
      try {
        RecordedEvent event = e.decode(engine.registry());
        projector.sideEffect().handle(event, Contexts.sideEffect(e.eventId(),
            claim.row().isReplay(e.cursor()), 1, claim.key.logPartition()));
      } catch (Exception ex) {
        failure = ex;
        end = i;
        break;
      }
    }
    if (end > 0) {
      Outcome o = commit(events.subList(0, end), blockedAt, full);
      if (o instanceof Outcome.Fenced f) {
        return claim.refenced(f.row());
      }
      if (((Outcome.Committed) o).events() < end) {
        return Outcome.PROGRESS;
      }
    }
    if (failure == null) {
      return Outcome.PROGRESS;
    }
    if (failure instanceof TargetUnavailableException) {
      return failing.unavailable(failure, waiter);
    }
    Outcome fate = failing.retryAlone(events.get(end), failure, full, waiter);
    if (fate instanceof Outcome.Fenced f) {
      return claim.refenced(f.row());
    }
    return fate == Outcome.LOST ? Outcome.LOST : Outcome.PROGRESS;
  }

  /**
   * Hands the batch (without blocked streams' events) to the batch handler in one call and moves
   * the checkpoint past it. Empty when the batch failed for a reason other than an unavailable
   * target, or an event could not be decoded: the caller then goes through the events one at a
   * time, so that only the faulty one is retried and parked.
   */
  private Optional<Outcome> inOneCall(List<StoredEvent> events, Map<String, Long> blocked, boolean full,
      PartitionProcessor.Waiter waiter) {
    Set<Integer> blockedAt = new LinkedHashSet<>();
    List<RecordedEvent> pass = new ArrayList<>(events.size());
    try {
      for (int i = 0; i < events.size(); i++) {
        StoredEvent e = events.get(i);
        if (blocked.containsKey(e.streamId().toString())) {
          blockedAt.add(i);
        } else {
          pass.add(e.decode(engine.registry()));
        }
      }
    } catch (RuntimeException undecodable) {
      return Optional.empty();
    }
    if (!pass.isEmpty()) {
      try {
        projector.batchSideEffect().get().handle(pass);
      } catch (TargetUnavailableException u) {
        return Optional.of(failing.unavailable(u, waiter));
      } catch (Exception ex) {
        Engine.LOG.log(Level.WARNING, "{0}: a batch of {1} events failed, trying them one at a time: {2}",
            claim.key, pass.size(), Failures.describe(ex));
        return Optional.empty();
      }
    }
    Outcome o = commit(events, blockedAt, full);
    if (o instanceof Outcome.Fenced f) {
      return Optional.of(claim.refenced(f.row()));
    }
    return Optional.of(Outcome.PROGRESS);
  }

  /**
   * Moves the checkpoint past side effects that were done and records blocked events, in one
   * transaction. A stream that an operator unblocked meanwhile (by retrying its dead letters)
   * must not have its events parked: the commit stops before the first such event.
   *
   * @return {@link Outcome.Committed} with how many events it moved past, or {@link Outcome.Fenced}
   */
  private Outcome commit(List<StoredEvent> events, Set<Integer> blockedAt, boolean full) {
    return claim.transaction((h, locked) -> {
      List<String> blockedStreams = new ArrayList<>();
      for (int i : blockedAt) {
        if (i < events.size()) {
          blockedStreams.add(events.get(i).streamId().toString());
        }
      }
      Map<String, Long> still = engine.deadLetters.blockedStreams(h, claim.key.projector(),
          claim.key.version(), blockedStreams);
      int cut = events.size();
      for (int i : blockedAt) {
        if (i < events.size() && !still.containsKey(events.get(i).streamId().toString())) {
          cut = i;
          break;
        }
      }
      if (cut == 0) {
        return new Claim.Done(List.of(), locked.state());
      }
      for (int i : blockedAt) {
        if (i < cut) {
          StoredEvent e = events.get(i);
          engine.deadLetters.park(h, claim.key, e, DeadLetter.Status.BLOCKED,
              FailingEvents.blockedMessage(still.get(e.streamId().toString()), e), "", 0);
        }
      }
      return claim.advance(h, locked, events.subList(0, cut), full);
    });
  }

  /** One event's side effect on its own, as try number {@code attempt}. */
  private Outcome alone(StoredEvent e, int attempt, boolean full) {
    try {
      RecordedEvent event = e.decode(engine.registry());
      projector.sideEffect().handle(event, Contexts.sideEffect(e.eventId(), claim.row().isReplay(e.cursor()),
          attempt, claim.key.logPartition()));
    } catch (Exception ex) {
      return Outcome.Failed.at(0, ex);
    }
    return commit(List.of(e), Set.of(), full);
  }
}
