package dev.annals.bank.streams.docs;

import dev.annals.bank.Bank;
import dev.annals.bank.streams.BankStreams;
import dev.annals.bank.streams.FreezeOnAlert;
import dev.annals.bank.streams.MoneyMoved;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.kafka.KafkaInboxConsumer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The stream-processing examples of docs/messaging.md, through the public API only. They compile
 * with the build, so a change breaking the documented usage fails it; es-messaging's
 * MessagingGuideTest checks that the guide shows each tagged region as it is here. The module's
 * ITs run the same calls against a broker.
 */
final class StreamsGuideExamples {

  private StreamsGuideExamples() {}

  static List<MoneyMoved> running(Bank bank, Path stateDir) {
    // tag::bank-streams[]
    BankStreams streams = BankStreams.builder()
        .grace(Duration.ofMinutes(5))          // how late, in event time, an event may still count
        .build();
    KafkaStreams app = new KafkaStreams(streams.topology(),
        streams.properties("kafka-1:9092", "bank-streams", stateDir));
    app.start();

    // Alerts come back as commands: each freezes its account once, through the inbox.
    KafkaInboxConsumer freezer = FreezeOnAlert.consumer(bank, Inbox.install(bank.store()), "kafka-1:9092");
    freezer.start();

    // The windows are queryable while the application runs.
    Instant now = Instant.now();
    List<MoneyMoved> lastHour = BankStreams.hourly(app, "1001", now.minus(Duration.ofHours(1)), now);
    // end::bank-streams[]
    return lastHour;
  }
}
