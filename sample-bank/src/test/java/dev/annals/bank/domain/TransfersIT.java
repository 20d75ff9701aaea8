package dev.annals.bank.domain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.bank.Bank;
import dev.annals.bank.audit.MoneyAudit;
import dev.annals.bank.domain.AccountCommand.DebitForTransfer;
import dev.annals.bank.domain.AccountCommand.Deposit;
import dev.annals.bank.domain.AccountCommand.Freeze;
import dev.annals.bank.domain.AccountCommand.Open;
import dev.annals.bank.domain.AccountEvent.TransferDebited;
import dev.annals.bank.domain.TransferState.Status;
import dev.annals.bank.views.BalancesProjection;
import dev.annals.bank.views.StatementsProjection;
import dev.annals.core.AggregateRepository;
import dev.annals.core.CommandContext;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Transfers carried out by {@link TransferProcess} against a real PostgreSQL. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class TransfersIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Duration SETTLE = Duration.ofSeconds(120);

  PostgresEventStore store;
  List<Bank> banks = new ArrayList<>();

  @BeforeEach
  void newStore() {
    store = PostgresEventStore.builder(BankEvents.REGISTRY).jdbcUrl(db.jdbcUrl()).schema(db.newSchema())
        .installSchema(true).build();
  }

  @AfterEach
  void close() {
    banks.forEach(Bank::close);
    store.close();
  }

  Bank start() {
    Bank bank = Bank.start(store, "node-" + banks.size());
    banks.add(bank);
    return bank;
  }

  static Money eur(String amount) {
    return Money.of(amount, "EUR");
  }

  static void open(AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts, String id,
      String currency, String deposit) {
    accounts.handle(id, new Open("owner of " + id, Currency.getInstance(currency)), CommandContext.of("open-" + id));
    if (deposit != null) {
      accounts.handle(id, new Deposit(Money.of(deposit, currency)), CommandContext.of("seed-" + id));
    }
  }

  @Test
  void a_transfer_debits_then_credits_and_every_view_shows_it() {
    Bank bank = start();
    open(bank.accounts(), "1001", "EUR", "100");
    open(bank.accounts(), "1002", "EUR", null);

    bank.transfer("t1", "1001", "1002", eur("30"), CommandContext.of("req-t1").withActor("alice"));
    assertThat(bank.awaitSettled(SETTLE)).isTrue();

    assertThat(bank.transferStatus("t1")).hasValueSatisfying(t -> {
      assertThat(t.status()).isEqualTo(Status.COMPLETED);
      assertThat(t.amount()).isEqualTo(eur("30"));
    });
    assertThat(balances(bank)).containsEntry("1001", new BigDecimal("70.00")).containsEntry("1002", new BigDecimal("30.00"));
    assertThat(bank.statement("1001")).extracting(StatementsProjection.Line::kind, l -> l.balance().amount())
        .containsExactly(org.assertj.core.groups.Tuple.tuple("opened", new BigDecimal("0.00")),
            org.assertj.core.groups.Tuple.tuple("deposit", new BigDecimal("100.00")),
            org.assertj.core.groups.Tuple.tuple("transfer-out", new BigDecimal("70.00")));
    assertThat(bank.statement("1002").get(1).reference()).isEqualTo("transfer t1 from 1001");
    assertThat(bank.dailyTotals()).singleElement().satisfies(d -> {
      assertThat(d.transferred()).isEqualByComparingTo("30");
      assertThat(d.deposited()).isEqualByComparingTo("100");
    });
    // Every step carries the request's correlation id, so an auditor can follow the transfer.
    List<RecordedEvent> debit = store.readStream(StreamId.of("account", "1001"));
    assertThat(debit.get(debit.size() - 1).metadata().correlationId()).isEqualTo("req-t1");
  }

  @Test
  void a_refused_credit_is_compensated_by_a_refund() {
    Bank bank = start();
    open(bank.accounts(), "1001", "EUR", "100");
    open(bank.accounts(), "2001", "USD", null);
    open(bank.accounts(), "1003", "EUR", null);
    bank.handle("1003", new Freeze("dispute"), CommandContext.of("freeze-1003"));

    bank.transfer("t-usd", "1001", "2001", eur("40"), CommandContext.of("req-usd"));
    bank.transfer("t-frozen", "1001", "1003", eur("10"), CommandContext.of("req-frozen"));
    assertThat(bank.awaitSettled(SETTLE)).isTrue();

    assertThat(bank.transferStatus("t-usd")).hasValueSatisfying(t -> {
      assertThat(t.status()).isEqualTo(Status.COMPENSATED);
      assertThat(t.reason()).contains("holds USD");
    });
    assertThat(bank.transferStatus("t-frozen").orElseThrow().reason()).contains("is frozen");
    assertThat(balances(bank)).containsEntry("1001", new BigDecimal("100.00"))
        .containsEntry("2001", new BigDecimal("0.00")).containsEntry("1003", new BigDecimal("0.00"));
    assertThat(bank.statement("1001")).extracting(StatementsProjection.Line::kind)
        .containsExactlyInAnyOrder("opened", "deposit", "transfer-out", "transfer-out", "refund", "refund");
    assertThat(MoneyAudit.check(store, loadAll(bank, "1001", "2001", "1003")).atRest()).isTrue();
  }

  @Test
  void a_refused_debit_fails_the_transfer_with_nothing_moved() {
    Bank bank = start();
    open(bank.accounts(), "1001", "EUR", "10");
    open(bank.accounts(), "1002", "EUR", null);
    long accountEvents = store.readAll(0, 1000, LogFilter.categories("account")).size();

    bank.transfer("t-big", "1001", "1002", eur("500"), CommandContext.of("req-big"));
    bank.transfer("t-nobody", "1001", "9999", eur("1"), CommandContext.of("req-nobody"));
    assertThat(bank.awaitSettled(SETTLE)).isTrue();

    assertThat(bank.transferStatus("t-big")).hasValueSatisfying(t -> {
      assertThat(t.status()).isEqualTo(Status.FAILED);
      assertThat(t.reason()).contains("transfer t-big of 500.00 EUR refused").contains("110.00 EUR is available");
    });
    // An unknown target is found out at the credit, and the money comes back.
    assertThat(bank.transferStatus("t-nobody").orElseThrow().status()).isEqualTo(Status.COMPENSATED);
    assertThat(store.readAll(0, 1000, LogFilter.categories("account")).size()).isEqualTo(accountEvents + 2);
    assertThat(balances(bank)).containsEntry("1001", new BigDecimal("10.00"));
  }

  @Test
  void a_process_that_died_after_the_debit_finishes_the_transfer_without_debiting_twice() {
    // Before any bank runs: the request is stored, and the debit too, as if the process had
    // sent it and died before recording it. The source is left with no money for a second debit.
    try (AggregateRepository<AccountCommand, AccountState, AccountEvent> accounts =
            AggregateRepository.builder(Account.TYPE, store).build();
        AggregateRepository<TransferCommand, TransferState, TransferEvent> transfers =
            AggregateRepository.builder(Transfer.TYPE, store).build()) {
      open(accounts, "1001", "EUR", null);
      open(accounts, "1002", "EUR", null);
      transfers.handle("t-crash", new TransferCommand.Request("1001", "1002", eur("100")), CommandContext.of("req"));
      accounts.handle("1001", new DebitForTransfer("t-crash", eur("100"), "1002"),
          TransferProcess.step("t-crash", "debit", "req"));
    }

    Bank bank = start();
    assertThat(bank.awaitSettled(SETTLE)).isTrue();

    assertThat(bank.transferStatus("t-crash").orElseThrow().status()).isEqualTo(Status.COMPLETED);
    List<RecordedEvent> source = store.readStream(StreamId.of("account", "1001"));
    assertThat(source).filteredOn(e -> e.payload() instanceof TransferDebited).hasSize(1);
    assertThat(balances(bank)).containsEntry("1001", new BigDecimal("-100.00")).containsEntry("1002", new BigDecimal("100.00"));

    // The same event delivered again (a crash before the checkpoint moved) changes nothing.
    long head = store.headPosition();
    TransferProcess again = new TransferProcess(bank.accounts(),
        AggregateRepository.builder(Transfer.TYPE, store).cacheSize(0).build());
    for (RecordedEvent e : store.readStream(StreamId.of("transfer", "t-crash"))) {
      again.on(e, null);
    }
    assertThat(store.headPosition()).isEqualTo(head);
  }

  @Test
  void many_transfers_from_several_threads_on_two_nodes_conserve_money_and_end_at_rest() throws Exception {
    Bank first = start();
    Bank second = start();
    String[] ids = {"1001", "1002", "1003", "1004"};
    for (String id : ids) {
      open(first.accounts(), id, "EUR", "200");
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> senders = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      Bank via = t % 2 == 0 ? first : second;
      senders.add(pool.submit(() -> {
        Random random = new Random(thread);
        for (int i = 0; i < 40; i++) {
          String from = ids[random.nextInt(ids.length)];
          String to = ids[(List.of(ids).indexOf(from) + 1 + random.nextInt(ids.length - 1)) % ids.length];
          String id = "t" + thread + "-" + i;
          via.transfer(id, from, to, eur(String.valueOf(random.nextInt(1, 150))), CommandContext.of("req-" + id));
        }
        return null;
      }));
    }
    for (Future<?> f : senders) {
      f.get();
    }
    pool.shutdown();
    assertThat(first.awaitSettled(SETTLE)).isTrue();

    Map<Status, Long> byStatus = first.transfersByStatus();
    assertThat(byStatus.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(160);
    assertThat(byStatus.keySet()).allMatch(Status::isFinal);
    MoneyAudit.Report audit = MoneyAudit.check(store, loadAll(first, ids));
    assertThat(audit.conserved()).isTrue();
    assertThat(audit.atRest()).isTrue();
    assertThat(balances(first).values().stream().reduce(BigDecimal.ZERO, BigDecimal::add))
        .isEqualByComparingTo("800");
  }

  static Map<String, BigDecimal> balances(Bank bank) {
    return bank.balances().stream().collect(Collectors.toMap(BalancesProjection.Balance::account,
        b -> b.balance().amount()));
  }

  static List<AccountState> loadAll(Bank bank, String... ids) {
    List<AccountState> states = new ArrayList<>();
    for (String id : ids) {
      // The other node's appends are not in this node's cache: audit what is stored.
      bank.accounts().evict(id);
      states.add(bank.accounts().load(id).state());
    }
    return states;
  }
}
