package dev.annals.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.annals.core.AggregateRepository;
import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.ProjectionStatus;
import dev.annals.projections.Projector;
import dev.annals.spring.boot.Wallets.Deposit;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ApplicationContext;

/**
 * Projectors under the context's lifecycle: started with it, stopped gracefully (the batch in
 * hand finishes), and their health UP, DOWN when stopped, OUT_OF_SERVICE when lagging.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class LifecycleAndHealthIT {

  @RegisterExtension
  static final PostgresTestDatabase db = PostgresTestDatabase.create();

  static final Duration LONG = Duration.ofSeconds(60);

  static Health health(ApplicationContext context, String projector) {
    CompositeHealthContributor annals = context.getBean("annalsHealthContributor", CompositeHealthContributor.class);
    CompositeHealthContributor projectors = (CompositeHealthContributor) annals.getContributor("projectors");
    return ((HealthIndicator) projectors.getContributor(projector)).health();
  }

  @SuppressWarnings("unchecked")
  static AggregateRepository<Wallets.WalletCommand, Wallets.Wallet, Wallets.WalletEvent> wallets(
      ApplicationContext context) {
    return context.getBean("walletRepository", AggregateRepository.class);
  }

  @Test
  void health_is_up_when_caught_up_down_when_stopped_and_up_again_after_a_restart() {
    StarterContexts.on(db, db.newSchema())
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("wallet", dev.annals.core.AggregateType.class, () -> Wallets.walletType(100))
        .withBean("balances", Projector.class, Wallets::balances)
        .run(context -> {
          wallets(context).handle("w-1", new Deposit(5));
          ProjectionRunner runner = context.getBean(ProjectionRunner.class);
          assertThat(runner.awaitCaughtUp("balances", LONG)).isTrue();
          Await.until("balances UP", LONG, () -> health(context, "balances").getStatus().equals(Status.UP));
          Health up = health(context, "balances");
          assertThat(up.getDetails()).containsEntry("lagEvents", 0L).containsEntry("deadLetters", 0L)
              .containsKeys("state", "position", "headPosition", "lagSeconds");

          ProjectionRunnerLifecycle lifecycle = context.getBean(ProjectionRunnerLifecycle.class);
          lifecycle.stop();
          Health down = health(context, "balances");
          assertThat(down.getStatus()).isEqualTo(Status.DOWN);
          assertThat(down.getDetails()).containsEntry("reason", "stopped on this node");

          lifecycle.start();
          wallets(context).handle("w-1", new Deposit(7));
          assertThat(runner.awaitCaughtUp("balances", LONG)).isTrue();
          Await.until("balances UP after the restart", LONG,
              () -> health(context, "balances").getStatus().equals(Status.UP));
        });
  }

  @Test
  void health_is_out_of_service_while_lagging_past_the_bound_and_up_once_caught_up() {
    CountDownLatch release = new CountDownLatch(1);
    Projector slow = Projector.sideEffects("slow").batchSize(1).filter(LogFilter.categories("wallet"))
        .handler((event, ctx) -> release.await(2, TimeUnit.MINUTES))
        .build();
    StarterContexts.on(db, db.newSchema())
        .withPropertyValues("annals.health.max-lag-events=3")
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("wallet", dev.annals.core.AggregateType.class, () -> Wallets.walletType(100))
        .withBean("slow", Projector.class, () -> slow)
        .run(context -> {
          try {
            for (int i = 0; i < 10; i++) {
              wallets(context).handle("w-" + i, new Deposit(1));
            }
            Await.until("slow OUT_OF_SERVICE", LONG,
                () -> health(context, "slow").getStatus().equals(Status.OUT_OF_SERVICE));
            Health lagging = health(context, "slow");
            assertThat((Long) lagging.getDetails().get("lagEvents")).isGreaterThan(3);
            assertThat((String) lagging.getDetails().get("reason")).startsWith("lagging: ")
                .contains("annals.health.max-lag-events (3)");
          } finally {
            release.countDown();
          }
          Await.until("slow UP once caught up", LONG, () -> health(context, "slow").getStatus().equals(Status.UP));
        });
  }

  @Test
  void stopping_the_context_lets_the_batch_in_hand_finish_and_moves_the_checkpoint_past_it() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Long> handled = new CopyOnWriteArrayList<>();
    AtomicBoolean interrupted = new AtomicBoolean();
    Projector mailer = Projector.sideEffects("mailer").batchSize(5).filter(LogFilter.categories("wallet"))
        .batchHandler(events -> {
          entered.countDown();
          try {
            release.await(2, TimeUnit.MINUTES);
          } catch (InterruptedException e) {
            interrupted.set(true);
            throw e;
          }
          for (RecordedEvent e : events) {
            handled.add(e.position());
          }
        })
        .build();
    String schema = db.newSchema();
    StarterContexts.on(db, schema)
        .withPropertyValues("annals.projections.auto-start=false")
        .withBean(EventRegistry.class, () -> Wallets.REGISTRY)
        .withBean("wallet", dev.annals.core.AggregateType.class, () -> Wallets.walletType(100))
        .withBean("mailer", Projector.class, () -> mailer)
        .run(context -> {
          // Five events committed before the projector starts: its first batch holds all of them.
          for (int i = 0; i < 5; i++) {
            wallets(context).handle("w-" + i, new Deposit(1));
          }
          long last = context.getBean(dev.annals.postgres.PostgresEventStore.class).headPosition();
          ProjectionRunner runner = context.getBean(ProjectionRunner.class);
          ProjectionRunnerLifecycle lifecycle = new ProjectionRunnerLifecycle(runner, List.of("mailer"));
          lifecycle.start();
          assertThat(entered.await(60, TimeUnit.SECONDS)).as("the first batch reached the handler").isTrue();

          Thread stopper = new Thread(lifecycle::stop, "context-stop");
          stopper.start();
          Await.until("the lifecycle to report stopping", LONG, () -> !lifecycle.isRunning());
          assertThat(stopper.isAlive()).as("stop waits for the batch in hand").isTrue();
          release.countDown();
          stopper.join(TimeUnit.SECONDS.toMillis(60));
          assertThat(stopper.isAlive()).as("stop returned once the batch was done").isFalse();

          assertThat(interrupted).as("the batch was not interrupted").isFalse();
          assertThat(handled).hasSize(5);
          List<ProjectionStatus> status = runner.status("mailer");
          assertThat(status).hasSize(1);
          assertThat(status.get(0).position().cursor().position()).as("checkpoint past the batch").isEqualTo(last);
          assertThat(status.get(0).lease()).as("lease given up").isEmpty();
        });
  }
}
