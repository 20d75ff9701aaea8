package dev.annals.testkit;

import dev.annals.core.EventRegistry;

/** Events the {@link EventStoreContract} writes. Public so store tests can reuse them. */
public final class ContractEvents {

  private ContractEvents() {}

  /** An item was added. */
  public record ItemAdded(String name, int quantity) {}

  /** An item was removed. */
  public record ItemRemoved(String name) {}

  /** An event only {@link #writerRegistry()} knows, to test reading unknown types. */
  public record Mystery(String note) {}

  /** Registers {@link ItemAdded} and {@link ItemRemoved}. */
  public static EventRegistry registry() {
    return EventRegistry.builder()
        .register(ItemAdded.class, "ItemAdded")
        .register(ItemRemoved.class, "ItemRemoved")
        .build();
  }

  /** {@link #registry()} plus {@link Mystery}. */
  public static EventRegistry writerRegistry() {
    return EventRegistry.builder()
        .register(ItemAdded.class, "ItemAdded")
        .register(ItemRemoved.class, "ItemRemoved")
        .register(Mystery.class, "Mystery")
        .build();
  }
}
