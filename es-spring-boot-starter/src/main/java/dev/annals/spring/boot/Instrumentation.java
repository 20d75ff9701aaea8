package dev.annals.spring.boot;

import dev.annals.core.EventStore;
import dev.annals.core.RepositoryObserver;
import dev.annals.projections.BatchScope;
import dev.annals.projections.ProjectionObserver;
import dev.annals.projections.ProjectionRunner;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * What one observability module adds to the auto-configured repositories and runner, in types of
 * es-core and es-projections only: the registrar and the runner's configuration read these beans
 * without touching the optional modules' classes, which may be missing from the class path.
 *
 * @param store wraps the store the repositories append through
 * @param repositories observes every repository
 * @param projections observes the runner's projectors, if this module does
 * @param batches runs around each batch of the runner's projectors, if this module does
 * @param runner is told the runner once it is built (to bind gauges to it)
 */
record Instrumentation(UnaryOperator<EventStore> store, RepositoryObserver repositories,
    Optional<ProjectionObserver> projections, Optional<BatchScope> batches, Consumer<ProjectionRunner> runner) {

  /** The store as every instrumentation wraps it, in bean order. */
  static EventStore wrap(EventStore store, List<Instrumentation> all) {
    EventStore wrapped = store;
    for (Instrumentation i : all) {
      wrapped = i.store.apply(wrapped);
    }
    return wrapped;
  }

  /** Every repository observer, combined; empty when there is none. */
  static Optional<RepositoryObserver> repositoryObserver(List<Instrumentation> all) {
    return all.stream().map(Instrumentation::repositories).reduce(RepositoryObserver::andThen);
  }

  /** Every projection observer, combined; empty when there is none. */
  static Optional<ProjectionObserver> projectionObserver(List<Instrumentation> all) {
    return all.stream().flatMap(i -> i.projections.stream()).reduce(ProjectionObserver::andThen);
  }

  /** Every batch scope, combined in bean order (the first outermost); empty when there is none. */
  static Optional<BatchScope> batchScope(List<Instrumentation> all) {
    return all.stream().flatMap(i -> i.batches.stream()).reduce(BatchScope::andThen);
  }
}
