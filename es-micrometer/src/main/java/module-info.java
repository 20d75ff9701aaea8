/**
 * Micrometer metrics of Annals: repository and projection observers, status gauges of projectors
 * and publishers, inbox consumer counters. Works with any {@code MeterRegistry}, no Spring.
 */
module dev.annals.micrometer {
  requires transitive dev.annals.core;
  requires transitive dev.annals.projections;
  requires static transitive dev.annals.messaging;
  requires transitive micrometer.core;

  exports dev.annals.micrometer;
}
