package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.LogFilter;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class DropRetiredTablesIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  /** Two tables per version; the handler writes one of them. */
  static Projector balances(int version, boolean failing) {
    return Projector.builder("balances")
        .version(version)
        .filter(LogFilter.categories("account"))
        .retries(1, Duration.ofMillis(10), Duration.ofMillis(10))
        .tables("balances", "totals")
        .setup(t -> {
          t.handle().execute("CREATE TABLE " + t.table("balances") + " (account text PRIMARY KEY, cents bigint NOT NULL)");
          t.handle().execute("CREATE TABLE " + t.table("totals") + " (cents bigint NOT NULL)");
        })
        .handler((event, ctx) -> {
          if (failing) {
            throw new IllegalStateException("version " + version + " cannot read this event");
          }
          ctx.handle().execute("INSERT INTO " + ctx.table("balances")
              + " VALUES (?, ?) ON CONFLICT (account) DO UPDATE SET cents = "
              + ctx.table("balances") + ".cents + excluded.cents",
              event.streamId().id(), event.payload(Bank.Deposited.class).cents());
        })
        .build();
  }

  @Test
  void only_a_retired_versions_recorded_tables_are_dropped_and_only_when_no_view_reads_them() {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "drop")) {
      for (int i = 0; i < 20; i++) {
        Bank.deposit(store, Bank.account(i % 5), i + 1);
      }
      try (ProjectionRunner v1 = Bank.runner(store, "v1", balances(1, false)).build();
          ProjectionRunner v2 = Bank.runner(store, "v2", balances(2, false)).build();
          ProjectionRunner v3 = Bank.runner(store, "v3", balances(3, true)).build()) {
        v1.catchUp("balances");
        assertThat(recorded(store, schema, 1)).as("tables recorded at setup")
            .containsExactly(schema + ".balances_v1", schema + ".totals_v1");

        assertThatThrownBy(() -> v1.dropRetiredTables("balances", 1))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("version 1 is active");
        assertThatThrownBy(() -> v1.dropRetiredTables("balances", 7))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no version 7");
        assertThatThrownBy(() -> v1.dropRetiredTables("nope", 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope");

        v2.catchUp("balances");
        assertThat(activeVersion(store, schema)).as("the version serving reads").isEqualTo(2);

        // A view of the operator's own still reads a retired table: nothing is dropped.
        store.jdbi().useHandle(h -> h.execute("CREATE VIEW " + schema + ".old_totals AS SELECT * FROM "
            + schema + ".totals_v1"));
        assertThatThrownBy(() -> v2.dropRetiredTables("balances", 1))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining(schema + ".old_totals").hasMessageContaining("nothing was dropped");
        assertThat(exists(store, schema + ".balances_v1")).as("balances_v1 after the refusal").isTrue();
        store.jdbi().useHandle(h -> h.execute("DROP VIEW " + schema + ".old_totals"));

        // A forged record naming another table: refused, nothing dropped.
        store.jdbi().useHandle(h -> h.execute("INSERT INTO " + schema + ".projection_tables VALUES ('balances', 1, ?)",
            schema + ".events"));
        assertThatThrownBy(() -> v2.dropRetiredTables("balances", 1))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a name its setup could have been handed");
        assertThat(exists(store, schema + ".events")).isTrue();
        assertThat(exists(store, schema + ".balances_v1")).isTrue();
        store.jdbi().useHandle(h -> h.execute("DELETE FROM " + schema + ".projection_tables WHERE table_name = ?",
            schema + ".events"));

        assertThat(v2.dropRetiredTables("balances", 1))
            .containsExactly(schema + ".balances_v1", schema + ".totals_v1");
        assertThat(exists(store, schema + ".balances_v1")).isFalse();
        assertThat(exists(store, schema + ".totals_v1")).isFalse();
        assertThat(exists(store, schema + ".balances_v2")).as("the active version's table").isTrue();
        assertThat(Bank.balancesIn(store.jdbi(), schema + ".balances")).as("the view still reads")
            .isEqualTo(Bank.expectedBalances(store));
        assertThat(recorded(store, schema, 1)).isEmpty();
        assertThatThrownBy(() -> v2.dropRetiredTables("balances", 1))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("no recorded tables");

        // A newer version that cannot catch up stays beside the active one, never retired.
        try {
          v3.catchUp("balances");
        } catch (RuntimeException expected) {
          // its first event fails and halts it; what matters is that it is not retired
        }
        assertThatThrownBy(() -> v3.dropRetiredTables("balances", 3))
            .isInstanceOf(IllegalStateException.class).hasMessageContaining("being rebuilt");
        assertThat(exists(store, schema + ".balances_v3")).isTrue();

        // The same, read from the tables alone, as a tool without the projectors' code sees it.
        StoredProjections stored = StoredProjections.of(store);
        assertThat(stored.installed()).isTrue();
        assertThat(stored.versions()).extracting(v -> v.version() + " " + v.role() + " " + v.tables())
            .containsExactly("1 RETIRED []",
                "2 ACTIVE [" + schema + ".balances_v2, " + schema + ".totals_v2]",
                "3 REBUILDING [" + schema + ".balances_v3, " + schema + ".totals_v3]");
        assertThat(stored.status()).extracting(s -> s.partition().version() + " " + s.partition().active())
            .containsExactly("2 true", "3 false");
        assertThat(stored.status().get(0).position().lagEvents()).as("the active version's lag").isZero();
        assertThat(stored.deadLetters()).as("the rebuilding version's halted event").isNotEmpty()
            .extracting(DeadLetter::projectorVersion).containsOnly(3);
        assertThat(stored.status().get(1).health().openDeadLetters()).isEqualTo(stored.deadLetters().size());
      }
    }
  }

  @Test
  void a_schema_without_projection_tables_has_no_projectors() {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 2, "no-projections")) {
      StoredProjections stored = StoredProjections.of(store);
      assertThat(stored.installed()).isFalse();
      assertThat(stored.status()).isEmpty();
      assertThat(stored.versions()).isEmpty();
      assertThat(stored.deadLetters()).isEmpty();
    }
  }

  @Test
  void a_version_set_up_before_tables_were_recorded_keeps_them() {
    String schema = db.newSchema();
    try (PostgresEventStore store = Bank.store(db, schema, 4, "drop-old")) {
      Bank.deposit(store, Bank.account(1), 5);
      try (ProjectionRunner v1 = Bank.runner(store, "v1", balances(1, false)).build();
          ProjectionRunner v2 = Bank.runner(store, "v2", balances(2, false)).build()) {
        v1.catchUp("balances");
        // As a schema installed before version 3 would have it: no record of version 1's tables.
        store.jdbi().useHandle(h -> h.execute("DELETE FROM " + schema + ".projection_tables"));
        v2.catchUp("balances");

        assertThatThrownBy(() -> v2.dropRetiredTables("balances", 1))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("no recorded tables").hasMessageContaining("drop them by hand");
        assertThat(exists(store, schema + ".balances_v1")).isTrue();
        assertThat(exists(store, schema + ".totals_v1")).isTrue();
      }
    }
  }

  private static List<String> recorded(PostgresEventStore store, String schema, int version) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT table_name FROM " + schema
        + ".projection_tables WHERE projector = 'balances' AND projector_version = :v ORDER BY table_name")
        .bind("v", version).mapTo(String.class).list());
  }

  private static boolean exists(PostgresEventStore store, String table) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT to_regclass(:t) IS NOT NULL")
        .bind("t", table).mapTo(Boolean.class).one());
  }

  private static int activeVersion(PostgresEventStore store, String schema) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT active_version FROM " + schema
        + ".projection_versions WHERE projector = 'balances'").mapTo(Integer.class).one());
  }
}
