package dev.annals.micrometer;

import dev.annals.core.AggregateRepository;
import dev.annals.core.RepositoryObserver;
import dev.annals.projections.ProjectionObserver;
import dev.annals.projections.ProjectionRunner;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Objects;

/**
 * Micrometer metrics of repositories and projectors, for any {@link MeterRegistry}; no Spring
 * needed. docs/observability.md lists every meter.
 *
 * <pre>{@code
 * AnnalsMetrics metrics = AnnalsMetrics.create(registry);
 * AggregateRepository<...> accounts = AggregateRepository.builder(ACCOUNT, store)
 *     .observer(metrics.repositoryObserver()).build();
 * ProjectionRunner runner = ProjectionRunner.builder(store).projector(balances)
 *     .observer(metrics.projectionObserver()).build();
 * metrics.bindStatus(runner);
 * }</pre>
 *
 * <p>Meters are created on first use, so a repository that never loaded shows no load timer.
 * Thread-safe; one instance per registry is enough for a whole application.
 */
public final class AnnalsMetrics {

  /** How long one status read serves the lag gauges, so that a scrape costs one query. */
  static final Duration STATUS_FRESHNESS = Duration.ofSeconds(1);

  private final MeterRegistry registry;
  private final RepositoryMeters repositoryMeters;
  private final ProjectionMeters projectionMeters;

  private AnnalsMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.repositoryMeters = new RepositoryMeters(registry);
    this.projectionMeters = new ProjectionMeters(registry);
  }

  /** Metrics recorded in {@code registry}. */
  public static AnnalsMetrics create(MeterRegistry registry) {
    return new AnnalsMetrics(Objects.requireNonNull(registry, "registry must not be null"));
  }

  /** The registry the meters go to. */
  public MeterRegistry registry() {
    return registry;
  }

  /**
   * The observer to give {@link AggregateRepository.Builder#observer}: appends, conflicts, loads
   * and snapshots, tagged with the aggregate type. One observer serves every repository.
   */
  public RepositoryObserver repositoryObserver() {
    return repositoryMeters;
  }

  /**
   * The observer to give {@link ProjectionRunner.Builder#observer}: batch durations and events
   * handled, tagged with projector and partition.
   */
  public ProjectionObserver projectionObserver() {
    return projectionMeters;
  }

  /**
   * Registers gauges of every projector of {@code runner} (publishers included): lag in events
   * and seconds, and open dead letters. They read the runner's status, at most once a second
   * however often they are scraped; a status that cannot be read shows as NaN. Binding a
   * projector name a second time keeps the first gauges (Micrometer's rule for a repeated meter).
   */
  public void bindStatus(ProjectionRunner runner) {
    Objects.requireNonNull(runner, "runner must not be null");
    StatusGauges.bind(registry, runner, STATUS_FRESHNESS);
  }
}
