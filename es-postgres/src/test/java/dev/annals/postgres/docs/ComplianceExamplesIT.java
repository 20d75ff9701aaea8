package dev.annals.postgres.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.PersonalData;
import dev.annals.core.Shredder;
import dev.annals.core.StreamId;
import dev.annals.core.SubjectForgotten;
import dev.annals.postgres.IntegrityVerifier.Scope;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.testkit.PostgresTestDatabase;
import java.security.SecureRandom;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The examples of docs/compliance.md (DocsSnippetsTest in es-testkit compares them with the
 * document); needs a PostgreSQL server.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ComplianceExamplesIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  // tag::compliance-events[]
  record CustomerRegistered(String customerId, String name, String email, String country) {}

  static final EventRegistry EVENTS = EventRegistry.builder()
      .register(CustomerRegistered.class, "CustomerRegistered",
          PersonalData.of(CustomerRegistered::customerId, "/name", "/email")
              .erasedAs("/name", "[erased]"))      // "/email" reads null once erased
      .build();
  // end::compliance-events[]

  @Test
  void a_customer_is_stored_encrypted_forgotten_and_still_verifies() {
    byte[] fromYourVault = new byte[32];
    new SecureRandom().nextBytes(fromYourVault);
    String jdbcUrl = db.jdbcUrl();
    String schema = db.schema();

    // tag::compliance-store[]
    SecretKey masterKey = new SecretKeySpec(fromYourVault, "AES"); // 256 bits, kept outside the database
    PostgresEventStore store = PostgresEventStore.builder(EVENTS)
        .jdbcUrl(jdbcUrl)
        .schema(schema)
        .installSchema(true)
        .encryptPersonalData(masterKey)
        .build();
    // end::compliance-store[]

    try (store) {
      StreamId stream = StreamId.of("customer", "c-42");
      store.append(stream, ExpectedVersion.noStream(),
          NewEvent.of(new CustomerRegistered("c-42", "Ann Smith", "ann@example.org", "NO")));
      assertThat(store.readStream(stream).get(0).payload(CustomerRegistered.class).name()).isEqualTo("Ann Smith");

      // tag::compliance-forget[]
      Shredder shredder = Shredder.builder(store)
          .snapshots(store.snapshotStore())   // discards the snapshots of the customer's streams
          .build();                           // .evicting(repository) drops cached states
      Shredder.Forgotten forgotten = shredder.forget("c-42", "dpo@example.org", "erasure request 2026-114");
      // end::compliance-forget[]

      // tag::compliance-after[]
      CustomerRegistered after = store.readStream(StreamId.of("customer", "c-42")).get(0)
          .payload(CustomerRegistered.class);
      // after: CustomerRegistered[customerId=c-42, name=[erased], email=null, country=NO]
      boolean intact = store.integrityVerifier().verify(Scope.all()).intact();   // true
      SubjectForgotten notice = store.readStream(StreamId.of(SubjectForgotten.CATEGORY, "c-42")).get(0)
          .payload(SubjectForgotten.class);   // who (by) and why (reason)
      // end::compliance-after[]

      assertThat(forgotten.keyDestroyed()).isTrue();
      assertThat(after).isEqualTo(new CustomerRegistered("c-42", "[erased]", null, "NO"));
      assertThat(intact).isTrue();
      assertThat(notice).isEqualTo(new SubjectForgotten("c-42", "dpo@example.org", "erasure request 2026-114"));
    }
  }
}
