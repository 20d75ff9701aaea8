package dev.annals.bank.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.bank.Bank;
import dev.annals.bank.BankPublishing;
import dev.annals.bank.domain.Account;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountCommand.Withdraw;
import dev.annals.bank.domain.AccountEvent;
import dev.annals.bank.domain.BankEvents;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.TransferState;
import dev.annals.bank.views.TransferStatusProjection;
import dev.annals.bank.streams.Alert.Pattern;
import dev.annals.core.CommandContext;
import dev.annals.core.RecordedEvent;
import dev.annals.messaging.inbox.Inbox;
import dev.annals.messaging.kafka.KafkaInboxConsumer;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole loop against a real Kafka broker (in this JVM) and a real PostgreSQL: the bank appends,
 * its publisher sends CloudEvents, the streams application raises alerts, the inbox consumer
 * freezes the accounts, each exactly once.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamsEndToEndIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @RegisterExtension
  static final KafkaTestBroker kafka = KafkaTestBroker.create();

  @TempDir
  static Path stateDir;

  /** Generous: the machine may be busy; every wait ends as soon as its condition holds. */
  static final Duration WAIT = Duration.ofSeconds(120);

  static PostgresEventStore store;
  static Bank bank;
  static KafkaStreams streams;
  static KafkaInboxConsumer freezer;

  @BeforeAll
  static void start() {
    kafka.createTopic(BankStreams.INPUT_TOPIC, 2);
    for (String topic : List.of(BankStreams.HOURLY_TOPIC, BankStreams.HOPPING_TOPIC, BankStreams.ALERTS_TOPIC,
        FreezeOnAlert.DEAD_LETTER_TOPIC)) {
      kafka.createTopic(topic, 1);
    }
    store = PostgresEventStore.builder(BankEvents.REGISTRY).jdbcUrl(db.jdbcUrl()).schema(db.newSchema())
        .installSchema(true).encryptPersonalDataWithoutMasterKey().build();
    bank = Bank.start(store, "node-1",
        BankPublishing.fromEnvironment(Map.of("BANK_PUBLISH", "kafka://" + kafka.bootstrapServers())));
    BankStreams topology = BankStreams.builder().build();
    streams = new KafkaStreams(topology.topology(),
        topology.properties(kafka.bootstrapServers(), "bank-streams-it", stateDir));
    streams.start();
    freezer = FreezeOnAlert.consumer(bank, Inbox.install(store), kafka.bootstrapServers());
    freezer.start();
  }

  @AfterAll
  static void stop() {
    if (freezer != null) {
      freezer.close();
    }
    if (streams != null) {
      streams.close(Duration.ofSeconds(30));
    }
    if (bank != null) {
      bank.close();
    }
    if (store != null) {
      store.close();
    }
  }

  static Money eur(String amount) {
    return Money.of(amount, "EUR");
  }

  static void open(String id, String deposit) {
    bank.handle(id, new Open("owner of " + id, Currency.getInstance("EUR")), CommandContext.of("open-" + id));
    bank.handle(id, new Deposit(eur(deposit)), CommandContext.of("fund-" + id));
  }

  static List<AccountEvent> events(String account) {
    return store.readStream(Account.TYPE.streamId(account)).stream()
        .map(e -> (AccountEvent) e.payload()).toList();
  }

  static long frozen(String account) {
    return events(account).stream().filter(AccountEvent.Frozen.class::isInstance).count();
  }

  static <T> T await(String what, Supplier<Optional<T>> condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      Optional<T> value;
      try {
        value = condition.get();
      } catch (RuntimeException e) {
        // For example the store while the streams application is still rebalancing.
        value = Optional.empty();
      }
      if (value.isPresent()) {
        return value.get();
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT + ": " + what + " (streams " + streams.state()
            + ", freezer " + freezer.counts() + ")");
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what, e);
      }
    }
  }

  static List<Alert> alertsOnTopic(int atLeast) {
    try (KafkaConsumer<String, CloudEvent> consumer = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.GROUP_ID_CONFIG, "alerts-reader-" + System.nanoTime(),
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
        new StringDeserializer(), new CloudEventDeserializer())) {
      consumer.subscribe(List.of(BankStreams.ALERTS_TOPIC));
      List<Alert> alerts = new ArrayList<>();
      return await(atLeast + " alerts on " + BankStreams.ALERTS_TOPIC, () -> {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> alerts.add(Alert.fromCloudEvent(r.value())));
        return alerts.size() >= atLeast ? Optional.of(List.copyOf(alerts)) : Optional.empty();
      });
    }
  }

  static void republish(Alert alert) throws Exception {
    try (KafkaProducer<String, CloudEvent> producer = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
        new StringSerializer(), new CloudEventSerializer())) {
      producer.send(new ProducerRecord<>(BankStreams.ALERTS_TOPIC, "account-" + alert.account(),
          alert.toCloudEvent())).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(1)
  void three_refused_withdrawals_and_a_drained_deposit_freeze_their_accounts_once() {
    open("1001", "50");
    // atm-1 twice: a resent command is refused again but its refusal is recorded once.
    for (int attempt : new int[] {1, 1, 2, 3}) {
      assertThatThrownBy(() -> bank.handle("1001", new Withdraw(eur("500")), CommandContext.of("atm-" + attempt)))
          .isInstanceOf(Account.InsufficientFunds.class);
    }
    open("1002", "10");
    bank.handle("1002", new Deposit(eur("1000")), CommandContext.of("cash-in"));
    bank.handle("1002", new Withdraw(eur("900")), CommandContext.of("cash-out"));
    open("1003", "100");
    bank.handle("1003", new Withdraw(eur("10")), CommandContext.of("coffee"));

    await("account 1001 frozen", () -> frozen("1001") > 0 ? Optional.of(true) : Optional.empty());
    await("account 1002 frozen", () -> frozen("1002") > 0 ? Optional.of(true) : Optional.empty());

    assertThat(events("1001")).filteredOn(AccountEvent.WithdrawalRefused.class::isInstance)
        .as("one refusal recorded per refused command").hasSize(3);
    List<Alert> alerts = alertsOnTopic(2);
    assertThat(alerts).extracting(Alert::account, Alert::pattern).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple("1001", Pattern.REPEATED_REFUSALS),
        org.assertj.core.groups.Tuple.tuple("1002", Pattern.DEPOSIT_THEN_WITHDRAWAL));
    assertThat(frozen("1001")).isEqualTo(1);
    assertThat(frozen("1002")).isEqualTo(1);
    assertThat(frozen("1003")).isZero();

    RecordedEvent freeze = store.readStream(Account.TYPE.streamId("1001")).stream()
        .filter(e -> e.payload() instanceof AccountEvent.Frozen).findFirst().orElseThrow();
    Alert alert = alerts.stream().filter(a -> a.account().equals("1001")).findFirst().orElseThrow();
    assertThat(freeze.metadata().causationId()).isEqualTo(FreezeOnAlert.commandId(alert));
    assertThat(freeze.metadata().actor()).isEqualTo(FreezeOnAlert.ACTOR);
    assertThat(((AccountEvent.Frozen) freeze.payload()).reason()).startsWith("review: 3 withdrawals refused");
  }

  @Test
  @Order(2)
  void a_frozen_account_refuses_withdrawals_and_transfers_out_with_a_clear_error() {
    assertThatThrownBy(() -> bank.handle("1001", new Withdraw(eur("1")), CommandContext.random()))
        .isInstanceOf(Account.AccountFrozen.class)
        .hasMessage("withdrawal refused: account of owner of 1001 is frozen; unfreeze it first");
    bank.transfer("t-frozen", "1002", "1003", eur("1"), CommandContext.of("t-frozen"));
    TransferStatusProjection.View transfer = await("transfer t-frozen failed",
        () -> bank.transferStatus("t-frozen").filter(t -> t.status() == TransferState.Status.FAILED));
    assertThat(transfer.reason()).contains("transfer t-frozen refused: account of owner of 1002 is frozen");
  }

  @Test
  @Order(3)
  void a_redelivered_alert_freezes_once() throws Exception {
    Alert alert = alertsOnTopic(2).stream().filter(a -> a.account().equals("1002")).findFirst().orElseThrow();
    long duplicatesBefore = freezer.counts().duplicates();

    republish(alert);
    await("the redelivered alert seen as a duplicate",
        () -> freezer.counts().duplicates() > duplicatesBefore ? Optional.of(true) : Optional.empty());

    assertThat(frozen("1002")).isEqualTo(1);
  }

  @Test
  @Order(4)
  void an_alert_whose_inbox_record_was_lost_still_freezes_once() throws Exception {
    Alert alert = alertsOnTopic(2).stream().filter(a -> a.account().equals("1001")).findFirst().orElseThrow();
    // As if the freeze had committed and the inbox transaction had then failed.
    store.jdbi().useHandle(h -> h.execute("DELETE FROM " + store.schema() + ".inbox WHERE consumer = ? "
        + "AND message_id = ?", FreezeOnAlert.GROUP, alert.id()));
    long handledBefore = freezer.counts().handled();

    republish(alert);
    await("the alert handled again", () -> freezer.counts().handled() > handledBefore ? Optional.of(true)
        : Optional.empty());

    assertThat(frozen("1001")).as("the freeze command was replayed, not applied again").isEqualTo(1);
    assertThat(freezer.counts().deadLettered()).isZero();
  }

  @Test
  @Order(5)
  void money_moved_per_hour_is_queryable_from_the_running_application() {
    Instant now = Instant.now();
    MoneyMoved hour = await("account 1003's hour in the store", () -> BankStreams.hourly(streams, "1003",
        now.minus(Duration.ofHours(2)), now).stream()
        .filter(m -> m.movements() == 2).findFirst());
    assertThat(hour.amount()).isEqualByComparingTo(new BigDecimal("110"));
    assertThat(hour.currency()).isEqualTo("EUR");
    assertThat(hour.account()).isEqualTo("account-1003");
  }
}
