package dev.annals.projections.testing;

import dev.annals.core.AppendResult;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.LogCursor;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.DeadLetter;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.Projector;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.jdbi.v3.core.HandleCallback;

/**
 * Tests a projector against a real PostgreSQL: append events to the store, run the projector
 * on the calling thread until it has caught up, then query its read model.
 *
 * <pre>{@code
 * try (ProjectionFixture balances = ProjectionFixture.of(store, BALANCES)) {
 *   balances.given(StreamId.of("account", "a-1"), new Deposited(500), new Withdrawn(200));
 *   long cents = balances.query(h -> h.createQuery("SELECT cents FROM " + balances.view("balances"))
 *       .mapTo(Long.class).one());
 *   assertThat(cents).isEqualTo(300);
 * }
 * }</pre>
 *
 * <p>It installs the projection tables in the store's schema and the projector's version
 * (running its setup) on first use; use a schema of the test's own. It works as a node of its
 * own, so it fails if a running runner owns the projector. Not thread-safe. Does not close the
 * store.
 */
public final class ProjectionFixture implements AutoCloseable {


  private final PostgresEventStore store;
  private final Projector projector;
  private final ProjectionRunner runner;

  private ProjectionFixture(PostgresEventStore store, Projector projector) {
    this.store = store;
    this.projector = projector;
    this.runner = ProjectionRunner.builder(store).projector(projector).installSchema(true)
        .nodeId("fixture-" + UUID.randomUUID().toString().substring(0, 8)).build();
  }

  /** A fixture running {@code projector} over {@code store}. */
  public static ProjectionFixture of(PostgresEventStore store, Projector projector) {
    return new ProjectionFixture(Objects.requireNonNull(store, "store must not be null"),
        Objects.requireNonNull(projector, "projector must not be null"));
  }

  /**
   * Appends {@code payloads} to {@code stream} (one event each, in one append, whatever the
   * stream's version) and runs the projector until it has caught up.
   *
   * @return the append's result
   */
  public AppendResult given(StreamId stream, Object... payloads) {
    Objects.requireNonNull(stream, "stream must not be null");
    List<NewEvent> events = new ArrayList<>();
    for (Object payload : payloads) {
      events.add(NewEvent.of(payload));
    }
    if (events.isEmpty()) {
      throw new IllegalArgumentException("given(...) needs at least one event for stream " + stream);
    }
    AppendResult result = store.append(stream, ExpectedVersion.any(), events);
    runUntilCaughtUp();
    return result;
  }

  /**
   * Runs the projector on the calling thread until it has processed every event appended before
   * the call, following its retry and failure policy for failing events. Waits up to 30 s for an
   * open transaction elsewhere that holds some of them back from readers.
   *
   * @throws IllegalStateException if events stay held back that long
   *
   * @return how many events it processed
   */
  public long runUntilCaughtUp() {
    return runner.catchUp(projector.name());
  }

  /** Runs {@code query} on a handle of the store's pool; for asserting on the read model. */
  public <R, X extends Exception> R query(HandleCallback<R, X> query) throws X {
    return store.jdbi().withHandle(query);
  }

  /** The schema-qualified view of one of the projector's tables, e.g. {@code test_1.balances}. */
  public String view(String logicalTable) {
    if (!projector.tables().contains(logicalTable)) {
      throw new IllegalArgumentException("projector " + projector.name() + " has no table '"
          + logicalTable + "'; it declared " + projector.tables());
    }
    return store.schema() + "." + logicalTable;
  }

  /** The open dead letters of the projector. */
  public List<DeadLetter> deadLetters() {
    return runner.deadLetters(projector.name());
  }

  /** The projector's status, per partition. */
  public List<ProjectionStatus> status() {
    return runner.status(projector.name());
  }

  /** Resets the projector to {@code after} (see {@link ProjectionRunner#reset}); run it again to replay. */
  public void reset(LogCursor after) {
    runner.reset(projector.name(), after);
  }

  /** The runner underneath, for retrying dead letters and other operator actions. */
  public ProjectionRunner runner() {
    return runner;
  }

  /** Closes the runner (giving up its leases); the store stays open. */
  @Override
  public void close() {
    runner.close();
  }
}
