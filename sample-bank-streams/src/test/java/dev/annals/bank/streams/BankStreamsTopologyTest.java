package dev.annals.bank.streams;

import static dev.annals.bank.streams.AccountCloudEvents.at;
import static dev.annals.bank.streams.AccountCloudEvents.eur;
import static dev.annals.bank.streams.AccountCloudEvents.event;
import static dev.annals.bank.streams.AccountCloudEvents.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Frozen;
import dev.annals.bank.domain.AccountEvent.TransferCredited;
import dev.annals.bank.domain.AccountEvent.TransferDebited;
import dev.annals.bank.domain.AccountEvent.WithdrawalRefused;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.streams.Alert.Pattern;
import io.cloudevents.CloudEvent;
import io.cloudevents.kafka.CloudEventDeserializer;
import io.cloudevents.kafka.CloudEventSerializer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The topology record by record in Kafka Streams' test driver, with event time set by each event. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class BankStreamsTopologyTest {

  @TempDir
  Path stateDir;

  TopologyTestDriver driver;
  TestInputTopic<String, CloudEvent> events;
  TestOutputTopic<String, MoneyMoved> hourly;
  TestOutputTopic<String, MoneyMoved> hopping;
  TestOutputTopic<String, CloudEvent> alerts;

  @BeforeEach
  void start() {
    BankStreams streams = BankStreams.builder().grace(Duration.ofMinutes(5)).build();
    Properties props = streams.properties("unused:9092", "bank-streams-test", stateDir);
    // Every update of a window reaches the output topic, not only the last one of a cache flush.
    props.put("statestore.cache.max.bytes", 0);
    driver = new TopologyTestDriver(streams.topology(), props);
    events = driver.createInputTopic(BankStreams.INPUT_TOPIC, new StringSerializer(), new CloudEventSerializer());
    hourly = driver.createOutputTopic(BankStreams.HOURLY_TOPIC, new StringDeserializer(),
        Json.serde(MoneyMoved.class).deserializer());
    hopping = driver.createOutputTopic(BankStreams.HOPPING_TOPIC, new StringDeserializer(),
        Json.serde(MoneyMoved.class).deserializer());
    alerts = driver.createOutputTopic(BankStreams.ALERTS_TOPIC, new StringDeserializer(), new CloudEventDeserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  void send(String account, dev.annals.bank.domain.AccountEvent payload, Instant time) {
    events.pipeInput(key(account), event(account, payload, time));
  }

  List<MoneyMoved> hourlyOf(String account) {
    return BankStreams.read(driver.getWindowStore(BankStreams.HOURLY_STORE), account, at("00:00:00"), at("23:59:59"));
  }

  List<MoneyMoved> hoppingOf(String account) {
    return BankStreams.read(driver.getWindowStore(BankStreams.HOPPING_STORE), account, at("00:00:00"),
        at("23:59:59"));
  }

  List<Alert> alerts() {
    return alerts.readValuesToList().stream().map(Alert::fromCloudEvent).toList();
  }

  static MoneyMoved moved(String account, String start, String amount, long movements) {
    Instant s = at(start);
    return new MoneyMoved(key(account), s, s.plus(Duration.ofHours(1)), "EUR", new BigDecimal(amount), movements);
  }

  @Nested
  class Money_moved_per_hour {

    @Test
    void sums_every_movement_in_tumbling_hour_windows_of_event_time() {
      send("1001", new Deposited(eur("100")), at("10:05:00"));
      send("1001", new Withdrawn(eur("30")), at("10:40:00"));
      send("1001", new WithdrawalRefused(eur("900"), "insufficient funds"), at("10:41:00"));
      send("1001", new Frozen("moves nothing"), at("10:42:00"));
      send("1001", new TransferCredited("t1", eur("50"), "1002"), at("11:10:00"));
      send("1002", new TransferDebited("t1", eur("50"), "1001"), at("11:10:00"));

      assertThat(hourlyOf("1001")).containsExactly(
          moved("1001", "10:00:00", "130.00", 2),
          moved("1001", "11:00:00", "50.00", 1));
      assertThat(hourlyOf("1002")).containsExactly(moved("1002", "11:00:00", "50.00", 1));
      assertThat(hourly.readValuesToList()).as("each update of a window is written")
          .containsExactly(
              moved("1001", "10:00:00", "100.00", 1),
              moved("1001", "10:00:00", "130.00", 2),
              moved("1001", "11:00:00", "50.00", 1),
              moved("1002", "11:00:00", "50.00", 1));
    }

    @Test
    void counts_a_movement_in_each_hopping_window_that_holds_it() {
      send("1001", new Deposited(eur("10")), at("10:40:00"));

      assertThat(hoppingOf("1001")).containsExactly(
          moved("1001", "09:45:00", "10.00", 1),
          moved("1001", "10:00:00", "10.00", 1),
          moved("1001", "10:15:00", "10.00", 1),
          moved("1001", "10:30:00", "10.00", 1));
      assertThat(hopping.readValuesToList()).hasSize(4);
    }

    @Test
    void counts_a_late_event_within_grace_and_drops_one_after_it() {
      send("1001", new Deposited(eur("10")), at("10:30:00"));
      send("1001", new Deposited(eur("20")), at("11:02:00"));
      send("1001", new Deposited(eur("5")), at("10:58:00"));  // 4 minutes late: within grace
      send("1001", new Deposited(eur("1")), at("11:06:00"));  // the 10:00 window closes at 11:05
      send("1001", new Deposited(eur("7")), at("10:59:00"));  // too late

      assertThat(hourlyOf("1001")).containsExactly(
          moved("1001", "10:00:00", "15.00", 2),
          moved("1001", "11:00:00", "21.00", 2));
    }

    @Test
    void skips_records_that_are_no_bank_events_and_goes_on() {
      TestInputTopic<String, byte[]> raw = driver.createInputTopic(BankStreams.INPUT_TOPIC, new StringSerializer(),
          new ByteArraySerializer());
      raw.pipeInput(key("1001"), "not a cloud event".getBytes(StandardCharsets.UTF_8));
      CloudEvent unknownType = io.cloudevents.core.builder.CloudEventBuilder.from(
          event("1001", new Deposited(eur("1")), at("10:00:00"))).withType("SomethingElse").build();
      events.pipeInput(key("1001"), unknownType);
      send("1001", new Deposited(eur("10")), at("10:01:00"));

      assertThat(hourlyOf("1001")).containsExactly(moved("1001", "10:00:00", "10.00", 1));
    }
  }

  @Nested
  class Three_refused_withdrawals {

    void refuse(String account, String time) {
      send(account, new WithdrawalRefused(eur("500"), "insufficient funds"), at(time));
    }

    @Test
    void within_ten_minutes_raise_one_alert_with_the_three_as_evidence() {
      refuse("1001", "10:00:00");
      refuse("1001", "10:04:00");
      refuse("1001", "10:09:59");

      List<Alert> raised = alerts();
      assertThat(raised).hasSize(1);
      Alert alert = raised.get(0);
      assertThat(alert.account()).isEqualTo("1001");
      assertThat(alert.pattern()).isEqualTo(Pattern.REPEATED_REFUSALS);
      assertThat(alert.time()).isEqualTo(at("10:09:59"));
      assertThat(alert.evidence()).hasSize(3);
      assertThat(alert.description()).contains("3 withdrawals refused within 9 min 59 s");
    }

    @Test
    void exactly_ten_minutes_apart_still_count() {
      refuse("1001", "10:00:00");
      refuse("1001", "10:05:00");
      refuse("1001", "10:10:00");

      assertThat(alerts()).hasSize(1);
    }

    @Test
    void two_refusals_only_raise_nothing() {
      refuse("1001", "10:00:00");
      refuse("1001", "10:01:00");
      refuse("1002", "10:02:00");

      assertThat(alerts()).isEmpty();
    }

    @Test
    void a_third_outside_ten_minutes_raises_nothing() {
      refuse("1001", "10:00:00");
      refuse("1001", "10:05:00");
      refuse("1001", "10:10:01");

      assertThat(alerts()).isEmpty();
    }

    @Test
    void arriving_out_of_order_within_grace_still_raise_the_alert() {
      refuse("1001", "10:20:00");
      refuse("1001", "10:28:00");
      refuse("1001", "10:24:00");

      assertThat(alerts()).extracting(Alert::time).containsExactly(at("10:28:00"));
    }

    @Test
    void a_refusal_later_than_the_grace_period_is_ignored() {
      refuse("1001", "10:20:00");
      refuse("1001", "10:29:00");
      send("1001", new Deposited(eur("1")), at("10:40:00"));
      refuse("1001", "10:25:00");  // 15 minutes behind the account's latest event

      assertThat(alerts()).isEmpty();
    }

    @Test
    void a_redelivered_refusal_counts_once() {
      CloudEvent first = event("1001", new WithdrawalRefused(eur("500"), "x"), at("10:00:00"));
      events.pipeInput(key("1001"), first);
      events.pipeInput(key("1001"), first);
      refuse("1001", "10:01:00");
      assertThat(alerts()).isEmpty();

      refuse("1001", "10:02:00");
      assertThat(alerts()).hasSize(1);
      events.pipeInput(key("1001"), first);
      assertThat(alerts()).as("a refusal that formed an alert does not count again").isEmpty();
    }

    @Test
    void six_refusals_raise_two_alerts() {
      for (int minute = 0; minute < 6; minute++) {
        refuse("1001", "10:0" + minute + ":00");
      }
      assertThat(alerts()).hasSize(2);
    }
  }

  @Nested
  class A_deposit_drained_within_a_minute {

    @Test
    void by_80_percent_raises_an_alert() {
      send("1001", new Deposited(eur("100")), at("10:00:00"));
      send("1001", new Withdrawn(eur("80")), at("10:00:59"));

      List<Alert> raised = alerts();
      assertThat(raised).extracting(Alert::pattern).containsExactly(Pattern.DEPOSIT_THEN_WITHDRAWAL);
      assertThat(raised.get(0).evidence()).hasSize(2);
      assertThat(raised.get(0).description())
          .isEqualTo("deposit of 100.00 EUR followed after 59 s by withdrawal of 80.00 EUR");
    }

    @Test
    void by_79_percent_raises_nothing() {
      send("1001", new Deposited(eur("100")), at("10:00:00"));
      send("1001", new Withdrawn(eur("79.99")), at("10:00:30"));

      assertThat(alerts()).isEmpty();
    }

    @Test
    void after_more_than_a_minute_raises_nothing() {
      send("1001", new Deposited(eur("100")), at("10:00:00"));
      send("1001", new Withdrawn(eur("100")), at("10:01:01"));

      assertThat(alerts()).isEmpty();
    }

    @Test
    void by_a_transfer_out_raises_an_alert_too() {
      send("1001", new Deposited(eur("100")), at("10:00:00"));
      send("1001", new TransferDebited("t1", eur("95"), "1002"), at("10:00:10"));

      assertThat(alerts()).extracting(Alert::pattern).containsExactly(Pattern.DEPOSIT_THEN_WITHDRAWAL);
    }

    @Test
    void with_the_deposit_arriving_after_the_withdrawal_within_grace_raises_an_alert() {
      send("1001", new Withdrawn(eur("90")), at("10:00:40"));
      send("1001", new Deposited(eur("100")), at("10:00:00"));

      assertThat(alerts()).extracting(Alert::time).containsExactly(at("10:00:40"));
    }

    @Test
    void a_withdrawal_before_the_deposit_raises_nothing() {
      send("1001", new Withdrawn(eur("90")), at("10:00:00"));
      send("1001", new Deposited(eur("100")), at("10:00:30"));

      assertThat(alerts()).isEmpty();
    }

    @Test
    void is_paired_with_the_latest_deposit_before_it() {
      send("1001", new Deposited(eur("10")), at("10:00:00"));
      send("1001", new Deposited(eur("1000")), at("10:00:05"));
      send("1001", new Withdrawn(eur("900")), at("10:00:10"));

      assertThat(alerts()).extracting(Alert::description)
          .containsExactly("deposit of 1000.00 EUR followed after 5 s by withdrawal of 900.00 EUR");
    }

    @Test
    void on_another_account_raises_nothing() {
      send("1001", new Deposited(eur("100")), at("10:00:00"));
      send("1002", new Withdrawn(eur("100")), at("10:00:10"));

      assertThat(alerts()).isEmpty();
    }
  }

  @Nested
  class Alerts {

    @Test
    void have_an_id_derived_from_their_evidence() {
      CloudEvent deposit = event("1001", new Deposited(eur("100")), at("10:00:00"));
      CloudEvent withdrawal = event("1001", new Withdrawn(eur("100")), at("10:00:10"));
      events.pipeInput(key("1001"), deposit);
      events.pipeInput(key("1001"), withdrawal);
      Alert alert = alerts().get(0);

      assertThat(alert.id()).isEqualTo(Alert.of("1001", Pattern.DEPOSIT_THEN_WITHDRAWAL, at("10:00:10"),
          List.of(deposit.getId(), withdrawal.getId()), "any").id());
      assertThat(alert.evidence()).containsExactly(deposit.getId(), withdrawal.getId());
    }

    @Test
    void are_keyed_by_the_account_stream_so_they_keep_its_order() {
      send("1001", new Deposited(eur("100")), at("10:00:00"));
      send("1001", new Withdrawn(eur("100")), at("10:00:10"));

      assertThat(alerts.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly("account-1001");
    }

    @Test
    void that_do_not_agree_with_their_cloudevent_are_refused() {
      Alert alert = Alert.of("1001", Pattern.REPEATED_REFUSALS, at("10:00:00"), List.of("e1"), "x");
      CloudEvent forged = io.cloudevents.core.builder.CloudEventBuilder.from(alert.toCloudEvent())
          .withSubject("account-2002").build();

      assertThatThrownBy(() -> Alert.fromCloudEvent(forged)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("they must agree");
      CloudEvent other = io.cloudevents.core.builder.CloudEventBuilder.from(alert.toCloudEvent())
          .withType("MoneyDeposited").build();
      assertThatThrownBy(() -> Alert.fromCloudEvent(other)).hasMessageContaining("not FraudAlertRaised");
    }
  }

  @Test
  void grace_is_checked_when_configured() {
    assertThatThrownBy(() -> BankStreams.builder().grace(Duration.ofMinutes(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("grace must be 0 to PT1H, was PT-1M");
  }
}
