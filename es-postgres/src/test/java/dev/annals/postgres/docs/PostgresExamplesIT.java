package dev.annals.postgres.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.Snapshot;
import dev.annals.core.SnapshotStore;
import dev.annals.core.StreamId;
import dev.annals.postgres.Anchor;
import dev.annals.postgres.IntegrityVerifier;
import dev.annals.postgres.IntegrityVerifier.Scope;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSchema;
import dev.annals.postgres.SnapshotSigning;
import dev.annals.postgres.SnapshotVerifier;
import dev.annals.testkit.ContractEvents;
import dev.annals.testkit.PostgresTestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples of docs/postgres.md (DocsSnippetsTest in es-testkit compares them with the
 * document); needs a PostgreSQL server.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class PostgresExamplesIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Test
  void the_builder_example_builds_a_working_store() throws Exception {
    EventRegistry registry = ContractEvents.registry();
    String jdbcUrl = db.jdbcUrl();
    String schema = db.schema();

    // tag::postgres-store[]
    PostgresEventStore store = PostgresEventStore.builder(registry)
        .jdbcUrl(jdbcUrl)               // or .dataSource(yourPool)
        .schema(schema)                 // default "annals"
        .poolSize(10)                   // HikariCP, only with jdbcUrl
        .maxEventSize(1024 * 1024)      // payload + metadata bytes, default 1 MiB
        .installSchema(true)            // default false: only check, fail with instructions
        .notifyInterval(Duration.ofMillis(20)) // Duration.ZERO: readers poll only
        .horizonLag(Duration.ofMillis(300))    // the horizon fence; Duration.ZERO: none
        .build();

    SnapshotStore snapshots = store.snapshotStore();
    LogReader reader = store.logReader();          // one per consuming thread
    IntegrityVerifier verifier = store.integrityVerifier();
    // end::postgres-store[]

    try (store) {
      assertThat(store.schema()).isEqualTo(schema);
      assertThat(store.headPosition()).isZero();
      assertThat(snapshots.latest(StreamId.of("order", "o-1"))).isEmpty();
      assertThat(reader).isNotNull();
      assertThat(verifier).isNotNull();
    }
  }

  @Test
  void the_anchor_example_takes_signs_keeps_and_compares_an_anchor(@TempDir Path dir) throws Exception {
    KeyPair keys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Path privateKeyFile = Files.write(dir.resolve("anchor-key.der"), keys.getPrivate().getEncoded());
    Path publicKeyFile = Files.write(dir.resolve("anchor-key.pub.der"), keys.getPublic().getEncoded());
    Path anchorFile = dir.resolve("anchor.jsonl");
    String schema = db.newSchema();
    try (PostgresEventStore store = PostgresEventStore.builder(ContractEvents.registry()).jdbcUrl(db.jdbcUrl())
        .schema(schema).installSchema(true).build()) {
      store.append(StreamId.of("order", "o-1"), ExpectedVersion.noStream(),
          NewEvent.of(new ContractEvents.ItemAdded("tea", 2)));
      DataSource dataSource = store.dataSource();

      // tag::postgres-anchor[]
      IntegrityVerifier verifier = IntegrityVerifier.of(dataSource, schema); // or store.integrityVerifier()
      Anchor anchor = verifier.anchor().signedWith(Anchor.readPrivateKey(privateKeyFile));
      anchor.write(anchorFile);                        // then keep it somewhere else

      // Later, anywhere:
      Anchor kept = Anchor.read(anchorFile);           // refuses a file whose digest does not match
      kept.verifySignature(Anchor.readPublicKey(publicKeyFile));
      IntegrityVerifier.Report chains = verifier.verify(Scope.all());
      IntegrityVerifier.Report heads = verifier.compare(kept);
      // end::postgres-anchor[]

      assertThat(chains.intact()).isTrue();
      assertThat(heads.intact()).isTrue();
      assertThat(kept.heads()).hasSize(1);
      assertThat(kept.signed()).isTrue();
    }
  }

  /** The state of a cart: how many items it holds. */
  record Cart(int items) {}

  static final AggregateType<Object, Cart, Object> CART = AggregateType.builder("cart", Object.class,
          Decider.<Object, Cart, Object>of(() -> new Cart(0),
              (cart, e) -> e instanceof ContractEvents.ItemAdded a ? new Cart(cart.items() + a.quantity()) : cart,
              (command, cart) -> List.of()))
      .snapshots(Cart.class, 1).build();

  @Test
  void the_signing_example_signs_snapshots_and_verifies_them_against_a_replay() {
    EventRegistry registry = ContractEvents.registry();
    String jdbcUrl = db.jdbcUrl();
    String schema = db.newSchema();
    PostgresSchema.install(db.dataSource(), schema);
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);

    // tag::snapshot-signing[]
    PostgresEventStore store = PostgresEventStore.builder(registry)
        .jdbcUrl(jdbcUrl)
        .schema(schema)
        .snapshotSigning(SnapshotSigning.hmacSha256(key))   // 32 bytes or more, never in the database
        .build();

    SnapshotVerifier.Report report = store.snapshotVerifier().verify(CART);
    for (SnapshotVerifier.Finding f : report.findings()) {
      System.out.println(f.streamId() + " version " + f.version() + ": " + f.kind() + " (" + f.detail() + ")");
    }
    // end::snapshot-signing[]

    try (store) {
      assertThat(report.intact()).isTrue();
      StreamId cart = CART.streamId("c-1");
      store.append(cart, ExpectedVersion.noStream(), List.of(NewEvent.of(new ContractEvents.ItemAdded("pen", 2)),
          NewEvent.of(new ContractEvents.ItemAdded("ink", 1))));
      store.snapshotStore().save(new Snapshot(cart, 2, 1, registry.toJson(new Cart(3)), Instant.now()));
      assertThat(store.snapshotStore().latest(cart)).map(Snapshot::version).contains(2L);
      assertThat(store.snapshotVerifier().verify(CART).snapshotsChecked()).isEqualTo(1);
      assertThat(store.snapshotVerifier().verify(CART).intact()).isTrue();
    }
  }
}
