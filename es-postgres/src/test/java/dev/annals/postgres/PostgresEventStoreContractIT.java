package dev.annals.postgres;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.testkit.EventStoreContract;
import dev.annals.testkit.PostgresTestDatabase;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

class PostgresEventStoreContractIT extends EventStoreContract {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static HikariDataSource pool;
  final List<PostgresEventStore> opened = new ArrayList<>();

  @BeforeAll
  static void openPool() {
    pool = Pools.pool(db, 12);
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @AfterEach
  void closeStores() {
    opened.forEach(PostgresEventStore::close);
  }

  @Override
  protected EventStore createStore(EventRegistry registry) {
    PostgresEventStore store = PostgresEventStore.builder(registry).dataSource(pool)
        .schema(db.newSchema()).installSchema(true).build();
    opened.add(store);
    return store;
  }

  @Override
  protected EventStore reopen(EventStore store, EventRegistry registry) {
    return ((PostgresEventStore) store).withRegistry(registry);
  }
}
