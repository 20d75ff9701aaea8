package dev.annals.bank.streams;

import dev.annals.bank.Bank;
import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand;
import dev.annals.core.CommandContext;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.inbox.MessageHandler;
import dev.annals.messaging.kafka.KafkaInboxConsumer;
import io.cloudevents.CloudEvent;
import java.util.Objects;
import org.jdbi.v3.core.Handle;

/**
 * Feeds {@link Alert}s back into the event store: each alert freezes its account for review,
 * through the inbox, exactly once.
 *
 * <p>Twice guarded: the inbox records the alert's id, so a redelivered alert does not reach the
 * handler again; and the freeze command's id is derived from the alert's, so that a freeze whose
 * inbox record was lost (the freeze committed, then the inbox transaction failed) is replayed by
 * the repository on redelivery rather than applied a second time. An account already frozen, or
 * closed, has nothing left to freeze: the alert is then recorded as handled.
 *
 * <p>Alerts are trusted as far as freezing goes, the safe direction: whoever can write to
 * {@value BankStreams#ALERTS_TOPIC} can ask for a review, never move money.
 */
public final class FreezeOnAlert implements MessageHandler {

  /** The consumer group, and the inbox consumer name the alert ids are recorded under. */
  public static final String GROUP = "bank-freeze-on-alert";
  /** Where alerts go that cannot be read or applied. */
  public static final String DEAD_LETTER_TOPIC = "bank.alerts.dlt";
  /** The actor of the freeze commands. */
  public static final String ACTOR = "fraud-detection";

  private static final System.Logger LOG = System.getLogger(FreezeOnAlert.class.getName());

  private final Bank bank;

  private FreezeOnAlert(Bank bank) {
    this.bank = bank;
  }

  /** The handler alone, for a consumer configured elsewhere. */
  public static FreezeOnAlert handler(Bank bank) {
    return new FreezeOnAlert(Objects.requireNonNull(bank, "bank must not be null"));
  }

  /**
   * A consumer of {@value BankStreams#ALERTS_TOPIC} that freezes accounts in {@code bank}, not
   * started yet; {@value #DEAD_LETTER_TOPIC} must exist.
   *
   * @param inbox the inbox in the bank's database
   */
  public static KafkaInboxConsumer consumer(Bank bank, Inbox inbox, String bootstrapServers) {
    return KafkaInboxConsumer.builder(bootstrapServers, GROUP)
        .topics(BankStreams.ALERTS_TOPIC)
        .inbox(inbox)
        .handler(handler(bank))
        .deadLetterTopic(DEAD_LETTER_TOPIC)
        .build();
  }

  /** The id of the freeze command an alert sends. */
  public static String commandId(Alert alert) {
    return "freeze-for-alert-" + alert.id();
  }

  @Override
  public void handle(CloudEvent event, Handle handle) {
    Alert alert = Alert.fromCloudEvent(event);
    CommandContext context = CommandContext.of(commandId(alert)).withCorrelationId(alert.id()).withActor(ACTOR)
        .with("alert.pattern", alert.pattern().name());
    // The repository writes on its own connection, not the inbox's handle: the derived command
    // id is what keeps a repeated freeze harmless if the inbox transaction fails after it.
    try {
      bank.handle(alert.account(), new AccountCommand.Freeze("review: " + alert.description()), context);
    } catch (Account.AccountFrozen | Account.NotOpen nothingToFreeze) {
      LOG.log(System.Logger.Level.INFO, "alert " + alert.id() + " on account " + alert.account()
          + " freezes nothing: " + nothingToFreeze.getMessage());
    }
  }
}
