package dev.annals.messaging.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.AggregateRepository;
import dev.annals.core.CommandContext;
import dev.annals.core.StreamId;
import dev.annals.messaging.Fixtures;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Messages turned into commands: the inbox record and the events the command appends commit in
 * one transaction, through {@link PostgresEventStore#joining}.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class InboxCommandsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  PostgresEventStore store;
  Inbox inbox;

  @BeforeEach
  void setUp() {
    store = Fixtures.store(db, db.newSchema());
    inbox = Inbox.install(store);
  }

  @AfterEach
  void close() {
    store.close();
  }

  /** The consumer's effect: the message's amount as a command on wallet w1, in the inbox transaction. */
  boolean deliver(String messageId, long cents) throws Exception {
    return inbox.process("wallets", messageId, h -> {
      try (AggregateRepository<Long, Long, Fixtures.Deposited> wallets =
          AggregateRepository.builder(Fixtures.WALLET, store.joining(h)).cacheSize(0).build()) {
        wallets.handle("w1", cents, CommandContext.of("message-" + messageId));
      }
      if (cents == 13) {
        throw new IllegalStateException("13 cents: the effect fails after the append");
      }
    });
  }

  @Test
  void a_redelivered_message_appends_nothing_more() throws Exception {
    assertThat(deliver("m1", 5)).isTrue();
    assertThat(deliver("m2", 7)).isTrue();
    assertThat(deliver("m1", 5)).as("redelivered").isFalse();
    assertThat(store.readStream(StreamId.of("wallet", "w1"))).hasSize(2);
  }

  @Test
  void an_effect_that_fails_after_its_append_leaves_neither_the_events_nor_the_message_id() throws Exception {
    assertThat(deliver("m1", 5)).isTrue();
    assertThatThrownBy(() -> deliver("m13", 13)).hasMessageContaining("13 cents");
    assertThat(store.readStream(StreamId.of("wallet", "w1"))).hasSize(1);
    assertThat(inbox.seen("wallets", "m13")).isFalse();
  }
}
