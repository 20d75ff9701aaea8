package dev.annals.bank.streams;

import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.Money;
import dev.annals.core.SerializedEvent;
import dev.annals.core.StreamId;
import dev.annals.messaging.CloudEventMapper;
import io.cloudevents.CloudEvent;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/**
 * What one account event means for the stream processors: money in, money out, or a refused
 * withdrawal. Events that move no money (opening, freezing) become no movement.
 *
 * @param account the account id (the stream id without its category)
 * @param eventId the event id, which makes a redelivered event recognizable
 * @param time event time, epoch milliseconds, from the CloudEvent's {@code time}
 */
record Movement(String account, Kind kind, BigDecimal amount, String currency, String eventId, long time) {

  private static final System.Logger LOG = System.getLogger(Movement.class.getName());

  /** The kinds of movement. */
  enum Kind {
    DEPOSIT, WITHDRAWAL, TRANSFER_OUT, TRANSFER_IN, REFUND, WITHDRAWAL_REFUSED;

    /** Whether money really moved (a refused withdrawal moved none). */
    boolean movesMoney() {
      return this != WITHDRAWAL_REFUSED;
    }

    /** Money leaving the account at the customer's wish. */
    boolean isOut() {
      return this == WITHDRAWAL || this == TRANSFER_OUT;
    }
  }

  Movement {
    Objects.requireNonNull(account, "account must not be null");
    Objects.requireNonNull(kind, "kind must not be null");
    Objects.requireNonNull(amount, "amount must not be null");
    Objects.requireNonNull(currency, "currency must not be null");
    Objects.requireNonNull(eventId, "eventId must not be null");
  }

  /**
   * The movement a bank CloudEvent stands for: none for events that move no money, and none (with
   * a warning) for events that are not the bank's account events or cannot be read, so that one
   * bad record does not stop the application.
   */
  static List<Movement> of(CloudEvent event) {
    if (event == null) {
      return List.of();
    }
    try {
      StreamId stream = CloudEventMapper.streamId(event);
      if (!stream.category().equals(Account.TYPE.category())) {
        return List.of();
      }
      if (event.getTime() == null) {
        throw new IllegalArgumentException("it has no time attribute");
      }
      Object schemaVersion = event.getExtension(CloudEventMapper.SCHEMA_VERSION);
      if (schemaVersion == null) {
        throw new IllegalArgumentException("it has no " + CloudEventMapper.SCHEMA_VERSION + " extension");
      }
      AccountEvent payload = (AccountEvent) Account.REGISTRY.deserialize(
          new SerializedEvent(event.getType(), Integer.parseInt(schemaVersion.toString()),
              CloudEventMapper.dataAsString(event)),
          stream, CloudEventMapper.streamVersion(event), CloudEventMapper.position(event)).payload();
      long time = event.getTime().toInstant().toEpochMilli();
      return movement(stream.id(), payload, event.getId(), time).map(List::of).orElse(List.of());
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "skipping CloudEvent " + event.getId() + " of type " + event.getType()
          + " from " + event.getSource() + ": not a readable bank account event: " + e.getMessage());
      return List.of();
    }
  }

  private static java.util.Optional<Movement> movement(String account, AccountEvent event, String id, long time) {
    Kind kind;
    Money amount;
    if (event instanceof AccountEvent.Deposited e) {
      kind = Kind.DEPOSIT;
      amount = e.amount();
    } else if (event instanceof AccountEvent.Withdrawn e) {
      kind = Kind.WITHDRAWAL;
      amount = e.amount();
    } else if (event instanceof AccountEvent.TransferDebited e) {
      kind = Kind.TRANSFER_OUT;
      amount = e.amount();
    } else if (event instanceof AccountEvent.TransferCredited e) {
      kind = Kind.TRANSFER_IN;
      amount = e.amount();
    } else if (event instanceof AccountEvent.TransferRefunded e) {
      kind = Kind.REFUND;
      amount = e.amount();
    } else if (event instanceof AccountEvent.WithdrawalRefused e) {
      kind = Kind.WITHDRAWAL_REFUSED;
      amount = e.amount();
    } else {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new Movement(account, kind, amount.amount(), amount.currency().getCurrencyCode(),
        id, time));
  }
}
