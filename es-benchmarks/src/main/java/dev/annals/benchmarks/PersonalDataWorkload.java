package dev.annals.benchmarks;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.PersonalData;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Workload 8: what encrypting personal data costs. The same event, with a customer's name, is
 * appended one at a time by one writer and a stream of it is read back whole, once registered
 * plain and once with the name declared as personal data (AES-GCM per field, a key per
 * customer). Both run on the framework, in the same schema and run; the difference is the cost.
 */
final class PersonalDataWorkload {

  /** An event naming a customer. */
  record Registered(String customer, String name, BigDecimal amount) {}

  static final String PLAIN = "annals-plain";
  static final String ENCRYPTED = "annals-encrypted";

  private static final EventRegistry PLAIN_EVENTS = EventRegistry.builder()
      .register(Registered.class, "Registered").build();
  private static final EventRegistry PROTECTED_EVENTS = EventRegistry.builder()
      .register(Registered.class, "Registered", PersonalData.of(Registered::customer, "/name")).build();
  private static final int CUSTOMERS = 100;

  private final Env env;
  private final Settings settings;
  private final Consumer<String> log;

  PersonalDataWorkload(Env env, Settings settings, Consumer<String> log) {
    this.env = env;
    this.settings = settings;
    this.log = log;
  }

  List<Measurement> run() throws Exception {
    PostgresEventStore plain = env.store(PLAIN_EVENTS, 2);
    PostgresEventStore encrypted = env.store(PROTECTED_EVENTS, 2);
    List<Measurement> out = new ArrayList<>();
    String appends = "8 single-event appends with a name, 1 writer";
    List<Double> plainRates = new ArrayList<>();
    List<Double> encryptedRates = new ArrayList<>();
    rate(plain, settings.warmup().toMillis());
    rate(encrypted, settings.warmup().toMillis());
    for (int t = 0; t < settings.trials(); t++) {
      plainRates.add(rate(plain, settings.trial().toMillis()));
      encryptedRates.add(rate(encrypted, settings.trial().toMillis()));
    }
    log.accept(String.format("  %s: plain %.0f events/s, encrypted %.0f events/s", appends,
        new Measurement("", "", "", "", true, plainRates).median(), new Measurement("", "", "", "", true, encryptedRates).median()));
    out.add(new Measurement(appends, PLAIN, "events/s", "events/s", true, plainRates));
    out.add(new Measurement(appends, ENCRYPTED, "events/s", "events/s", true, encryptedRates));

    int n = settings.aggregateEvents();
    String loads = "8 read a stream of " + n + " events with a name";
    StreamId plainStream = fill(plain, n);
    StreamId encryptedStream = fill(encrypted, n);
    List<Double> plainLoads = new ArrayList<>();
    List<Double> encryptedLoads = new ArrayList<>();
    read(plain, plainStream, n);
    read(encrypted, encryptedStream, n);
    for (int t = 0; t < settings.trials(); t++) {
      plainLoads.add(loadMillis(plain, plainStream, n));
      encryptedLoads.add(loadMillis(encrypted, encryptedStream, n));
    }
    log.accept(String.format("  %s: plain %.2f ms, encrypted %.2f ms", loads,
        new Measurement("", "", "", "", true, plainLoads).median(), new Measurement("", "", "", "", true, encryptedLoads).median()));
    out.add(new Measurement(loads, PLAIN, "ms/load", "ms", false, plainLoads));
    out.add(new Measurement(loads, ENCRYPTED, "ms/load", "ms", false, encryptedLoads));
    return out;
  }

  private static NewEvent event(long i) {
    return NewEvent.of(new Registered("customer-" + (i % CUSTOMERS), "Customer Name " + i, BigDecimal.TEN));
  }

  /** Appends for {@code millis} (at least one event), each to a new stream; events per second. */
  private static double rate(PostgresEventStore store, long millis) {
    long begin = System.nanoTime();
    long end = begin + millis * 1_000_000;
    long count = 0;
    do {
      store.append(StreamId.of("customer", UUID.randomUUID().toString()), ExpectedVersion.noStream(), event(count));
      count++;
    } while (System.nanoTime() < end);
    return count / ((System.nanoTime() - begin) / 1e9);
  }

  private static StreamId fill(PostgresEventStore store, int n) {
    StreamId stream = StreamId.of("customer", UUID.randomUUID().toString());
    for (int written = 0; written < n; written += 1000) {
      List<NewEvent> events = new ArrayList<>();
      for (int k = 0; k < Math.min(1000, n - written); k++) {
        events.add(event(written + k));
      }
      store.append(stream, ExpectedVersion.exactly(written), events);
    }
    return stream;
  }

  private double loadMillis(PostgresEventStore store, StreamId stream, int n) {
    long begin = System.nanoTime();
    for (int i = 0; i < settings.loads(); i++) {
      read(store, stream, n);
    }
    return (System.nanoTime() - begin) / 1e6 / settings.loads();
  }

  private static void read(PostgresEventStore store, StreamId stream, int n) {
    int read = 0;
    for (long from = 1; from <= n; from += 1000) {
      read += store.readPayloads(stream, from, 1000).size();
    }
    if (read != n) {
      throw new IllegalStateException("read " + read + " events of " + stream + ", expected " + n);
    }
  }
}
