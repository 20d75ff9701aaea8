package dev.annals.bank.views;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.annals.bank.Bank;
import dev.annals.bank.domain.AccountEvent.Closed;
import dev.annals.bank.domain.AccountEvent.Deposited;
import dev.annals.bank.domain.AccountEvent.Frozen;
import dev.annals.bank.domain.AccountEvent.Opened;
import dev.annals.bank.domain.AccountEvent.TransferCredited;
import dev.annals.bank.domain.AccountEvent.TransferDebited;
import dev.annals.bank.domain.AccountEvent.TransferRefunded;
import dev.annals.bank.domain.AccountEvent.Withdrawn;
import dev.annals.bank.domain.BankEvents;
import dev.annals.bank.domain.Money;
import dev.annals.bank.domain.TransferEvent.CreditRefused;
import dev.annals.bank.domain.TransferEvent.Requested;
import dev.annals.bank.domain.TransferEvent.SourceDebited;
import dev.annals.bank.domain.TransferEvent.SourceRefunded;
import dev.annals.bank.domain.TransferState.Status;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.testing.ProjectionFixture;
import dev.annals.testkit.PostgresTestDatabase;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Currency;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The bank's read models, each run by the projection fixture against a real PostgreSQL. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ReadModelsIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Currency EUR = Currency.getInstance("EUR");
  static final StreamId ALICE = StreamId.of("account", "1001");
  static final StreamId BOB = StreamId.of("account", "1002");
  static final StreamId T1 = StreamId.of("transfer", "t1");

  PostgresEventStore store;

  @BeforeEach
  void newStore() {
    store = PostgresEventStore.builder(BankEvents.REGISTRY).encryptPersonalDataWithoutMasterKey().jdbcUrl(db.jdbcUrl()).schema(db.newSchema())
        .installSchema(true).build();
  }

  @AfterEach
  void close() {
    store.close();
  }

  static Money eur(String amount) {
    return Money.of(amount, "EUR");
  }

  @Test
  void balances_follow_every_movement_and_the_account_status() {
    try (ProjectionFixture f = ProjectionFixture.of(store, BalancesProjection.PROJECTOR)) {
      f.given(ALICE, new Opened("alice", EUR, eur("100")), new Deposited(eur("50")), new Withdrawn(eur("20")),
          new TransferDebited("t1", eur("10"), "1002"), new TransferRefunded("t1", eur("10"), "frozen"));
      f.given(BOB, new Opened("bob", EUR, eur("100")), new TransferCredited("t2", eur("5"), "1001"),
          new Frozen("audit"));
      assertThat(BalancesProjection.rows(store)).extracting(b -> b.account(), b -> b.owner(),
              b -> b.balance().amount(), b -> b.status())
          .containsExactly(tuple("1001", "alice", new BigDecimal("30.00"), "OPEN"),
              tuple("1002", "bob", new BigDecimal("5.00"), "FROZEN"));
    }
  }

  @Test
  void a_statement_shows_each_movement_with_its_running_balance() {
    try (ProjectionFixture f = ProjectionFixture.of(store, StatementsProjection.PROJECTOR)) {
      f.given(ALICE, new Opened("alice", EUR, eur("100")), new Deposited(eur("50")),
          new TransferDebited("t1", eur("80"), "1002"), new Frozen("audit"),
          new TransferRefunded("t1", eur("80"), "target frozen"), new Withdrawn(eur("50")), new Closed());
      List<StatementsProjection.Line> lines = StatementsProjection.read(store, "1001");
      assertThat(lines).extracting(StatementsProjection.Line::kind, l -> l.amount().amount(),
              l -> l.balance().amount(), StatementsProjection.Line::reference)
          .containsExactly(
              tuple("opened", new BigDecimal("0.00"), new BigDecimal("0.00"), "owner alice"),
              tuple("deposit", new BigDecimal("50.00"), new BigDecimal("50.00"), null),
              tuple("transfer-out", new BigDecimal("-80.00"), new BigDecimal("-30.00"), "transfer t1 to 1002"),
              tuple("refund", new BigDecimal("80.00"), new BigDecimal("50.00"), "transfer t1 refunded: target frozen"),
              tuple("withdrawal", new BigDecimal("-50.00"), new BigDecimal("0.00"), null));
      assertThat(lines).extracting(StatementsProjection.Line::version).containsExactly(1L, 2L, 3L, 5L, 6L);
    }
  }

  @Test
  void daily_totals_add_up_per_day_and_currency_and_count_a_transfer_where_it_arrives() {
    try (ProjectionFixture f = ProjectionFixture.of(store, DailyTotalsProjection.PROJECTOR)) {
      f.given(ALICE, new Opened("alice", EUR, eur("100")), new Deposited(eur("50")), new Deposited(eur("25")),
          new Withdrawn(eur("10")), new TransferDebited("t1", eur("5"), "1002"));
      f.given(BOB, new Opened("bob", EUR, eur("100")), new TransferCredited("t1", eur("5"), "1001"),
          new Deposited(Money.of("7", "USD")));
      LocalDate today = LocalDate.ofInstant(store.readStream(ALICE).get(0).recordedAt(), ZoneOffset.UTC);
      assertThat(DailyTotalsProjection.read(store)).extracting(DailyTotalsProjection.Totals::day,
              t -> t.currency().getCurrencyCode(), t -> t.deposited(), t -> t.withdrawn(), t -> t.transferred(),
              DailyTotalsProjection.Totals::movements)
          .containsExactly(
              tuple(today, "EUR", new BigDecimal("75.00"), new BigDecimal("10.00"), new BigDecimal("5.00"), 4L),
              tuple(today, "USD", new BigDecimal("7.00"), BigDecimal.ZERO, BigDecimal.ZERO, 1L));
    }
  }

  @Test
  void the_transfer_view_follows_the_saga_and_keeps_the_reason() {
    try (ProjectionFixture f = ProjectionFixture.of(store, TransferStatusProjection.PROJECTOR)) {
      f.given(T1, new Requested("1001", "1002", eur("30")));
      assertThat(TransferStatusProjection.read(store, "t1").orElseThrow().status()).isEqualTo(Status.REQUESTED);
      f.given(T1, new SourceDebited(), new CreditRefused("account of bob is frozen"), new SourceRefunded());
      TransferStatusProjection.View view = TransferStatusProjection.read(store, "t1").orElseThrow();
      assertThat(view.status()).isEqualTo(Status.COMPENSATED);
      assertThat(view.reason()).isEqualTo("account of bob is frozen");
      assertThat(view.source()).isEqualTo("1001");
      assertThat(view.amount()).isEqualTo(eur("30"));
      assertThat(TransferStatusProjection.read(store, "t2")).isEmpty();
    }
  }

  @Test
  void forgetting_a_customer_erases_their_name_from_balances_and_statements_but_not_the_money() {
    for (var projector : List.of(BalancesProjection.PROJECTOR, StatementsProjection.PROJECTOR)) {
      try (ProjectionFixture f = ProjectionFixture.of(store, projector)) {
        f.runUntilCaughtUp();
      }
    }
    store.append(ALICE, dev.annals.core.ExpectedVersion.any(), List.of(
        dev.annals.core.NewEvent.of(new Opened("alice", EUR, eur("100"))),
        dev.annals.core.NewEvent.of(new Deposited(eur("50")))));
    store.append(BOB, dev.annals.core.ExpectedVersion.any(), dev.annals.core.NewEvent.of(new Opened("bob", EUR, eur("100"))));
    dev.annals.core.Shredder.builder(store).build()
        .forget(dev.annals.bank.domain.Account.customerOf("alice"), "dpo", "request 3");
    try (ProjectionFixture f = ProjectionFixture.of(store, BalancesProjection.PROJECTOR)) {
      f.runUntilCaughtUp();
      assertThat(BalancesProjection.rows(store)).extracting(b -> b.account(), b -> b.owner(), b -> b.balance().amount())
          .containsExactly(tuple("1001", "[erased]", new BigDecimal("50.00")), tuple("1002", "bob", new BigDecimal("0.00")));
    }
    try (ProjectionFixture f = ProjectionFixture.of(store, StatementsProjection.PROJECTOR)) {
      f.runUntilCaughtUp();
      assertThat(StatementsProjection.read(store, "1001")).extracting(StatementsProjection.Line::reference)
          .containsExactly("owner [erased]", null);
      assertThat(StatementsProjection.read(store, "1002")).extracting(StatementsProjection.Line::reference)
          .containsExactly("owner bob");
    }
  }

  @Test
  void a_replay_from_a_position_leaves_each_view_as_a_full_rebuild_would() {
    for (var projector : Bank.READ_MODELS.values()) {
      try (ProjectionFixture f = ProjectionFixture.of(store, projector)) {
        f.runUntilCaughtUp();
      }
    }
    store.append(ALICE, dev.annals.core.ExpectedVersion.any(), List.of(
        dev.annals.core.NewEvent.of(new Opened("alice", EUR, eur("100"))),
        dev.annals.core.NewEvent.of(new Deposited(eur("50")))));
    store.append(BOB, dev.annals.core.ExpectedVersion.any(), dev.annals.core.NewEvent.of(new Opened("bob", EUR, eur("100"))));
    store.append(T1, dev.annals.core.ExpectedVersion.any(), dev.annals.core.NewEvent.of(new Requested("1001", "1002", eur("20"))));
    store.append(ALICE, dev.annals.core.ExpectedVersion.any(), dev.annals.core.NewEvent.of(new TransferDebited("t1", eur("20"), "1002")));
    long middle = store.headPosition();
    store.append(T1, dev.annals.core.ExpectedVersion.any(), dev.annals.core.NewEvent.of(new SourceDebited()));
    store.append(BOB, dev.annals.core.ExpectedVersion.any(), dev.annals.core.NewEvent.of(new TransferCredited("t1", eur("20"), "1001")));
    store.append(ALICE, dev.annals.core.ExpectedVersion.any(), dev.annals.core.NewEvent.of(new Withdrawn(eur("5"))));

    for (var projector : Bank.READ_MODELS.values()) {
      try (ProjectionFixture f = ProjectionFixture.of(store, projector)) {
        f.runUntilCaughtUp();
        String before = dump(f, projector.tables().get(0));
        f.runner().replayFrom(projector.name(), middle);
        f.runUntilCaughtUp();
        assertThat(dump(f, projector.tables().get(0))).as(projector.name() + " after a replay from " + middle)
            .isEqualTo(before);
        f.reset(dev.annals.postgres.LogCursor.START);
        f.runUntilCaughtUp();
        assertThat(dump(f, projector.tables().get(0))).as(projector.name() + " after a rebuild").isEqualTo(before);
      }
    }
  }

  private static String dump(ProjectionFixture f, String table) {
    return f.query(h -> h.createQuery("SELECT * FROM " + f.view(table) + " ORDER BY 1, 2")
        .mapToMap().list()).toString();
  }
}
