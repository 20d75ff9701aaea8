package dev.annals.projections;

import dev.annals.core.EventDecodingException;
import dev.annals.core.RecordedEvent;
import dev.annals.core.UnknownEventTypeException;
import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.StoredEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jdbi.v3.core.Handle;

/**
 * Operator actions on dead letters. Each runs under the lock of the partition's checkpoint row,
 * so it never interleaves with a batch of that partition on any node. Events are read from the
 * log before that lock is taken where possible: reading takes another pooled connection, and the
 * partition's worker may be holding one while it waits for the same lock.
 */
final class DeadLetterActions {

  private final Engine engine;
  private final Function<String, Optional<Projector>> projectors;

  DeadLetterActions(Engine engine, Function<String, Optional<Projector>> projectors) {
    this.engine = engine;
    this.projectors = projectors;
  }

  RetryResult retry(long id) {
    DeadLetter dl = load(id);
    Projector p = projectorOf(dl);
    if (dl.status() == DeadLetter.Status.HALTED) {
      return retryHalted(p, dl);
    }
    return retryStream(p, dl);
  }

  void discard(long id) {
    DeadLetter dl = load(id);
    Projector p = projectorOf(dl);
    PartitionKey key = key(p, dl);
    Halted halted = dl.status() == DeadLetter.Status.HALTED ? halted(p, key, dl) : null;
    engine.jdbi().useTransaction(h -> {
      Checkpoint row = engine.checkpoints.lock(h, key, engine.pacing.idleTransactionTimeout());
      DeadLetter locked = engine.deadLetters.find(h, dl.id(), true).orElseThrow();
      checkOpen(locked);
      if (locked.status() == DeadLetter.Status.HALTED) {
        if (halted == null) {
          throw new IllegalStateException("dead letter " + dl.id() + " changed meanwhile; list the "
              + "dead letters again");
        }
        checkUnchanged(key, row, halted, locked);
        engine.checkpoints.restart(h, key, runnableState(h, p), halted.next().cursor());
      }
      engine.deadLetters.close(h, locked.id(), DeadLetter.Status.DISCARDED);
    });
    Engine.LOG.log(System.Logger.Level.INFO, "dead letter {0} of projector {1} (event {2}) discarded",
        id, dl.projector(), dl.eventId());
  }

  /** Processes a parked or blocked event and the blocked ones behind it in its stream, in order. */
  private RetryResult retryStream(Projector p, DeadLetter dl) {
    PartitionKey key = key(p, dl);
    List<DeadLetter> open = engine.jdbi().withHandle(h -> engine.deadLetters.open(h, p.name(), p.version()));
    Map<Long, Loaded> loaded = new HashMap<>();
    for (DeadLetter other : open) {
      if (!other.streamId().equals(dl.streamId()) || other.status() == DeadLetter.Status.HALTED) {
        continue;
      }
      if (other.streamVersion() < dl.streamVersion()) {
        throw new IllegalStateException("dead letter " + dl.id() + " (stream " + dl.streamId()
            + " version " + dl.streamVersion() + ") waits behind dead letter " + other.id()
            + " (version " + other.streamVersion() + "): retry or discard that one first");
      }
      loaded.put(other.id(), load(other));
    }
    return engine.jdbi().inTransaction(h -> {
      Checkpoint row = engine.checkpoints.lock(h, key, engine.pacing.idleTransactionTimeout());
      List<DeadLetter> chain = new ArrayList<>();
      for (DeadLetter d : engine.deadLetters.openOfStream(h, p.name(), p.version(), dl.streamId())) {
        if (d.streamVersion() >= dl.streamVersion()) {
          chain.add(d);
        }
      }
      if (chain.isEmpty() || chain.get(0).id() != dl.id()) {
        throw new IllegalStateException("dead letter " + dl.id() + " is no longer open or no "
            + "longer first in stream " + dl.streamId() + "; list the dead letters again");
      }
      List<DeadLetter> resolved = new ArrayList<>();
      for (DeadLetter d : chain) {
        // Blocked meanwhile by the partition (the stream grew): read it now. While this
        // transaction holds the row lock, the chain cannot grow any more.
        Loaded event = loaded.computeIfAbsent(d.id(), id -> load(d));
        Optional<Exception> failure = p.isSideEffects()
            ? runSideEffect(p, d, event, row) : runHandler(h, p, key, d, event, row);
        if (failure.isPresent()) {
          engine.deadLetters.failedAgain(h, d.id(), DeadLetter.Status.PARKED, failure.get());
          engine.checkpoints.recordError(h, key, "retry of dead letter " + d.id() + " failed: "
              + Failures.describe(failure.get()));
          return new RetryResult(resolved, engine.deadLetters.find(h, d.id(), false));
        }
        engine.deadLetters.close(h, d.id(), DeadLetter.Status.RESOLVED);
        resolved.add(engine.deadLetters.find(h, d.id(), false).orElseThrow());
      }
      return new RetryResult(resolved, Optional.empty());
    });
  }

  /** Tries the event a STOP partition halted before; on success the partition runs again. */
  private RetryResult retryHalted(Projector p, DeadLetter dl) {
    PartitionKey key = key(p, dl);
    Halted halted = halted(p, key, dl);
    return engine.jdbi().inTransaction(h -> {
      Checkpoint row = engine.checkpoints.lock(h, key, engine.pacing.idleTransactionTimeout());
      DeadLetter locked = engine.deadLetters.find(h, dl.id(), true).orElseThrow();
      checkOpen(locked);
      checkUnchanged(key, row, halted, locked);
      Optional<Exception> failure = p.isSideEffects()
          ? runSideEffect(p, locked, halted.event(), row)
          : runHandler(h, p, key, locked, halted.event(), row);
      if (failure.isPresent()) {
        engine.deadLetters.failedAgain(h, locked.id(), DeadLetter.Status.HALTED, failure.get());
        engine.checkpoints.recordError(h, key, "retry of dead letter " + locked.id() + " failed: "
            + Failures.describe(failure.get()));
        return new RetryResult(List.of(), engine.deadLetters.find(h, locked.id(), false));
      }
      engine.checkpoints.restart(h, key, runnableState(h, p), halted.next().cursor());
      engine.deadLetters.close(h, locked.id(), DeadLetter.Status.RESOLVED);
      return new RetryResult(List.of(engine.deadLetters.find(h, locked.id(), false).orElseThrow()),
          Optional.empty());
    });
  }

  /** A halted partition's checkpoint and the event after it, read without locks. */
  private record Halted(LogCursor cursor, StoredEvent next, Loaded event) {}

  /**
   * The event a halted partition stopped before: the next one after its checkpoint. Anything
   * else means the partition was reset or resumed meanwhile.
   */
  private Halted halted(Projector p, PartitionKey key, DeadLetter dl) {
    Checkpoint row = engine.jdbi().withHandle(h -> engine.checkpoints.find(h, key)).orElseThrow(() ->
        new IllegalStateException("dead letter " + dl.id() + " belongs to " + key + ", which has no checkpoint"));
    if (row.state() != RowState.FAILED) {
      throw new IllegalStateException("dead letter " + dl.id() + " is halted but " + key + " is "
          + row.state() + " (resumed?); it tries the event itself");
    }
    LogBatch next = engine.store.logReader().read(row.cursor(), 1, p.filter(), key.logPartition());
    if (next.isEmpty() || !next.events().get(0).eventId().equals(dl.eventId())) {
      throw new IllegalStateException("dead letter " + dl.id() + " is halted but the next event of "
          + key + " after " + row.cursor() + " is not its event " + dl.eventId() + " (was it reset?)");
    }
    return new Halted(row.cursor(), next.events().get(0), load(dl));
  }

  private static void checkUnchanged(PartitionKey key, Checkpoint row, Halted halted, DeadLetter dl) {
    if (row.state() != RowState.FAILED || !row.cursor().equals(halted.cursor())) {
      throw new IllegalStateException(key + " changed while acting on dead letter " + dl.id()
          + " (now " + row.state() + " at " + row.cursor() + "); list the dead letters again");
    }
  }

  /** Runs a read-model handler inside a savepoint, so a failure undoes only this event. */
  private Optional<Exception> runHandler(Handle h, Projector p, PartitionKey key, DeadLetter d,
      Loaded event, Checkpoint row) {
    h.savepoint("annals_retry");
    try {
      p.handler().handle(event.get(), Contexts.event(h, engine.schema(), engine.registry(), p, p.version(),
          key.logPartition(), d.eventId(), d.cursor(), row.isReplay(d.cursor())));
      h.releaseSavepoint("annals_retry");
      return Optional.empty();
    } catch (Exception e) {
      h.rollbackToSavepoint("annals_retry");
      return Optional.of(e);
    }
  }

  private Optional<Exception> runSideEffect(Projector p, DeadLetter d, Loaded event, Checkpoint row) {
    try {
      p.sideEffect().handle(event.get(), Contexts.sideEffect(d.eventId(),
          row.isReplay(d.cursor()), d.attempts() + 1, row.key().logPartition()));
      return Optional.empty();
    } catch (Exception e) {
      return Optional.of(e);
    }
  }

  /**
   * A dead letter's event, read and decoded again (so a fixed registry or upcaster takes
   * effect), or why decoding failed: that fails the retry like a failing handler.
   */
  private record Loaded(RecordedEvent event, RuntimeException failure) {
    RecordedEvent get() {
      if (failure != null) {
        throw failure;
      }
      return event;
    }
  }

  private Loaded load(DeadLetter d) {
    List<RecordedEvent> events;
    try {
      events = engine.store.readStream(d.streamId(), d.streamVersion(), 1);
    } catch (UnknownEventTypeException | EventDecodingException e) {
      return new Loaded(null, e);
    }
    if (events.isEmpty() || !events.get(0).eventId().equals(d.eventId())) {
      throw new IllegalStateException("event " + d.eventId() + " of dead letter " + d.id()
          + " is not at version " + d.streamVersion() + " of stream " + d.streamId());
    }
    return new Loaded(events.get(0), null);
  }

  private RowState runnableState(Handle h, Projector p) {
    int active = engine.versions.active(h, p.name()).orElse(p.version());
    return active == p.version() ? RowState.CATCHING_UP : RowState.REBUILDING;
  }

  private DeadLetter load(long id) {
    DeadLetter dl = engine.jdbi().withHandle(h -> engine.deadLetters.find(h, id, false))
        .orElseThrow(() -> new IllegalArgumentException("no dead letter with id " + id
            + " in schema '" + engine.schema() + "'"));
    checkOpen(dl);
    return dl;
  }

  private Projector projectorOf(DeadLetter dl) {
    Projector p = projectors.apply(dl.projector()).orElseThrow(() -> new IllegalStateException(
        "dead letter " + dl.id() + " belongs to projector " + dl.projector() + ", which this runner does not run"));
    if (p.version() != dl.projectorVersion()) {
      throw new IllegalStateException("dead letter " + dl.id() + " was parked by version "
          + dl.projectorVersion() + " of projector " + dl.projector() + " but this runner runs version "
          + p.version());
    }
    return p;
  }

  private static void checkOpen(DeadLetter dl) {
    if (!dl.isOpen()) {
      throw new IllegalStateException("dead letter " + dl.id() + " is " + dl.status()
          + "; only parked, blocked and halted ones can be retried or discarded");
    }
  }

  private static PartitionKey key(Projector p, DeadLetter dl) {
    return new PartitionKey(p.name(), p.version(), dl.partition(), p.partitions());
  }
}
