package dev.annals.bank.domain;

import dev.annals.core.EventRegistry;

/**
 * Every event the bank stores, the accounts' and the transfers', under their stable names: the
 * registry for an event store (or a reader of its whole log) that holds both. Each aggregate
 * keeps its own registry too ({@link Account#REGISTRY}, {@link Transfer#REGISTRY}), for code that
 * handles only its events.
 */
public final class BankEvents {

  /** The account and transfer events. */
  public static final EventRegistry REGISTRY =
      Transfer.registerEvents(Account.registerEvents(EventRegistry.builder())).build();

  private BankEvents() {}
}
