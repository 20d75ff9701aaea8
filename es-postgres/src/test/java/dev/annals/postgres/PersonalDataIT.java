package dev.annals.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.PersonalData;
import dev.annals.core.PersonalDataException;
import dev.annals.core.RecordedEvent;
import dev.annals.core.Shredder;
import dev.annals.core.StreamId;
import dev.annals.core.SubjectForgotten;
import dev.annals.core.SubjectForgottenException;
import dev.annals.testkit.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PersonalDataIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  sealed interface Event {}

  record Joined(String memberId, String name) implements Event {}

  record Renamed(String memberId, String name) implements Event {}

  record Visited(int times) implements Event {}

  record Visit(String memberId, String name) {}

  record Member(String name, int visits) {}

  static final EventRegistry EVENTS = EventRegistry.builder()
      .register(Joined.class, "Joined", PersonalData.of(Joined::memberId, "/name").erasedAs("/name", "[erased]"))
      .register(Renamed.class, "Renamed", PersonalData.of(Renamed::memberId, "/name").erasedAs("/name", "[erased]"))
      .register(Visited.class, "Visited")
      .build();

  static final AggregateType<Visit, Member, Event> MEMBER = AggregateType
      .builder("member", Event.class, Decider.<Visit, Member, Event>of(() -> new Member(null, 0),
          (m, e) -> e instanceof Joined j ? new Member(j.name(), m.visits())
              : e instanceof Renamed r ? new Member(r.name(), m.visits())
              : new Member(m.name(), m.visits() + ((Visited) e).times()),
          (c, m) -> m.name() == null ? List.of(new Joined(c.memberId(), c.name()), new Visited(1))
              : List.of(new Visited(1))))
      .snapshots(Member.class, 1).snapshotEvery(2).build();

  static final SecretKey MASTER = new SecretKeySpec(new byte[32], "AES");

  HikariDataSource pool;
  String schema;
  PostgresEventStore store;

  @BeforeEach
  void open() {
    pool = Pools.pool(db, 4);
    schema = db.newSchema();
    store = PostgresEventStore.builder(EVENTS).dataSource(pool).schema(schema).installSchema(true)
        .encryptPersonalData(MASTER).subjectKeyCache(Duration.ZERO).build();
  }

  @AfterEach
  void close() {
    store.close();
    pool.close();
  }

  private void asOwner(String sql) throws SQLException {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.execute(sql.replace("${s}", schema));
    }
  }

  private String stored(String streamId, long version) {
    return store.jdbi().withHandle(h -> h.createQuery("SELECT payload::text FROM " + schema
        + ".events WHERE stream_id = :s AND version = :v").bind("s", streamId).bind("v", version)
        .mapTo(String.class).one());
  }

  /** The log's first event as the gap-safe reader gives it, once the reader may see it. */
  private StoredEvent firstInLog() throws InterruptedException {
    LogReader reader = store.logReader();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      LogBatch batch = reader.read(LogCursor.START, 1);
      if (!batch.isEmpty()) {
        return batch.events().get(0);
      }
      assertThat(System.nanoTime()).as("the reader sees the first event within a minute").isLessThan(deadline);
      reader.awaitEvents(Duration.ofMillis(200));
    }
  }

  private boolean intact() {
    return store.integrityVerifier().verify(IntegrityVerifier.Scope.all()).intact();
  }

  @Nested
  class Round_trips {

    @Test
    void names_are_stored_encrypted_and_every_read_decrypts_them() throws InterruptedException {
      StreamId s = StreamId.of("member", "m-1");
      store.append(s, ExpectedVersion.noStream(), List.of(NewEvent.of(new Joined("m-1", "Ann Smith")),
          NewEvent.of(new Visited(2))));
      assertThat(stored("member-m-1", 1)).doesNotContain("Ann").contains("annals:pii").contains("m-1");
      assertThat(stored("member-m-1", 2)).isEqualTo("{\"times\": 2}");

      Joined ann = new Joined("m-1", "Ann Smith");
      assertThat(store.readStream(s).get(0).payload()).isEqualTo(ann);
      assertThat(store.readPayloads(s, 1, 10)).containsExactly(ann, new Visited(2));
      assertThat(store.readStreamBackward(s, 1, 1).get(0).payload()).isEqualTo(ann);
      RecordedEvent first = store.readAll(0, 10).get(0);
      assertThat(first.payload()).isEqualTo(ann);
      assertThat(store.readEvent(first.eventId()).orElseThrow().payload()).isEqualTo(ann);
      assertThat(firstInLog().decode(store.registry()).payload()).isEqualTo(ann);
      assertThat(intact()).isTrue();
    }

    @Test
    void keys_are_stored_wrapped_by_the_master_key() {
      store.append(StreamId.of("member", "m-1"), ExpectedVersion.noStream(), NewEvent.of(new Joined("m-1", "Ann")));
      String key = store.jdbi().withHandle(h -> h.createQuery("SELECT octet_length(data_key) || ' ' || wrapped FROM "
          + schema + ".subject_keys WHERE subject = 'm-1'").mapTo(String.class).one());
      assertThat(key).isEqualTo("60 true");
    }

    @Test
    void a_store_refuses_to_start_when_its_registry_declares_personal_data_but_nothing_encrypts_it() {
      assertThatThrownBy(() -> PostgresEventStore.builder(EVENTS).dataSource(pool).schema(schema).build())
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("encryptPersonalData");
    }
  }

  @Nested
  class Forgetting {

    @Test
    void a_forgotten_member_loads_replays_and_verifies_with_the_name_erased() throws InterruptedException {
      try (AggregateRepository<Visit, Member, Event> members = AggregateRepository.builder(MEMBER, store)
          .snapshotStore(store.snapshotStore()).snapshotExecutor(Runnable::run).build()) {
        members.handle("m-1", new Visit("m-1", "Ann Smith"));
        members.handle("m-1", new Visit("m-1", "Ann Smith"));
        members.handle("m-2", new Visit("m-2", "Bob Jones"));
        StreamId m1 = StreamId.of("member", "m-1");
        assertThat(members.load("m-1").state()).as("cached").isEqualTo(new Member("Ann Smith", 2));
        assertThat(store.snapshotStore().latest(m1)).as("snapshot taken").isPresent();
        List<RecordedEvent> before = store.readAll(0, 100);

        Shredder.Forgotten forgotten = Shredder.builder(store).snapshots(store.snapshotStore())
            .evicting(members).build().forget("m-1", "dpo@example.org", "request 7");

        assertThat(forgotten.keyDestroyed()).isTrue();
        assertThat(forgotten.streams()).containsExactly(m1);
        assertThat(store.snapshotStore().latest(m1)).as("snapshot discarded").isEmpty();
        assertThat(store.snapshotStore().latest(StreamId.of("member", "m-2"))).as("others kept").isPresent();
        assertThat(members.load("m-1").state()).as("cache dropped, replayed")
            .isEqualTo(new Member("[erased]", 2));
        assertThat(members.load("m-2").state().name()).isEqualTo("Bob Jones");
        assertThat(store.readPayloads(m1, 1, 10)).first().isEqualTo(new Joined("m-1", "[erased]"));
        assertThat(firstInLog().decode(store.registry()).payload()).isEqualTo(new Joined("m-1", "[erased]"));
        assertThat(stored("member-m-1", 1)).as("ciphertext kept").contains("annals:pii");
        assertThat(intact()).as("the chain covers the ciphertext").isTrue();
        assertThat(store.readAll(0, 100)).hasSize(before.size() + 1);
        RecordedEvent notice = store.readStream(StreamId.of(SubjectForgotten.CATEGORY, "m-1")).get(0);
        assertThat(notice.payload()).isEqualTo(new SubjectForgotten("m-1", "dpo@example.org", "request 7"));
        boolean keyGone = store.jdbi().withHandle(h -> h.createQuery("SELECT data_key IS NULL AND forgotten_at IS NOT NULL FROM "
            + schema + ".subject_keys WHERE subject = 'm-1'").mapTo(Boolean.class).one());
        assertThat(keyGone).isTrue();

        assertThatThrownBy(() -> store.append(m1, ExpectedVersion.any(), NewEvent.of(new Renamed("m-1", "Ann B."))))
            .isInstanceOf(SubjectForgottenException.class);
        members.handle("m-1", new Visit("m-1", "ignored"));
        assertThat(members.load("m-1").state()).isEqualTo(new Member("[erased]", 3));
      }
    }

    @Test
    void a_subject_forgotten_before_any_data_gets_no_key_later() {
      assertThat(store.registry().subjectKeys().orElseThrow().destroy("m-9")).isFalse();
      assertThatThrownBy(() -> store.append(StreamId.of("member", "m-9"), ExpectedVersion.any(),
          NewEvent.of(new Joined("m-9", "Zed")))).isInstanceOf(SubjectForgottenException.class);
    }
  }

  @Nested
  class Tampering {

    @Test
    void a_forged_key_row_is_detected_not_decrypted() throws SQLException {
      StreamId s = StreamId.of("member", "m-1");
      store.append(s, ExpectedVersion.noStream(), NewEvent.of(new Joined("m-1", "Ann")));
      asOwner("UPDATE ${s}.subject_keys SET data_key = decode(repeat('ab', 60), 'hex') WHERE subject = 'm-1'");
      assertThatThrownBy(() -> store.readStream(s)).isInstanceOf(PersonalDataException.class)
          .hasMessageContaining("does not unwrap");
      assertThatThrownBy(() -> store.append(s, ExpectedVersion.any(), NewEvent.of(new Renamed("m-1", "Ann B."))))
          .as("nothing new is stored under a forged key").isInstanceOf(PersonalDataException.class)
          .hasMessageContaining("cannot be used");
      assertThat(store.streamVersion(s)).isEqualTo(1);
    }

    @Test
    void key_rows_swapped_between_subjects_are_detected() throws SQLException {
      store.append(StreamId.of("member", "m-1"), ExpectedVersion.noStream(), NewEvent.of(new Joined("m-1", "Ann")));
      store.append(StreamId.of("member", "m-2"), ExpectedVersion.noStream(), NewEvent.of(new Joined("m-2", "Bob")));
      asOwner("UPDATE ${s}.subject_keys k SET data_key = o.data_key FROM ${s}.subject_keys o "
          + "WHERE k.subject <> o.subject");
      assertThatThrownBy(() -> store.readStream(StreamId.of("member", "m-1")))
          .isInstanceOf(PersonalDataException.class).hasMessageContaining("forged or swapped");
    }

    @Test
    void an_unwrapped_key_row_is_refused_when_a_master_key_is_configured() throws SQLException {
      store.append(StreamId.of("member", "m-1"), ExpectedVersion.noStream(), NewEvent.of(new Joined("m-1", "Ann")));
      asOwner("UPDATE ${s}.subject_keys SET data_key = decode(repeat('ab', 32), 'hex'), wrapped = false");
      assertThatThrownBy(() -> store.readStream(StreamId.of("member", "m-1")))
          .isInstanceOf(PersonalDataException.class).hasMessageContaining("unwrapped");
    }

    @Test
    void ciphertext_moved_to_another_event_is_detected() throws SQLException {
      StreamId s = StreamId.of("member", "m-1");
      store.append(s, ExpectedVersion.noStream(), NewEvent.of(new Joined("m-1", "Ann")));
      store.append(s, ExpectedVersion.exactly(1), NewEvent.of(new Renamed("m-1", "Ann Smith")));
      asOwner("ALTER TABLE ${s}.events DISABLE TRIGGER events_append_only");
      asOwner("UPDATE ${s}.events e SET payload = jsonb_set(e.payload, '{name}', o.payload->'name') "
          + "FROM ${s}.events o WHERE e.version = 2 AND o.version = 1 AND e.stream_id = o.stream_id");
      asOwner("ALTER TABLE ${s}.events ENABLE TRIGGER events_append_only");
      assertThat(store.readStream(s, 1, 1).get(0).payload()).isEqualTo(new Joined("m-1", "Ann"));
      assertThatThrownBy(() -> store.readStream(s, 2, 1)).isInstanceOf(PersonalDataException.class)
          .hasMessageContaining("moved from another event");
      assertThat(intact()).as("the chain finds the change too").isFalse();
    }

    @Test
    void the_application_role_cannot_forge_or_swap_key_rows() throws SQLException {
      String app = "shred_app_" + schema;
      asOwner("DO $$ BEGIN CREATE ROLE " + app + " LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
      PostgresSchema.grantApplicationRole(pool, schema, app);
      for (String sql : List.of("UPDATE ${s}.subject_keys SET data_key = NULL",
          "DELETE FROM ${s}.subject_keys", "DELETE FROM ${s}.snapshots")) {
        assertThatThrownBy(() -> asOwner("SET ROLE " + app + "; " + sql)).as(sql)
            .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("42501"));
      }
      asOwner("SET ROLE " + app + "; SELECT ${s}.forget_subject('m-5'); SELECT ${s}.discard_snapshots('member-m-5')");
    }
  }
}
