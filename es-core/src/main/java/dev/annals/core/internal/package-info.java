/**
 * Plumbing that the framework's other modules share with es-core. Not part of the public API:
 * applications must not use it, and it may change in any release.
 */
package dev.annals.core.internal;
