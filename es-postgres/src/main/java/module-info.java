/**
 * The PostgreSQL event and snapshot stores: schema installer, gap-safe log reader, tamper-evident
 * hash chains and their verifier.
 */
module dev.annals.postgres {
  requires transitive dev.annals.core;
  requires transitive java.sql;
  requires transitive org.jdbi.v3.core;
  requires com.github.benmanes.caffeine;
  requires com.zaxxer.hikari;
  requires org.postgresql.jdbc;
  requires java.logging;

  exports dev.annals.postgres;
  exports dev.annals.postgres.archive;
  // The schema-script installer and error translation, shared with the other stores' tables.
  exports dev.annals.postgres.internal to dev.annals.projections, dev.annals.messaging;
}
