package dev.annals.bank.streams;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.annals.core.StreamId;
import dev.annals.bank.domain.Account;
import dev.annals.messaging.CloudEventMapper;
import io.cloudevents.CloudEvent;
import io.cloudevents.core.builder.CloudEventBuilder;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A pattern seen in an account's events that asks for a human to look: the account is frozen for
 * review when the alert comes back through the inbox ({@link FreezeOnAlert}).
 *
 * @param id derived from the pattern and the ids of the events that formed it, so the same
 *     evidence always gives the same alert, and the freeze it causes happens once
 * @param account the account id, without the {@code account-} category
 * @param time event time of the event that completed the pattern
 * @param evidence the ids of the events that formed the pattern, in event-time order
 * @param description one line for the reviewer
 */
public record Alert(String id, String account, Pattern pattern, Instant time, List<String> evidence,
    String description) {

  /** The CloudEvent type of an alert. */
  public static final String TYPE = "FraudAlertRaised";
  /** The CloudEvent source of alerts. */
  public static final URI SOURCE = URI.create("urn:annals:sample-bank-streams");

  /** The patterns that raise an alert. */
  public enum Pattern {
    /** Three withdrawals refused for want of funds within ten minutes. */
    REPEATED_REFUSALS,
    /** A deposit followed within a minute by a withdrawal (or transfer out) of at least 80% of it. */
    DEPOSIT_THEN_WITHDRAWAL
  }

  /**
   * @throws NullPointerException if a component is null
   * @throws IllegalArgumentException if there is no evidence
   */
  public Alert {
    Objects.requireNonNull(id, "id must not be null");
    Objects.requireNonNull(account, "account must not be null");
    Objects.requireNonNull(pattern, "pattern must not be null");
    Objects.requireNonNull(time, "time must not be null");
    Objects.requireNonNull(description, "description must not be null");
    evidence = List.copyOf(Objects.requireNonNull(evidence, "evidence must not be null"));
    if (evidence.isEmpty()) {
      throw new IllegalArgumentException("alert " + id + " on account " + account + " has no evidence");
    }
  }

  /** An alert whose id derives from the pattern and its evidence. */
  static Alert of(String account, Pattern pattern, Instant time, List<String> evidence, String description) {
    String seed = pattern + ":" + String.join(",", evidence);
    String id = UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
    return new Alert(id, account, pattern, time, evidence, description);
  }

  /** The alert as the CloudEvent the topology writes: id, subject {@code account-<id>}, time, JSON data. */
  CloudEvent toCloudEvent() {
    return CloudEventBuilder.v1()
        .withId(id)
        .withSource(SOURCE)
        .withType(TYPE)
        .withSubject(Account.TYPE.streamId(account).toString())
        .withTime(time.atOffset(ZoneOffset.UTC))
        .withDataContentType("application/json")
        .withData(Json.write(this))
        .build();
  }

  /**
   * Reads an alert back from its CloudEvent.
   *
   * @throws IllegalArgumentException if it is not an alert, or its data does not match its id or subject
   */
  public static Alert fromCloudEvent(CloudEvent event) {
    Objects.requireNonNull(event, "event must not be null");
    if (!TYPE.equals(event.getType())) {
      throw new IllegalArgumentException("CloudEvent " + event.getId() + " is of type " + event.getType()
          + ", not " + TYPE);
    }
    Alert alert;
    try {
      alert = Json.MAPPER.readValue(CloudEventMapper.dataAsString(event), Alert.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("CloudEvent " + event.getId() + " does not hold an alert: "
          + e.getOriginalMessage(), e);
    }
    StreamId subject = CloudEventMapper.streamId(event);
    if (!alert.id().equals(event.getId()) || !subject.equals(Account.TYPE.streamId(alert.account()))) {
      throw new IllegalArgumentException("CloudEvent " + event.getId() + " (subject " + subject + ") holds alert "
          + alert.id() + " on account " + alert.account() + "; they must agree");
    }
    return alert;
  }
}
