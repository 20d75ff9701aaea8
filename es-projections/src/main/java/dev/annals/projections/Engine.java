package dev.annals.projections;

import dev.annals.core.Backoff;
import dev.annals.core.EventRegistry;
import dev.annals.postgres.PostgresEventStore;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;

/**
 * What every part of one runner shares: the store, this node, its pacing, its progress reports,
 * the SQL on the projection tables and the read-ahead threads.
 */
final class Engine {

  static final System.Logger LOG = System.getLogger("dev.annals.projections");

  /**
   * This node and how long its claims last.
   *
   * @param id recorded as the owner of the partitions it claims
   * @param lease how long a claim lasts without renewal (database clock)
   */
  record Node(String id, Duration lease) {
    /** How often an owner renews its lease when it has nothing to do. */
    Duration renewEvery() {
      return lease.dividedBy(3);
    }
  }

  /**
   * How partitions wait.
   *
   * @param poll the wait of an idle partition: first after progress, doubling to its maximum
   * @param idleTransactionTimeout how long a batch transaction may sit idle
   */
  record Pacing(Backoff poll, Duration idleTransactionTimeout) {}

  /**
   * Throughput and rebuild progress figures.
   *
   * @param clock measures both
   * @param listener receives rebuild progress
   * @param interval at most one report per partition this often
   */
  record Reporting(Clock clock, Consumer<RebuildProgress> listener, Duration interval) {}

  final PostgresEventStore store;
  final Node node;
  final Pacing pacing;
  final Reporting reporting;
  final Checkpoints checkpoints;
  final Members members;
  final DeadLetters deadLetters;
  final Versions versions;
  /** Reads the next batch of a busy partition while the current one is handled. */
  final ExecutorService readAhead;
  /** Null when nobody listens: then no observation is built. */
  final ProjectionObserver observer;
  /** Null when no scope is set: then nothing is built for it either. */
  final BatchScope batchScope;

  Engine(PostgresEventStore store, Node node, Pacing pacing, Reporting reporting, ProjectionObserver observer,
      BatchScope batchScope) {
    this.store = store;
    this.node = node;
    this.pacing = pacing;
    this.reporting = reporting;
    this.observer = observer;
    this.batchScope = batchScope;
    this.checkpoints = new Checkpoints(store.schema());
    this.members = new Members(store.schema());
    this.deadLetters = new DeadLetters(store.schema());
    this.versions = new Versions(this);
    this.readAhead = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "annals-read-ahead-" + node.id());
      t.setDaemon(true);
      return t;
    });
  }

  Jdbi jdbi() {
    return store.jdbi();
  }

  String schema() {
    return store.schema();
  }

  EventRegistry registry() {
    return store.registry();
  }

  /** Hands {@code o} to the observer; an observer's failure must not stop the partition. */
  void tell(ProjectionObserver.Observation o) {
    try {
      observer.observe(o);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "projection observer failed on a batch of " + o.projector()
          + "; ignored", e);
    }
  }

  /**
   * Opens {@code scope} around a batch; a scope's failure must not stop the partition.
   *
   * @return null when there is nothing to close, also when the scope failed to open
   */
  static BatchScope.Closer open(BatchScope scope, BatchScope.Start batch) {
    try {
      return scope.open(batch);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "projection batch scope failed to open on a batch of "
          + batch.projector() + "; the batch runs without it", e);
      return null;
    }
  }

  /** Closes what {@link #open} returned, if anything; a scope's failure must not stop the partition. */
  static void close(BatchScope.Closer closer, BatchScope.End end, BatchScope.Start batch) {
    if (closer == null) {
      return;
    }
    try {
      closer.close(end);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "projection batch scope failed to close after a batch of "
          + batch.projector() + "; ignored", e);
    }
  }

  /**
   * Wraps a database failure of a runner operation, naming what was done; connection losses
   * are retryable.
   */
  ProjectionException failure(String operation, RuntimeException e) {
    if (e instanceof ProjectionException p) {
      return p;
    }
    return new ProjectionException(operation + " failed in schema '" + schema() + "': "
        + Failures.describe(e), e, Failures.isConnectionLoss(e));
  }
}
