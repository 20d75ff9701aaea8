package dev.annals.bank.streams;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.Money;
import dev.annals.core.SerializedEvent;
import dev.annals.messaging.CloudEventMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.UUID;

/** Account events as the bank publishes them: CloudEvents with the registry's type names and JSON. */
final class AccountCloudEvents {

  static final Instant TEN = Instant.parse("2026-12-03T10:00:00Z");

  private AccountCloudEvents() {}

  static Instant at(String hhmmss) {
    return Instant.parse("2026-12-03T" + hhmmss + "Z");
  }

  static Money eur(String amount) {
    return Money.of(amount, "EUR");
  }

  static CloudEvent event(String account, AccountEvent payload, Instant time) {
    return event(UUID.randomUUID().toString(), account, payload, time);
  }

  static CloudEvent event(String id, String account, AccountEvent payload, Instant time) {
    SerializedEvent s = Account.REGISTRY.serialize(payload);
    return CloudEventBuilder.v1()
        .withId(id)
        .withSource(URI.create("urn:annals:sample-bank"))
        .withType(s.type())
        .withSubject(Account.TYPE.streamId(account).toString())
        .withTime(time.atOffset(ZoneOffset.UTC))
        .withDataContentType("application/json")
        .withData(s.json().getBytes(StandardCharsets.UTF_8))
        .withExtension(CloudEventMapper.STREAM_VERSION, "1")
        .withExtension(CloudEventMapper.POSITION, "1")
        .withExtension(CloudEventMapper.SCHEMA_VERSION, Integer.toString(s.schemaVersion()))
        .build();
  }

  static String key(String account) {
    return Account.TYPE.streamId(account).toString();
  }
}
