package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.AppendResult;
import dev.annals.core.DuplicateEventIdException;
import dev.annals.core.EventStore;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.ContractEvents.ItemAdded;
import dev.annals.testkit.PostgresTestDatabase;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Appends that join the caller's transaction commit and roll back with its other work. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class JoinedTransactionIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  PostgresEventStore store;
  final StreamId cart = StreamId.of("cart", UUID.randomUUID().toString());

  @BeforeEach
  void newStore() {
    store = PostgresEventStore.builder(ContractEvents.registry()).jdbcUrl(db.jdbcUrl()).schema(db.newSchema())
        .installSchema(true).build();
    store.jdbi().useHandle(h -> h.execute("CREATE TABLE " + store.schema() + ".marks (id text PRIMARY KEY)"));
  }

  @AfterEach
  void close() {
    store.close();
  }

  long marks() {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM " + store.schema() + ".marks")
        .mapTo(Long.class).one());
  }

  @Test
  void the_append_commits_with_the_callers_other_work_and_is_visible_inside_before_that() {
    store.jdbi().useTransaction(h -> {
      h.execute("INSERT INTO " + store.schema() + ".marks VALUES ('m1')");
      EventStore joined = store.joining(h);
      joined.append(cart, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("a", 1)));
      assertThat(joined.streamVersion(cart)).as("inside, before commit").isEqualTo(1);
      // Another thread, so that Jdbi does not hand it this thread's open handle.
      long outside = java.util.concurrent.CompletableFuture.supplyAsync(() -> store.streamVersion(cart)).join();
      assertThat(outside).as("outside, before commit").isZero();
    });
    assertThat(store.readStream(cart)).hasSize(1);
    assertThat(marks()).isEqualTo(1);
  }

  @Test
  void a_failure_after_the_append_rolls_back_both() {
    assertThatThrownBy(() -> store.jdbi().useTransaction(h -> {
      h.execute("INSERT INTO " + store.schema() + ".marks VALUES ('m1')");
      store.joining(h).append(cart, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("a", 1)));
      throw new IllegalStateException("the handler failed after appending");
    })).hasMessage("the handler failed after appending");
    assertThat(store.streamVersion(cart)).isZero();
    assertThat(store.headPosition()).isZero();
    assertThat(marks()).isZero();
  }

  @Test
  void an_append_retried_with_the_same_ids_answers_the_original_result_without_breaking_the_transaction() {
    NewEvent event = NewEvent.of(new ItemAdded("a", 1));
    AppendResult first = store.append(cart, ExpectedVersion.noStream(), event);
    AppendResult again = store.jdbi().inTransaction(h -> {
      AppendResult r = store.joining(h).append(cart, ExpectedVersion.noStream(), event);
      // The transaction is still usable after the duplicate was found.
      h.execute("INSERT INTO " + store.schema() + ".marks VALUES ('after')");
      return r;
    });
    assertThat(again).isEqualTo(first);
    assertThat(store.readStream(cart)).hasSize(1);
    assertThat(marks()).isEqualTo(1);
  }

  @Test
  void an_event_id_stored_in_another_stream_fails_the_append_alone_and_the_transaction_goes_on() {
    NewEvent event = NewEvent.of(new ItemAdded("a", 1));
    StreamId other = StreamId.of("cart", UUID.randomUUID().toString());
    store.append(other, ExpectedVersion.noStream(), event);
    store.append(cart, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("b", 1)));
    store.jdbi().useTransaction(h -> {
      // The single-event statement moves the stream row, then its insert meets the stored id.
      assertThatThrownBy(() -> store.joining(h).append(cart, ExpectedVersion.exactly(1), event))
          .isInstanceOf(DuplicateEventIdException.class);
      h.execute("INSERT INTO " + store.schema() + ".marks VALUES ('after')");
      assertThat(store.joining(h).streamVersion(cart)).as("the stream row's move was undone").isEqualTo(1);
      store.joining(h).append(cart, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("c", 1)));
    });
    assertThat(store.readStream(cart)).extracting(e -> ((ItemAdded) e.payload()).name()).containsExactly("b", "c");
    assertThat(marks()).isEqualTo(1);
    assertThat(store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).violations()).isEmpty();
  }

  @Test
  void a_single_event_append_in_the_callers_transaction_is_one_round_trip() throws Exception {
    store.append(cart, ExpectedVersion.noStream(), NewEvent.of(new ItemAdded("a", 1)));
    try (WireTap tap = new WireTap(db.jdbcUrl())) {
      java.util.List<Long> trips = new java.util.ArrayList<>();
      org.jdbi.v3.core.Jdbi.create(tap.url()).useTransaction(h -> {
        EventStore joined = store.joining(h);
        // The connection's first statement also opens the transaction: counted from the second.
        joined.append(cart, ExpectedVersion.exactly(1), NewEvent.of(new ItemAdded("first", 1)));
        for (long version = 2; version <= 4; version++) {
          long before = tap.roundTrips();
          joined.append(cart, ExpectedVersion.exactly(version), NewEvent.of(new ItemAdded("n" + version, 1)));
          trips.add(tap.roundTrips() - before);
        }
      });
      // The savepoint that keeps a duplicate id from aborting the caller's transaction travels
      // with the statement.
      assertThat(trips).containsOnly(1L);
    }
    assertThat(store.streamVersion(cart)).isEqualTo(5);
  }

  @Test
  void joining_needs_a_transaction() {
    assertThatThrownBy(() -> store.jdbi().useHandle(h -> store.joining(h)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a handle in a transaction");
  }
}
