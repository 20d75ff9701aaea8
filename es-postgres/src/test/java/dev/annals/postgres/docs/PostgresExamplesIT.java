package dev.annals.postgres.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.EventRegistry;
import dev.annals.core.SnapshotStore;
import dev.annals.core.StreamId;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The examples of docs/postgres.md (DocsSnippetsTest in es-testkit compares them with the
 * document); needs a PostgreSQL server.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresExamplesIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void the_builder_example_builds_a_working_store() throws Exception {
    EventRegistry registry = ContractEvents.registry();
    String jdbcUrl = db.jdbcUrl();
    String schema = db.schema();

    // tag::postgres-store[]
    PostgresEventStore store = PostgresEventStore.builder(registry)
        .jdbcUrl(jdbcUrl)               // or .dataSource(yourPool)
        .schema(schema)                 // default "annals"
        .poolSize(10)                   // HikariCP, only with jdbcUrl
        .maxEventSize(1024 * 1024)      // payload + metadata bytes, default 1 MiB
        .installSchema(true)            // default false: only check, fail with instructions
        .notifyInterval(Duration.ofMillis(20)) // Duration.ZERO: readers poll only
        .build();

    SnapshotStore snapshots = store.snapshotStore();
    LogReader reader = store.logReader();          // one per consuming thread
    IntegrityVerifier verifier = store.integrityVerifier();
    // end::postgres-store[]

    try (store) {
      assertThat(store.schema()).isEqualTo(schema);
      assertThat(store.headPosition()).isZero();
      assertThat(snapshots.latest(StreamId.of("order", "o-1"))).isEmpty();
      assertThat(reader).isNotNull();
      assertThat(verifier).isNotNull();
    }
  }
}
