package dev.annals.spring.boot.docs;

import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.DomainException;
import dev.annals.core.EventRegistry;
import dev.annals.core.LogFilter;
import dev.annals.projections.Projector;
import java.util.List;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** The example application of docs/spring-boot.md: a wallet, its balances view, and a service. */
// tag::spring-boot-application[]
@SpringBootApplication
public class WalletApplication {

  sealed interface WalletCommand {}
  record Deposit(long cents) implements WalletCommand {}

  sealed interface WalletEvent {}
  record Deposited(long cents) implements WalletEvent {}

  record Wallet(long cents) {}

  public static void main(String[] args) {
    SpringApplication.run(WalletApplication.class, args);
  }

  @Bean
  EventRegistry events() {
    return EventRegistry.builder().register(Deposited.class, "Deposited").build();
  }

  @Bean
  AggregateType<WalletCommand, Wallet, WalletEvent> wallet() {
    Decider<WalletCommand, Wallet, WalletEvent> decider = Decider.of(
        () -> new Wallet(0),
        (wallet, event) -> new Wallet(wallet.cents() + ((Deposited) event).cents()),
        (command, wallet) -> {
          long cents = ((Deposit) command).cents();
          if (cents <= 0) {
            throw new DomainException("a deposit must be positive, was " + cents);
          }
          return List.of(new Deposited(cents));
        });
    return AggregateType.builder("wallet", WalletEvent.class, decider).snapshots(Wallet.class, 1).build();
  }

  @Bean
  Projector balances() {
    return Projector.builder("balances")
        .filter(LogFilter.categories("wallet"))
        .tables("balances")
        .setup(t -> t.handle().execute("CREATE TABLE " + t.table("balances")
            + " (wallet text PRIMARY KEY, cents bigint NOT NULL)"))
        .handler((event, ctx) -> ctx.handle().execute("INSERT INTO " + ctx.table("balances")
            + " VALUES (?, ?) ON CONFLICT (wallet) DO UPDATE SET cents = excluded.cents + "
            + ctx.table("balances") + ".cents", event.streamId().id(), event.payload(Deposited.class).cents()))
        .build();
  }
}
// end::spring-boot-application[]
