package dev.annals.projections;

import dev.annals.postgres.LogCursor;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Objects;
import java.util.function.BiConsumer;
import org.jdbi.v3.core.Handle;

/**
 * What an operator does to a projector on every node at once, through its checkpoint rows:
 * pause, resume, reset. Each runs in one transaction under the projector's advisory lock, so
 * it never interleaves with an install, a switch or another action, on any node.
 */
final class OperatorActions {

  private final Engine engine;
  private final Slots slots;
  private final Runnable wake;

  OperatorActions(Engine engine, Slots slots, Runnable wake) {
    this.engine = engine;
    this.slots = slots;
    this.wake = wake;
  }

  /** See {@link ProjectionRunner#pause}. */
  void pause(String projector) {
    underLock(slots.projector(projector), "pause", (h, p) -> engine.checkpoints.pause(h, p.name()));
  }

  /** See {@link ProjectionRunner#resume}. */
  void resume(String projector) {
    underLock(slots.projector(projector), "resume", (h, p) -> engine.checkpoints.resume(h, p.name()));
    wake.run();
  }

  private void underLock(Projector p, String action, BiConsumer<Handle, Projector> change) {
    slots.ensureSchema();
    try {
      engine.jdbi().useTransaction(h -> {
        engine.versions.lockProjector(h, p.name());
        change.accept(h, p);
      });
    } catch (RuntimeException e) {
      throw engine.failure(action + " projector " + p.name(), e);
    }
    Engine.LOG.log(Level.INFO, "projector {0}: {1} by node {2}", p.name(), action, engine.node.id());
  }

  /** See {@link ProjectionRunner#reset}. */
  void reset(String projector, LogCursor after) {
    Objects.requireNonNull(after, "cursor must not be null (use LogCursor.START)");
    Projector p = slots.projector(projector);
    slots.ensureSchema();
    try {
      engine.jdbi().useTransaction(h -> {
        engine.versions.lockProjector(h, p.name());
        List<Checkpoint> rows = engine.checkpoints.list(h, p.name(), p.version(), true);
        if (rows.isEmpty()) {
          throw new IllegalStateException("projector " + p.name() + " version " + p.version()
              + " has no checkpoints yet; start it first");
        }
        if (rows.get(0).state() == RowState.RETIRED) {
          throw new IllegalStateException("projector " + p.name() + " version " + p.version()
              + " is retired; a newer version serves reads");
        }
        if (p.reset().isPresent()) {
          try {
            p.reset().get().clear(Contexts.tables(h, engine.schema(), engine.registry(), p, p.version()), after);
          } catch (Exception e) {
            throw new ProjectionException("reset of projector " + p.name() + " to " + after
                + " failed: " + Failures.describe(e), e, false);
          }
        }
        int active = engine.versions.active(h, p.name()).orElse(p.version());
        RowState running = active == p.version() ? RowState.CATCHING_UP : RowState.REBUILDING;
        for (Checkpoint row : rows) {
          // Everything processed so far, by the old cursor or an earlier reset, is a replay.
          LogCursor replayUntil = row.cursor().isAfter(row.replayUntil()) ? row.cursor() : row.replayUntil();
          engine.checkpoints.reset(h, row.key(), after, replayUntil,
              row.state() == RowState.PAUSED ? RowState.PAUSED : running);
        }
        engine.deadLetters.discardAfter(h, p.name(), p.version(), after);
      });
    } catch (IllegalStateException | ProjectionException e) {
      throw e;
    } catch (RuntimeException e) {
      throw engine.failure("reset projector " + p.name() + " to " + after, e);
    }
    Engine.LOG.log(Level.INFO, "projector {0} version {1} reset to {2} by node {3}",
        p.name(), p.version(), after, engine.node.id());
    wake.run();
  }

  /** See {@link ProjectionRunner#replayFrom}. */
  void replayFrom(String projector, long position) {
    slots.projector(projector);
    reset(projector, engine.store.logReader().cursorBefore(position));
  }

  /** See {@link ProjectionRunner#dropRetiredTables}. */
  List<String> dropRetiredTables(String projector, int version) {
    slots.projector(projector);
    slots.ensureSchema();
    try {
      return engine.versions.dropRetiredTables(projector, version);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw engine.failure("dropping the tables of projector " + projector + " version " + version, e);
    }
  }
}
