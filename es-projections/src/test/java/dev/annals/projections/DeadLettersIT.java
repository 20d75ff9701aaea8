package dev.annals.projections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.LogFilter;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Poison events: retried with backoff, then parked; the policy decides what happens next. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class DeadLettersIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final StreamId A1 = Bank.account(1);
  static final StreamId A2 = Bank.account(2);

  String schema;
  PostgresEventStore store;
  /** Set to make the handler accept frozen accounts: the "deployed fix". */
  final AtomicBoolean fixed = new AtomicBoolean();
  final Map<UUID, Integer> tries = new ConcurrentHashMap<>();

  @BeforeEach
  void newStore() {
    schema = db.newSchema();
    store = Bank.store(db, schema, 4, "dead");
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** Records each event in {@code entries}; fails on {@link Bank.Frozen} until fixed. */
  Projector ledger(FailurePolicy policy) {
    return Projector.builder("ledger")
        .filter(LogFilter.categories("account"))
        .onFailure(policy)
        .retries(3, Duration.ofMillis(1), Duration.ofMillis(4))
        .tables("entries")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("entries") + " (seq bigserial, "
            + "event_id uuid PRIMARY KEY, stream text NOT NULL, version bigint NOT NULL)"))
        .handler((event, ctx) -> {
          tries.merge(event.eventId(), 1, Integer::sum);
          if (event.payload() instanceof Bank.Frozen f && !fixed.get()) {
            throw new IllegalStateException("cannot project a frozen account yet: " + f.reason());
          }
          ctx.handle().execute("INSERT INTO " + ctx.table("entries") + " (event_id, stream, version) VALUES (?, ?, ?)",
              event.eventId(), event.streamId().toString(), event.version());
        })
        .build();
  }

  UUID append(StreamId stream, Object payload) {
    NewEvent e = NewEvent.of(payload);
    store.append(stream, ExpectedVersion.any(), e);
    return e.eventId();
  }

  /** The entries, in the order they were applied, as stream:version. */
  List<String> entries() {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT stream || ':' || version FROM " + schema
        + ".entries ORDER BY seq").mapTo(String.class).list());
  }

  @Nested
  class With_policy_STOP {

    @Test
    void a_poison_event_is_tried_again_then_halts_its_partition_before_it() {
      append(A1, new Bank.Deposited(1));
      append(A1, new Bank.Deposited(2));
      UUID poison = append(A1, new Bank.Frozen("court order"));
      append(A2, new Bank.Deposited(3));
      try (ProjectionRunner runner = Bank.runner(store, "a", ledger(FailurePolicy.STOP)).build()) {
        runner.catchUp("ledger");

        assertThat(tries.get(poison)).as("tries of the poison event").isEqualTo(3);
        assertThat(entries()).as("applied: only what came before it").containsExactly("account-a1:1", "account-a1:2");
        DeadLetter dl = runner.deadLetters("ledger").get(0);
        assertThat(runner.deadLetters("ledger")).hasSize(1);
        assertThat(dl.status()).isEqualTo(DeadLetter.Status.HALTED);
        assertThat(dl.eventId()).isEqualTo(poison);
        assertThat(dl.attempts()).isEqualTo(3);
        assertThat(dl.streamId()).isEqualTo(A1);
        assertThat(dl.streamVersion()).isEqualTo(3);
        assertThat(dl.type()).isEqualTo("Frozen");
        assertThat(dl.error()).contains("IllegalStateException", "cannot project a frozen account yet: court order");
        assertThat(dl.stackTrace()).contains("at dev.annals.projections");
        ProjectionStatus status = runner.status("ledger").get(0);
        assertThat(status.health().state()).isEqualTo(ProjectorState.FAILED);
        assertThat(status.health().lastError()).get().extracting(ProjectionStatus.LastError::message).asString().contains("failed after 3 tries", poison.toString());
        assertThat(status.position().cursor().position()).as("checkpoint stays before the poison event")
            .isEqualTo(dl.position() - 1);
        assertThatThrownBy(() -> runner.catchUp("ledger")).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("partition 0 is FAILED");

        fixed.set(true);
        RetryResult result = runner.retry(dl.id());
        assertThat(result.succeeded()).isTrue();
        assertThat(result.resolved()).extracting(DeadLetter::status).containsExactly(DeadLetter.Status.RESOLVED);
        runner.catchUp("ledger");
        assertThat(entries()).containsExactly("account-a1:1", "account-a1:2", "account-a1:3", "account-a2:1");
        assertThat(runner.deadLetters("ledger")).isEmpty();
      }
    }

    @Test
    void resuming_a_failed_projector_after_the_fix_processes_the_poison_event_and_goes_on() {
      UUID poison = append(A1, new Bank.Frozen("audit"));
      append(A1, new Bank.Deposited(2));
      try (ProjectionRunner runner = Bank.runner(store, "a", ledger(FailurePolicy.STOP)).build()) {
        runner.start();
        Bank.await("the projector fails", Duration.ofSeconds(30),
            () -> runner.status("ledger").get(0).health().state() == ProjectorState.FAILED);
        fixed.set(true);
        runner.resume("ledger");
        assertThat(runner.awaitCaughtUp("ledger", Duration.ofSeconds(30))).isTrue();
        assertThat(entries()).containsExactly("account-a1:1", "account-a1:2");
        assertThat(runner.deadLetters("ledger")).as("the halted dead letter is resolved").isEmpty();
        assertThat(tries.get(poison)).isEqualTo(4);
      }
    }
  }

  @Nested
  class With_policy_CONTINUE {

    @Test
    void a_poison_event_is_parked_the_projector_goes_on_and_its_stream_waits_behind_it() {
      append(A1, new Bank.Deposited(1));
      UUID poison = append(A1, new Bank.Frozen("fraud check"));
      append(A1, new Bank.Deposited(3));
      append(A2, new Bank.Deposited(1));
      append(A1, new Bank.Deposited(4));
      append(A2, new Bank.Deposited(2));
      try (ProjectionRunner runner = Bank.runner(store, "a", ledger(FailurePolicy.CONTINUE)).build()) {
        runner.catchUp("ledger");

        assertThat(entries()).containsExactly("account-a1:1", "account-a2:1", "account-a2:2");
        List<DeadLetter> dead = runner.deadLetters("ledger");
        assertThat(dead).extracting(DeadLetter::streamVersion, DeadLetter::status).containsExactly(
            org.assertj.core.groups.Tuple.tuple(2L, DeadLetter.Status.PARKED),
            org.assertj.core.groups.Tuple.tuple(3L, DeadLetter.Status.BLOCKED),
            org.assertj.core.groups.Tuple.tuple(4L, DeadLetter.Status.BLOCKED));
        assertThat(dead.get(0).eventId()).isEqualTo(poison);
        assertThat(dead.get(0).attempts()).isEqualTo(3);
        assertThat(dead.get(1).error()).contains("blocked", "id " + dead.get(0).id());
        assertThat(runner.status("ledger").get(0).health().openDeadLetters()).isEqualTo(3);

        assertThatThrownBy(() -> runner.retry(dead.get(1).id())).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("waits behind dead letter " + dead.get(0).id())
            .hasMessageContaining("retry or discard that one first");

        append(A1, new Bank.Deposited(5));
        runner.catchUp("ledger");
        assertThat(runner.deadLetters("ledger")).as("a later event of the stream waits too").hasSize(4);

        fixed.set(true);
        RetryResult result = runner.retry(dead.get(0).id());
        assertThat(result.succeeded()).isTrue();
        assertThat(result.resolved()).extracting(DeadLetter::streamVersion).containsExactly(2L, 3L, 4L, 5L);
        assertThat(entries()).containsExactly("account-a1:1", "account-a2:1", "account-a2:2",
            "account-a1:2", "account-a1:3", "account-a1:4", "account-a1:5");

        append(A1, new Bank.Deposited(6));
        runner.catchUp("ledger");
        assertThat(entries()).endsWith("account-a1:6");
        assertThat(runner.deadLetters("ledger")).isEmpty();
      }
    }

    @Test
    void retrying_while_the_projector_runs_and_the_stream_grows_keeps_the_stream_in_order() throws Exception {
      append(A1, new Bank.Deposited(1));
      append(A1, new Bank.Frozen("hold"));
      append(A1, new Bank.Deposited(3));
      try (ProjectionRunner runner = Bank.runner(store, "a", ledger(FailurePolicy.CONTINUE)).build()) {
        runner.start();
        Bank.await("the poison event and its follower are dead letters", Duration.ofSeconds(30),
            () -> runner.deadLetters("ledger").size() == 2);
        Thread writer = new Thread(() -> {
          for (int i = 0; i < 40; i++) {
            append(A1, new Bank.Deposited(i));
          }
        }, "writer");
        writer.start();
        fixed.set(true);
        RetryResult result = runner.retry(runner.deadLetters("ledger").get(0).id());
        writer.join();
        assertThat(result.succeeded()).isTrue();
        assertThat(runner.awaitCaughtUp("ledger", Duration.ofSeconds(30))).isTrue();
        assertThat(runner.deadLetters("ledger")).as("events blocked while the retry ran are retried with it")
            .isEmpty();
      }
      List<String> expected = new java.util.ArrayList<>();
      for (int v = 1; v <= 43; v++) {
        expected.add("account-a1:" + v);
      }
      assertThat(entries()).as("the stream, in the order it was applied").isEqualTo(expected);
    }

    @Test
    void a_retry_that_fails_again_keeps_the_event_parked_with_the_new_error() {
      append(A1, new Bank.Frozen("still broken"));
      append(A1, new Bank.Deposited(2));
      try (ProjectionRunner runner = Bank.runner(store, "a", ledger(FailurePolicy.CONTINUE)).build()) {
        runner.catchUp("ledger");
        DeadLetter parked = runner.deadLetters("ledger").get(0);
        RetryResult result = runner.retry(parked.id());
        assertThat(result.succeeded()).isFalse();
        assertThat(result.resolved()).isEmpty();
        assertThat(result.stillFailing()).get().satisfies(d -> {
          assertThat(d.status()).isEqualTo(DeadLetter.Status.PARKED);
          assertThat(d.attempts()).isEqualTo(4);
        });
        assertThat(runner.deadLetters("ledger")).extracting(DeadLetter::status)
            .containsExactly(DeadLetter.Status.PARKED, DeadLetter.Status.BLOCKED);
        assertThat(entries()).isEmpty();
      }
    }

    @Test
    void discarding_a_parked_event_leaves_its_followers_blocked_until_they_are_retried() {
      append(A1, new Bank.Frozen("gone"));
      append(A1, new Bank.Deposited(2));
      try (ProjectionRunner runner = Bank.runner(store, "a", ledger(FailurePolicy.CONTINUE)).build()) {
        runner.catchUp("ledger");
        List<DeadLetter> dead = runner.deadLetters("ledger");
        runner.discard(dead.get(0).id());
        assertThatThrownBy(() -> runner.discard(dead.get(0).id())).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("is DISCARDED");
        append(A1, new Bank.Deposited(3));
        runner.catchUp("ledger");
        assertThat(runner.deadLetters("ledger")).extracting(DeadLetter::streamVersion, DeadLetter::status)
            .containsExactly(org.assertj.core.groups.Tuple.tuple(2L, DeadLetter.Status.BLOCKED),
                org.assertj.core.groups.Tuple.tuple(3L, DeadLetter.Status.BLOCKED));
        assertThat(runner.retry(dead.get(1).id()).resolved()).hasSize(2);
        assertThat(entries()).containsExactly("account-a1:2", "account-a1:3");
        assertThatThrownBy(() -> runner.retry(424242)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("no dead letter with id 424242");
      }
    }

    @Test
    void an_event_of_an_unknown_type_is_parked_at_once_with_a_clear_error_never_skipped() {
      record Audited(String by) {}
      EventRegistry newer = EventRegistry.builder()
          .register(Bank.Deposited.class, "Deposited").register(Bank.Withdrawn.class, "Withdrawn")
          .register(Bank.Frozen.class, "Frozen").register(Audited.class, "Audited").build();
      PostgresEventStore newerStore = store.withRegistry(newer);
      newerStore.append(A1, ExpectedVersion.any(), NewEvent.of(new Audited("auditor")));
      append(A1, new Bank.Deposited(2));
      append(A2, new Bank.Deposited(1));
      try (ProjectionRunner runner = Bank.runner(store, "a", ledger(FailurePolicy.CONTINUE)).build()) {
        runner.catchUp("ledger");
        List<DeadLetter> dead = runner.deadLetters("ledger");
        assertThat(dead).extracting(DeadLetter::status)
            .containsExactly(DeadLetter.Status.PARKED, DeadLetter.Status.BLOCKED);
        assertThat(dead.get(0).attempts()).as("no point in trying again with the same registry").isEqualTo(1);
        assertThat(dead.get(0).error()).contains("UnknownEventTypeException", "unknown event type 'Audited'");
        assertThat(entries()).containsExactly("account-a2:1");
      }
      // The application learns the type (a new release); retrying now works.
      try (ProjectionRunner upgraded = Bank.runner(newerStore, "b", ledger(FailurePolicy.CONTINUE)).build()) {
        RetryResult result = upgraded.retry(upgraded.deadLetters("ledger").get(0).id());
        assertThat(result.resolved()).hasSize(2);
        assertThat(entries()).containsExactly("account-a2:1", "account-a1:1", "account-a1:2");
      }
    }
  }

  @Nested
  class For_side_effects {

    record Call(UUID key, UUID eventId, int attempt) {}

    @Test
    void a_failing_side_effect_is_tried_again_with_the_same_idempotency_key_then_parked() {
      UUID flaky = append(A1, new Bank.Deposited(1));
      UUID poison = append(A2, new Bank.Frozen("no mail"));
      append(A2, new Bank.Deposited(2));
      UUID fine = append(A1, new Bank.Deposited(3));
      List<Call> calls = new CopyOnWriteArrayList<>();
      Projector mailer = Projector.sideEffects("mailer")
          .filter(LogFilter.categories("account"))
          .onFailure(FailurePolicy.CONTINUE)
          .retries(3, Duration.ofMillis(1), Duration.ofMillis(4))
          .handler((event, ctx) -> {
            calls.add(new Call(ctx.idempotencyKey(), event.eventId(), ctx.attempt()));
            if (event.eventId().equals(flaky) && ctx.attempt() < 3) {
              throw new IllegalStateException("mail server busy");
            }
            if (event.payload() instanceof Bank.Frozen) {
              throw new IllegalStateException("no mail for frozen accounts");
            }
          })
          .build();
      try (ProjectionRunner runner = Bank.runner(store, "a", mailer).build()) {
        runner.catchUp("mailer");
        assertThat(calls).allSatisfy(c -> assertThat(c.key()).isEqualTo(c.eventId()));
        assertThat(calls.stream().filter(c -> c.eventId().equals(flaky)).map(Call::attempt))
            .containsExactly(1, 2, 3);
        assertThat(calls.stream().filter(c -> c.eventId().equals(poison)).map(Call::attempt))
            .containsExactly(1, 2, 3);
        assertThat(calls.stream().filter(c -> c.eventId().equals(fine))).hasSize(1);
        assertThat(runner.deadLetters("mailer")).extracting(DeadLetter::streamId, DeadLetter::status)
            .containsExactly(org.assertj.core.groups.Tuple.tuple(A2, DeadLetter.Status.PARKED),
                org.assertj.core.groups.Tuple.tuple(A2, DeadLetter.Status.BLOCKED));
        assertThat(runner.status("mailer").get(0).isCaughtUp()).isTrue();
      }
    }
  }
}
