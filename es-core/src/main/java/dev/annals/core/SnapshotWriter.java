package dev.annals.core;

import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Writes an {@link AggregateRepository}'s snapshots off the command path, every
 * {@link AggregateType#snapshotEvery()} events; a failed write is logged and costs only a slower
 * load later. Thread-safe.
 */
final class SnapshotWriter<S> implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(AggregateRepository.class.getName());

  private final AggregateLoader<S, ?> loader;
  private final String category;
  private final int every;
  private final Optional<Executor> executor;
  private final Optional<ExecutorService> owned;

  /** With {@code executor}, or a daemon thread of its own when empty and snapshots are enabled. */
  SnapshotWriter(AggregateLoader<S, ?> loader, AggregateType<?, S, ?> type, Optional<Executor> executor) {
    this.loader = loader;
    this.category = type.category();
    this.every = type.snapshotEvery();
    if (executor.isPresent()) {
      this.executor = executor;
      this.owned = Optional.empty();
    } else if (loader.hasSnapshotStore() && every > 0) {
      ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "snapshots-" + category);
        t.setDaemon(true);
        return t;
      });
      this.owned = Optional.of(thread);
      this.executor = Optional.of(thread);
    } else {
      this.executor = Optional.empty();
      this.owned = Optional.empty();
    }
  }

  /** Schedules a snapshot of {@code after} when the append from {@code before} crossed a multiple of the interval. */
  void appended(long before, AggregateState<S> after) {
    if (executor.isEmpty() || every == 0 || after.version() / every == before / every) {
      return;
    }
    try {
      executor.get().execute(() -> write(after));
    } catch (RejectedExecutionException e) {
      LOG.log(System.Logger.Level.DEBUG, "repository closed; snapshot of " + after.streamId() + " skipped");
    }
  }

  private void write(AggregateState<S> state) {
    try {
      loader.saveSnapshot(state);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "snapshot of " + state.streamId() + " at version "
          + state.version() + " failed; loads replay more events until the next one", e);
    }
  }

  /** Waits up to 30 seconds for pending writes, then stops the thread of its own. */
  @Override
  public void close() {
    owned.ifPresent(thread -> {
      thread.shutdown();
      try {
        if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
          LOG.log(System.Logger.Level.WARNING, "snapshot writes for " + category
              + " still pending after 30 s; abandoning them");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }
}
