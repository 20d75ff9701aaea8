package dev.annals.micrometer;

import dev.annals.core.RepositoryObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Records repository observations; the meters of each aggregate type are looked up once. */
final class RepositoryMeters implements RepositoryObserver {

  static final String TAG_TYPE = "aggregate.type";

  private final MeterRegistry registry;
  private final Map<String, PerType> byType = new ConcurrentHashMap<>();

  RepositoryMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void observe(Observation o) {
    PerType m = byType.computeIfAbsent(o.aggregateType(), this::meters);
    if (o instanceof Appended a) {
      m.append.record(a.took());
      m.appendedEvents.increment(a.result().count());
    } else if (o instanceof Conflicted c) {
      m.conflicts.increment();
    } else if (o instanceof Loaded l) {
      (l.fromSnapshot() ? m.loadFromSnapshot : m.loadFromEvents).record(l.took());
      m.replayed.record(l.eventsReplayed());
    } else if (o instanceof SnapshotWritten) {
      m.snapshots.increment();
    }
  }

  private PerType meters(String type) {
    return new PerType(
        Timer.builder("annals.append").description("appends of a command's events, with their latency")
            .tag(TAG_TYPE, type).register(registry),
        Counter.builder("annals.append.events").description("events appended").baseUnit("events")
            .tag(TAG_TYPE, type).register(registry),
        Counter.builder("annals.append.conflicts")
            .description("appends refused because another writer got there first")
            .tag(TAG_TYPE, type).register(registry),
        load(type, "snapshot"),
        load(type, "events"),
        DistributionSummary.builder("annals.load.replayed").description("events folded per load")
            .baseUnit("events").tag(TAG_TYPE, type).register(registry),
        Counter.builder("annals.snapshots.written").description("snapshots written")
            .tag(TAG_TYPE, type).register(registry));
  }

  private Timer load(String type, String from) {
    return Timer.builder("annals.load").description("aggregate states loaded from the store")
        .tag(TAG_TYPE, type).tag("from", from).register(registry);
  }

  private record PerType(Timer append, Counter appendedEvents, Counter conflicts, Timer loadFromSnapshot,
      Timer loadFromEvents, DistributionSummary replayed, Counter snapshots) {}
}
