package dev.annals.projections;

import dev.annals.core.EventRegistry;
import dev.annals.postgres.PostgresEventStore;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import org.jdbi.v3.core.Jdbi;

/** What every part of one runner shares: the store, this node, its settings and the SQL. */
final class Engine {

  static final System.Logger LOG = System.getLogger("dev.annals.projections");

  final PostgresEventStore store;
  final Jdbi jdbi;
  final String schema;
  final EventRegistry registry;
  final String node;
  final Duration lease;
  final Clock clock;
  final Duration idleTransactionTimeout;
  final Duration pollMin;
  final Duration pollMax;
  final Consumer<RebuildProgress> progress;
  final Duration progressInterval;
  final Checkpoints checkpoints;
  final DeadLetters deadLetters;
  final Versions versions;
  /** Reads the next batch of a busy partition while the current one is handled. */
  final ExecutorService readAhead;

  Engine(PostgresEventStore store, String node, Duration lease, Clock clock,
      Duration idleTransactionTimeout, Duration pollMin, Duration pollMax,
      Consumer<RebuildProgress> progress, Duration progressInterval) {
    this.store = store;
    this.jdbi = store.jdbi();
    this.schema = store.schema();
    this.registry = store.registry();
    this.node = node;
    this.lease = lease;
    this.clock = clock;
    this.idleTransactionTimeout = idleTransactionTimeout;
    this.pollMin = pollMin;
    this.pollMax = pollMax;
    this.progress = progress;
    this.progressInterval = progressInterval;
    this.checkpoints = new Checkpoints(schema);
    this.deadLetters = new DeadLetters(schema);
    this.versions = new Versions(this);
    this.readAhead = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "annals-read-ahead-" + node);
      t.setDaemon(true);
      return t;
    });
  }

  /** How often an owner renews its lease when it has nothing to do. */
  Duration renewEvery() {
    return lease.dividedBy(3);
  }

  /**
   * Wraps a database failure of a runner operation, naming what was done; connection losses
   * are retryable.
   */
  ProjectionException failure(String operation, RuntimeException e) {
    if (e instanceof ProjectionException p) {
      return p;
    }
    return new ProjectionException(operation + " failed in schema '" + schema + "': "
        + Failures.describe(e), e, Failures.isConnectionLoss(e));
  }
}
