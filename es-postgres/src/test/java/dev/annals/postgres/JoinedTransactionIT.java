package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.AppendResult;
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
  void joining_needs_a_transaction() {
    assertThatThrownBy(() -> store.jdbi().useHandle(h -> store.joining(h)))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a handle in a transaction");
  }
}
