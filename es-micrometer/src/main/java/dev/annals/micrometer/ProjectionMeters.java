package dev.annals.micrometer;

import dev.annals.projections.ProjectionObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Records projection batches; the meters of each partition are looked up once. */
final class ProjectionMeters implements ProjectionObserver {

  static final String TAG_PROJECTOR = "projector";
  static final String TAG_PARTITION = "partition";

  private final MeterRegistry registry;
  private final Map<Key, PerPartition> byPartition = new ConcurrentHashMap<>();

  ProjectionMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void observe(Observation o) {
    if (o instanceof Batch b) {
      PerPartition m = byPartition.computeIfAbsent(new Key(b.projector(), b.partition()), this::meters);
      m.batch.record(b.took());
      m.events.increment(b.handled());
    }
  }

  private PerPartition meters(Key k) {
    String partition = Integer.toString(k.partition());
    return new PerPartition(
        Timer.builder("annals.projector.batch").description("batches read and handled by a projector")
            .tag(TAG_PROJECTOR, k.projector()).tag(TAG_PARTITION, partition).register(registry),
        Counter.builder("annals.projector.events")
            .description("events a projector handled (or parked) and moved its checkpoint past")
            .baseUnit("events").tag(TAG_PROJECTOR, k.projector()).tag(TAG_PARTITION, partition)
            .register(registry));
  }

  private record Key(String projector, int partition) {}

  private record PerPartition(Timer batch, Counter events) {}
}
