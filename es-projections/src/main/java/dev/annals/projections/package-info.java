/**
 * Asynchronous projectors over the PostgreSQL event log: read models updated exactly once in
 * the transaction that advances their checkpoint, at-least-once side effects, retries and dead
 * letters, rebuilds beside the serving version, and ownership of partitions across nodes by
 * lease and fencing.
 *
 * <p>Start with {@link dev.annals.projections.Projector} and
 * {@link dev.annals.projections.ProjectionRunner}; see docs/projections.md. Nothing here
 * accepts null unless its documentation says so; absent values are returned as
 * {@link java.util.Optional}.
 */
package dev.annals.projections;
