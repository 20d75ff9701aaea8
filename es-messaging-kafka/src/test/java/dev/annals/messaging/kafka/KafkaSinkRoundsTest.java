package dev.annals.messaging.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.StreamId;
import dev.annals.messaging.OutgoingMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

/**
 * How a batch is split into the rounds the sink sends one after another: a stream's next event
 * is only handed to Kafka once its previous one was acknowledged.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class KafkaSinkRoundsTest {

  private static final StreamId A = StreamId.of("account", "a");
  private static final StreamId B = StreamId.of("account", "b");
  private static final StreamId C = StreamId.of("account", "c");

  @Test
  void each_round_holds_at_most_one_event_per_stream_and_a_streams_nth_event_is_in_round_n() {
    List<OutgoingMessage> batch = batch(A, A, B, A, C, B);

    assertThat(KafkaSink.rounds(batch)).containsExactly(List.of(0, 2, 4), List.of(1, 5), List.of(3));
  }

  @Test
  void a_batch_of_distinct_streams_is_one_round_in_batch_order() {
    assertThat(KafkaSink.rounds(batch(C, A, B))).containsExactly(List.of(0, 1, 2));
  }

  @Test
  void a_batch_of_one_stream_is_one_round_per_event() {
    assertThat(KafkaSink.rounds(batch(B, B, B))).containsExactly(List.of(0), List.of(1), List.of(2));
  }

  private static List<OutgoingMessage> batch(StreamId... streams) {
    List<OutgoingMessage> batch = new ArrayList<>();
    for (StreamId s : streams) {
      batch.add(new OutgoingMessage(Accounts.event(s, 1, 1), s.toString(), s.category()));
    }
    return batch;
  }
}
