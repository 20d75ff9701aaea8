package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ConnectionLossIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void a_connection_killed_mid_append_fails_the_caller_stores_nothing_and_the_pool_recovers() throws Exception {
    String app = "annals-connloss-" + System.nanoTime();
    try (PostgresEventStore store = PostgresEventStore.builder(ContractEvents.registry())
        .jdbcUrl(db.jdbcUrl() + "&ApplicationName=" + app).poolSize(3).schema(db.schema())
        .installSchema(true).notifyInterval(Duration.ZERO).build()) {
      StreamId stream = StreamId.of("cart", "victim");
      store.append(stream, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("first", 1)));

      NewEvent doomed = NewEvent.of(new ItemAdded("doomed", 1));
      CompletableFuture<Object> append;
      try (Connection blocker = db.connect()) {
        // Hold the stream's row so the append stops inside the append function, mid-transaction.
        blocker.setAutoCommit(false);
        try (Statement st = blocker.createStatement()) {
          st.execute("SELECT pg_advisory_xact_lock(hashtextextended('annals.stream:" + stream + "', 0))");
        }
        append = CompletableFuture.supplyAsync(() ->
            store.append(stream, ExpectedVersion.exactly(1), List.of(doomed, NewEvent.of(new ItemAdded("also", 1)))));
        int pid = waitForBlockedBackend(app);
        try (Statement st = blocker.createStatement()) {
          st.execute("SELECT pg_terminate_backend(" + pid + ")");
        }
        blocker.rollback();
      }
      ExecutionException failure = org.assertj.core.api.Assertions.catchThrowableOfType(
          ExecutionException.class, () -> append.get(30, TimeUnit.SECONDS));
      assertThat(failure).as("the caller got an exception").isNotNull();
      assertThat(failure.getCause()).isInstanceOf(StoreUnavailableException.class);
      assertThat(((StoreUnavailableException) failure.getCause()).isRetryable()).isTrue();

      assertThat(store.streamVersion(stream)).as("nothing partial").isEqualTo(1);
      assertThat(store.readStream(stream)).hasSize(1);
      // The pool drops the dead connection; the next appends work, including a retry of the same ids.
      for (int i = 0; i < 5; i++) {
        store.append(StreamId.of("cart", "after-" + i), ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("x", 1)));
      }
      store.append(stream, ExpectedVersion.exactly(1), doomed);
      assertThat(store.streamVersion(stream)).isEqualTo(2);
    }
  }

  private static int waitForBlockedBackend(String app) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = ? "
            + "AND wait_event_type = 'Lock' AND query LIKE '%append_events%'")) {
      ps.setString(1, app);
      while (System.nanoTime() < deadline) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return rs.getInt(1);
          }
        }
        Thread.sleep(20);
      }
    }
    throw new AssertionError("the append never blocked on the stream lock");
  }
}
