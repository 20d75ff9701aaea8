package dev.annals.messaging.nats;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.StreamId;
import dev.annals.messaging.CountingSink;
import dev.annals.messaging.Fixtures;
import dev.annals.messaging.Publisher;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.testkit.PostgresTestDatabase;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A publisher at most once (fire and forget) against the NATS server on 127.0.0.1:4222. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class NatsAtMostOnceIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  PostgresEventStore store;

  @BeforeAll
  static void natsIsRunning() {
    NatsIT.natsIsRunning();
  }

  @BeforeEach
  void setUp() {
    store = Fixtures.store(db, db.newSchema());
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  List<UUID> append(int streams, int perStream) {
    List<UUID> ids = new ArrayList<>();
    for (int v = 0; v < perStream; v++) {
      for (int s = 0; s < streams; s++) {
        ids.add(Fixtures.append(store, StreamId.of("account", "n" + s), new Fixtures.Deposited(v + 1)));
      }
    }
    return ids;
  }

  @Test
  void with_the_server_down_the_publisher_drops_each_batch_once_and_moves_on() throws Exception {
    List<UUID> ids = append(4, 10);
    CountingSink counting = new CountingSink(NatsSink.builder("nats://127.0.0.1:" + Fixtures.closedPort())
        .subjectPrefix("annals.notify").build());

    try (ProjectionRunner runner = Fixtures.runner(store, "node1", Publisher.builder("notify", counting)
        .mapper(Fixtures.mapper()).batchSize(8).atMostOnce().build())) {
      runner.start();
      assertThat(runner.awaitCaughtUp("notify", Duration.ofMinutes(2))).as("caught up with the server down")
          .isTrue();
    }

    assertThat(counting.offered()).as("times each event was offered to the sink")
        .containsOnlyKeys(ids.stream().map(UUID::toString).toList())
        .allSatisfy((id, times) -> assertThat(times).as("offers of %s", id).isEqualTo(1));
    assertThat(counting.failed()).as("batches the sink refused").isEqualTo(counting.calls()).isPositive();
    assertThat(counting.confirmedSends()).as("confirmed sends").isZero();
  }

  @Test
  void with_the_server_up_the_stream_gets_every_event() throws Exception {
    append(3, 10);
    String id = UUID.randomUUID().toString().substring(0, 8);
    String stream = "ANNALS_AMO_" + id;
    try (Connection admin = Nats.connect(NatsIT.URL);
        NatsSink sink = NatsSink.builder(NatsIT.URL).subjectPrefix("annals.amo." + id).stream(stream).build();
        ProjectionRunner runner = Fixtures.runner(store, "node1", Publisher.builder("notify", sink)
            .mapper(Fixtures.mapper()).batchSize(7).atMostOnce().build())) {
      runner.start();
      JetStreamManagement jsm = admin.jetStreamManagement();
      Fixtures.await("30 messages in the stream", Duration.ofMinutes(2), () -> {
        try {
          return jsm.getStreamInfo(stream).getStreamState().getMsgCount() == 30;
        } catch (Exception e) {
          return false;
        }
      });
      jsm.deleteStream(stream);
    }
  }
}
