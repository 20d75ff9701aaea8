package dev.annals.testkit.docs;

// tag::contract-subclass[]
import dev.annals.core.EventRegistry;
import dev.annals.core.EventStore;
import dev.annals.core.InMemoryEventStore;
import dev.annals.testkit.EventStoreContract;

class InMemoryEventStoreContractTest extends EventStoreContract {

  @Override
  protected EventStore createStore(EventRegistry registry) {
    return InMemoryEventStore.create(registry);
  }

  @Override
  protected EventStore reopen(EventStore store, EventRegistry registry) {
    return ((InMemoryEventStore) store).withRegistry(registry);
  }
}
// end::contract-subclass[]
