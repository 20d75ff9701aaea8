package dev.annals.projections;

import dev.annals.core.RecordedEvent;
import dev.annals.postgres.StoredEvent;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Read-model batches: the handlers run in the batch transaction, which moves the checkpoint with
 * them, so each event is applied exactly once. A failing event is found, the events before it
 * committed, and it alone retried and parked. Not thread-safe: the partition's thread only.
 */
final class ReadModelBatches {

  private final Claim claim;
  private final Engine engine;
  private final Projector projector;
  private final FailingEvents failing;

  ReadModelBatches(Claim claim) {
    this.claim = claim;
    this.engine = claim.engine;
    this.projector = claim.projector;
    this.failing = new FailingEvents(claim, (e, attempt, full) -> commit(List.of(e), full));
  }

  /** Processes a batch read after the checkpoint; see {@link PartitionProcessor#step}. */
  Outcome process(List<StoredEvent> events, boolean full, PartitionProcessor.Waiter waiter) {
    int from = 0;
    // A failed batch handler does not say which event failed: then each event goes alone.
    boolean oneAtATime = false;
    while (from < events.size()) {
      Outcome o = commit(events.subList(from, oneAtATime ? from + 1 : events.size()), full);
      if (o instanceof Outcome.Failed f && f.at().isEmpty()) {
        if (!oneAtATime && events.size() - from > 1) {
          Engine.LOG.log(Level.WARNING, "{0}: a batch of {1} events failed, trying them one at a time: {2}",
              claim.key, events.size() - from, Failures.describe(f.cause()));
          oneAtATime = true;
          continue;
        }
        o = Outcome.Failed.at(0, f.cause());
      }
      if (oneAtATime && o instanceof Outcome.Committed) {
        from++;
        continue;
      }
      // Commit what came before the failing event, then deal with that event alone.
      while (o instanceof Outcome.Failed f && f.afterOthers()) {
        int k = f.at().getAsInt();
        Outcome prefix = commit(events.subList(from, from + k), full);
        if (prefix instanceof Outcome.Committed) {
          from += k;
          o = Outcome.Failed.at(0, f.cause());
        } else {
          o = prefix;
        }
      }
      if (o instanceof Outcome.Fenced f) {
        return claim.refenced(f.row());
      }
      if (o instanceof Outcome.Committed) {
        return Outcome.PROGRESS;
      }
      Outcome fate = failing.retryAlone(events.get(from), ((Outcome.Failed) o).cause(), full, waiter);
      if (fate instanceof Outcome.Fenced f) {
        return claim.refenced(f.row());
      }
      if (!(fate instanceof Outcome.Committed)) {
        return fate;
      }
      from++;
    }
    return Outcome.PROGRESS;
  }

  /**
   * One transaction: lock and check the checkpoint, run the handlers on its handle, move the
   * checkpoint past the last event, commit.
   *
   * @return {@link Outcome.Committed}, {@link Outcome.Failed} or {@link Outcome.Fenced}
   */
  private Outcome commit(List<StoredEvent> events, boolean full) {
    try {
      return claim.transaction((h, locked) -> {
        Map<String, Long> blocked = engine.deadLetters.blockedStreams(h, claim.key.projector(),
            claim.key.version(), streams(events));
        if (projector.batchHandler().isPresent()) {
          handleBatch(h, events, blocked);
        } else {
          handleEach(h, locked, events, blocked);
        }
        return claim.advance(h, locked, events, full);
      });
    } catch (HandlerFailure f) {
      if (Failures.isConnectionLoss(f.getCause())) {
        throw new ProjectionException(claim.key + ": lost the database connection in a handler; the "
            + "batch rolled back and is tried again", f.getCause(), true);
      }
      return new Outcome.Failed(f.index, f.getCause());
    }
  }

  /** Parks {@code e} if its stream is blocked behind a dead letter; returns whether it did. */
  private boolean parkedAsBlocked(Handle h, StoredEvent e, Map<String, Long> blocked) {
    Long blocker = blocked.get(e.streamId().toString());
    if (blocker == null) {
      return false;
    }
    engine.deadLetters.park(h, claim.key, e, DeadLetter.Status.BLOCKED, FailingEvents.blockedMessage(blocker, e), "", 0);
    return true;
  }

  /** Runs the per-event handler on each event of the batch, parking blocked streams' events. */
  private void handleEach(Handle h, Checkpoint row, List<StoredEvent> events, Map<String, Long> blocked) {
    for (int i = 0; i < events.size(); i++) {
      StoredEvent e = events.get(i);
      if (parkedAsBlocked(h, e, blocked)) {
        continue;
      }
      try {
        RecordedEvent event = e.decode(engine.registry());
        projector.handler().handle(event, Contexts.event(h, engine.schema(), engine.registry(), projector, claim.key.version(),
            claim.key.logPartition(), e.eventId(), e.cursor(), row.isReplay(e.cursor())));
      } catch (Exception failure) {
        throw new HandlerFailure(OptionalInt.of(i), failure);
      }
    }
  }

  /**
   * Runs the batch handler once on the batch's events that are not blocked, parking the others.
   * A failure of several events is reported without an index: the caller tries them one at a time.
   */
  private void handleBatch(Handle h, List<StoredEvent> events, Map<String, Long> blocked) {
    OptionalInt at = events.size() == 1 ? OptionalInt.of(0) : OptionalInt.empty();
    List<RecordedEvent> pass = new ArrayList<>(events.size());
    for (StoredEvent e : events) {
      if (parkedAsBlocked(h, e, blocked)) {
        continue;
      }
      try {
        pass.add(e.decode(engine.registry()));
      } catch (RuntimeException undecodable) {
        throw new HandlerFailure(at, undecodable);
      }
    }
    if (pass.isEmpty()) {
      return;
    }
    try {
      projector.batchHandler().get().handle(pass, Contexts.tables(h, engine.schema(), engine.registry(), projector, claim.key.version()));
    } catch (Exception failure) {
      throw new HandlerFailure(at, failure);
    }
  }

  static Set<String> streams(List<StoredEvent> events) {
    Set<String> out = new LinkedHashSet<>();
    events.forEach(e -> out.add(e.streamId().toString()));
    return out;
  }

  /** A handler failed; thrown out of the transaction to roll it back. */
  private static final class HandlerFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient OptionalInt index;

    HandlerFailure(OptionalInt index, Throwable cause) {
      super(null, cause, false, false);
      this.index = index;
    }
  }
}
