package dev.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.AggregateRepository;
import dev.annals.core.AggregateType;
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.core.InMemoryEventStore;
import dev.annals.core.InMemorySnapshotStore;
import dev.annals.core.SnapshotStore;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.postgres.PostgresSnapshotStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.spring.boot.Wallets.Deposit;
import dev.annals.spring.boot.Wallets.Issue;
import dev.annals.spring.boot.Wallets.Ticket;
import dev.annals.spring.boot.Wallets.TicketCommand;
import dev.annals.spring.boot.Wallets.TicketEvent;
import dev.annals.spring.boot.Wallets.Wallet;
import dev.annals.spring.boot.Wallets.WalletCommand;
import dev.annals.spring.boot.Wallets.WalletEvent;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The starter in application contexts on the real PostgreSQL: which beans it creates, which it
 * leaves to the application, repositories end to end, and projectors started with the context.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class StarterIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  @Configuration(proxyBeanMethods = false)
  static class Application {
    @Bean
    EventRegistry registry() {
      return Wallets.REGISTRY;
    }

    @Bean
    AggregateType<WalletCommand, Wallet, WalletEvent> wallet() {
      return Wallets.walletType(2);
    }

    @Bean
    AggregateType<TicketCommand, Ticket, TicketEvent> ticket() {
      return Wallets.ticketType();
    }

    @Bean
    Projector balances() {
      return Wallets.balances();
    }
  }

  /** Uses the repositories by their generic types, as application code does. */
  static class Teller {
    @Autowired
    AggregateRepository<WalletCommand, Wallet, WalletEvent> wallets;
    @Autowired
    AggregateRepository<TicketCommand, Ticket, TicketEvent> tickets;
  }

  @Configuration(proxyBeanMethods = false)
  static class WithTeller {
    @Bean
    Teller teller() {
      return new Teller();
    }
  }

  @Test
  void creates_the_stores_a_repository_per_aggregate_type_the_runner_and_its_lifecycle() {
    StarterContexts.on(db, db.newSchema()).withUserConfiguration(Application.class, WithTeller.class).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).hasSingleBean(PostgresEventStore.class).hasSingleBean(PostgresSnapshotStore.class)
          .hasSingleBean(ProjectionRunner.class).hasSingleBean(ProjectionRunnerLifecycle.class)
          .hasBean("annalsHealthContributor");
      assertThat(context.getBeansOfType(AggregateRepository.class)).containsOnlyKeys("walletRepository",
          "ticketRepository");
      Teller teller = context.getBean(Teller.class);
      assertThat(teller.wallets.type().category()).isEqualTo("wallet");
      assertThat(teller.tickets.type().category()).isEqualTo("ticket");
      assertThat(context.getBean(ProjectionRunnerLifecycle.class).projectors()).containsExactly("balances");
    });
  }

  @Test
  void a_repository_handles_commands_end_to_end_with_snapshots_in_the_configured_schema() {
    String schema = db.newSchema();
    StarterContexts.on(db, schema).withUserConfiguration(Application.class, WithTeller.class).run(context -> {
      Teller teller = context.getBean(Teller.class);
      teller.wallets.handle("w-1", new Deposit(250));
      teller.wallets.handle("w-1", new Deposit(100));
      teller.tickets.handle("t-1", new Issue("broken lamp"));

      assertThat(teller.wallets.load("w-1").state()).isEqualTo(new Wallet(350));
      PostgresEventStore store = context.getBean(PostgresEventStore.class);
      assertThat(store.schema()).isEqualTo(schema);
      assertThat(store.streamVersion(StreamId.of("wallet", "w-1"))).isEqualTo(2);
      assertThat(store.readStream(StreamId.of("ticket", "t-1"), 1, 10)).hasSize(1);
      // Every second event, written off the command path.
      SnapshotStore snapshots = context.getBean(SnapshotStore.class);
      Await.until("a snapshot of w-1 at version 2", Duration.ofSeconds(30),
          () -> snapshots.latest(StreamId.of("wallet", "w-1")).filter(s -> s.version() == 2).isPresent());
    });
  }

  @Test
  void projectors_start_with_the_context_and_stop_with_it() {
    String schema = db.newSchema();
    ProjectionRunner[] runner = new ProjectionRunner[1];
    StarterContexts.on(db, schema).withUserConfiguration(Application.class, WithTeller.class).run(context -> {
      Teller teller = context.getBean(Teller.class);
      teller.wallets.handle("w-1", new Deposit(250));
      teller.wallets.handle("w-2", new Deposit(40));
      PostgresEventStore store = context.getBean(PostgresEventStore.class);
      Await.until("the balances read model to show both wallets", Duration.ofSeconds(60),
          () -> balance(store, schema, "w-1").equals(Optional.of(250L))
              && balance(store, schema, "w-2").equals(Optional.of(40L)));
      runner[0] = context.getBean(ProjectionRunner.class);
      assertThat(context.getBean(ProjectionRunnerLifecycle.class).isRunning()).isTrue();
    });
    // The context is closed: its node gave its lease up.
    try (PostgresEventStore store = PostgresEventStore.builder(Wallets.REGISTRY).dataSource(db.dataSource())
        .schema(schema).build();
        ProjectionRunner reader = ProjectionRunner.builder(store).projector(Wallets.balances()).build()) {
      assertThat(reader.status("balances")).isNotEmpty().allSatisfy(s -> assertThat(s.lease()).as("lease after close").isEmpty());
    }
  }

  static Optional<Long> balance(PostgresEventStore store, String schema, String wallet) {
    return store.withHandle("read balances", h -> h.createQuery("SELECT cents FROM " + schema
        + ".balances WHERE wallet = :w").bind("w", wallet).mapTo(Long.class).findOne());
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    @Bean
    PostgresEventStore ownStore(DataSource dataSource, EventRegistry registry) {
      return PostgresEventStore.builder(registry).dataSource(dataSource).schema(OWN_SCHEMA).installSchema(true)
          .build();
    }

    @Bean
    SnapshotStore ownSnapshots() {
      return InMemorySnapshotStore.create();
    }

    @Bean
    AggregateRepository<WalletCommand, Wallet, WalletEvent> myWallets(AggregateType<WalletCommand, Wallet, WalletEvent> type,
        EventStore store) {
      return AggregateRepository.builder(type, store).cacheSize(0).build();
    }

    @Bean
    ProjectionRunner ownRunner(PostgresEventStore store, Projector balances) {
      return ProjectionRunner.builder(store).projector(balances).nodeId("own-runner").installSchema(true).build();
    }
  }

  static String OWN_SCHEMA;

  @Test
  void every_bean_backs_off_when_the_application_defines_its_own() {
    OWN_SCHEMA = db.newSchema();
    StarterContexts.on(db, db.newSchema()).withUserConfiguration(Application.class, OwnBeans.class, WithTeller.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).getBean(PostgresEventStore.class).isSameAs(context.getBean("ownStore"));
          assertThat(context.getBean(PostgresEventStore.class).schema()).isEqualTo(OWN_SCHEMA);
          assertThat(context).getBean(SnapshotStore.class).isSameAs(context.getBean("ownSnapshots"));
          assertThat(context).doesNotHaveBean("annalsSnapshotStore").doesNotHaveBean("walletRepository")
              .doesNotHaveBean("annalsProjectionRunner");
          Teller teller = context.getBean(Teller.class);
          assertThat(teller.wallets).isSameAs(context.getBean("myWallets"));
          assertThat(teller.tickets).as("the other type still gets one").isSameAs(context.getBean("ticketRepository"));
          assertThat(context.getBean(ProjectionRunner.class).nodeId()).isEqualTo("own-runner");
        });
  }

  @Test
  void an_event_store_of_the_application_replaces_the_postgres_one_and_its_runner() {
    StarterContexts.on(db, db.newSchema()).withUserConfiguration(Application.class, WithTeller.class)
        .withBean(EventStore.class, () -> InMemoryEventStore.create(Wallets.REGISTRY))
        .run(context -> {
          assertThat(context).hasNotFailed().doesNotHaveBean(PostgresEventStore.class)
              .doesNotHaveBean(ProjectionRunner.class).doesNotHaveBean(SnapshotStore.class);
          Teller teller = context.getBean(Teller.class);
          teller.wallets.handle("w-1", new Deposit(3));
          assertThat(context.getBean(EventStore.class).streamVersion(StreamId.of("wallet", "w-1"))).isEqualTo(1);
        });
  }

  @Test
  void without_spring_boot_health_there_are_no_health_indicators_and_the_rest_works() {
    StarterContexts.on(db, db.newSchema()).withUserConfiguration(Application.class)
        .withClassLoader(new FilteredClassLoader(HealthIndicator.class))
        .run(context -> assertThat(context).hasNotFailed().hasSingleBean(ProjectionRunner.class)
            .doesNotHaveBean("annalsHealthContributor"));
  }

  @Test
  void without_an_event_registry_the_start_fails_naming_it() {
    StarterContexts.on(db, db.newSchema()).withBean("ticket", AggregateType.class, Wallets::ticketType)
        .run(context -> {
          assertThat(context).hasFailed();
          assertThat(context.getStartupFailure()).hasStackTraceContaining("annalsEventStore")
              .hasStackTraceContaining("dev.annals.core.EventRegistry");
        });
  }

  @Test
  void without_projectors_there_is_no_runner_and_the_rest_works() {
    StarterContexts.on(db, db.newSchema()).withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("ticket", AggregateType.class, Wallets::ticketType)
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(PostgresEventStore.class)
              .doesNotHaveBean(ProjectionRunner.class).doesNotHaveBean(ProjectionRunnerLifecycle.class)
              .doesNotHaveBean("annalsHealthContributor").hasBean("ticketRepository");
          @SuppressWarnings("unchecked")
          AggregateRepository<TicketCommand, Ticket, TicketEvent> tickets = context.getBean("ticketRepository",
              AggregateRepository.class);
          assertThat(tickets.handle("t-9", new Issue("raw type")).version()).isEqualTo(1);
        });
  }
}
