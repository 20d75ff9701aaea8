/**
 * Asynchronous projectors: exactly-once read models, rebuild and replay, retries and dead
 * letters, fenced ownership across nodes, status and lag; {@code testing} holds the projection
 * fixture.
 */
module dev.annals.projections {
  requires transitive dev.annals.core;
  requires transitive dev.annals.postgres;

  exports dev.annals.projections;
  exports dev.annals.projections.testing;
}
