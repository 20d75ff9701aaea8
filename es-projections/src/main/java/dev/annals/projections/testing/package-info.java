/**
 * Helpers for testing projectors against a real PostgreSQL, with no dependency on a test
 * framework: {@link dev.annals.projections.testing.ProjectionFixture}.
 */
package dev.annals.projections.testing;
