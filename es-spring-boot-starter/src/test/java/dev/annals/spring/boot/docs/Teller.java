package dev.annals.spring.boot.docs;

import dev.annals.core.AggregateRepository;
import org.springframework.stereotype.Service;

/** The service of docs/spring-boot.md: application code using the auto-configured repository. */
// tag::spring-boot-service[]
@Service
class Teller {

  private final AggregateRepository<WalletApplication.WalletCommand, WalletApplication.Wallet,
      WalletApplication.WalletEvent> wallets;

  Teller(AggregateRepository<WalletApplication.WalletCommand, WalletApplication.Wallet,
      WalletApplication.WalletEvent> wallets) {
    this.wallets = wallets;
  }

  long deposit(String wallet, long cents) {
    return wallets.handle(wallet, new WalletApplication.Deposit(cents)).state().cents();
  }
}
// end::spring-boot-service[]
