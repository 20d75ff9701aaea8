package dev.annals.micrometer;

import dev.annals.messaging.MessageSink;
import dev.annals.messaging.OutgoingMessage;
import dev.annals.messaging.PublisherStatus;
import dev.annals.messaging.inbox.ConsumerCounts;
import dev.annals.projections.ProjectionRunner;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer metrics of publishers and inbox consumers (es-messaging, which this module needs
 * only for this class). docs/observability.md lists every meter.
 *
 * <pre>{@code
 * MessagingMetrics messaging = MessagingMetrics.create(registry);
 * MessageSink sink = messaging.countingSink("accounts_to_rabbit", rabbitSink);
 * Projector publisher = Publisher.builder("accounts_to_rabbit", sink).mapper(mapper).build();
 * ... build and start the runner ...
 * messaging.bindPublisher(runner, "accounts_to_rabbit");
 * messaging.bindConsumer("payments", consumer::counts);
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class MessagingMetrics {

  static final String TAG_PUBLISHER = "publisher";
  static final String TAG_CONSUMER = "consumer";

  private final MeterRegistry registry;
  /** What the function counters read: Micrometer holds it only weakly. */
  private final List<Supplier<ConsumerCounts>> consumers = new CopyOnWriteArrayList<>();

  private MessagingMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Metrics recorded in {@code registry}. */
  public static MessagingMetrics create(MeterRegistry registry) {
    return new MessagingMetrics(Objects.requireNonNull(registry, "registry must not be null"));
  }

  /**
   * {@code sink}, counting the messages the broker confirmed ({@code annals.publisher.sent}) and
   * the batches it did not ({@code annals.publisher.failures}), tagged with {@code publisher}.
   * What {@code sink} throws passes through unchanged.
   */
  @SuppressWarnings("try") // close() passes on what the sink's close throws, as MessageSink allows
  public MessageSink countingSink(String publisher, MessageSink sink) {
    Objects.requireNonNull(publisher, "publisher must not be null");
    Objects.requireNonNull(sink, "sink must not be null");
    Counter sent = Counter.builder("annals.publisher.sent").description("messages a broker confirmed")
        .baseUnit("messages").tag(TAG_PUBLISHER, publisher).register(registry);
    Counter failures = Counter.builder("annals.publisher.failures")
        .description("batches a broker did not confirm (sent again later)")
        .tag(TAG_PUBLISHER, publisher).register(registry);
    return new MessageSink() {
      @Override
      public String describe() {
        return sink.describe();
      }

      @Override
      public void send(List<OutgoingMessage> batch) throws Exception {
        try {
          sink.send(batch);
        } catch (Exception e) {
          failures.increment();
          throw e;
        }
        sent.increment(batch.size());
      }

      @Override
      public void close() throws Exception {
        sink.close();
      }
    };
  }

  /**
   * Registers the lag gauges of one publisher of {@code runner}: {@code annals.publisher.lag}
   * (events) and {@code annals.publisher.lag.age} (seconds), from its {@link PublisherStatus},
   * read at most once a second; NaN while it cannot be read (not started yet, database down).
   *
   * @throws IllegalArgumentException if the runner has no such projector
   */
  public void bindPublisher(ProjectionRunner runner, String publisher) {
    Objects.requireNonNull(runner, "runner must not be null");
    Objects.requireNonNull(publisher, "publisher must not be null");
    if (!runner.projectorNames().contains(publisher)) {
      throw new IllegalArgumentException("the runner has no publisher named '" + publisher + "'; it has "
          + runner.projectorNames());
    }
    Cached<PublisherStatus> status = new Cached<>(() -> PublisherStatus.of(runner, publisher),
        AnnalsMetrics.STATUS_FRESHNESS);
    gauge("annals.publisher.lag", "log positions between what the broker confirmed and the head",
        "events", publisher, status, PublisherStatus::lagEvents);
    gauge("annals.publisher.lag.age", "age of the oldest event the broker has not confirmed yet",
        "seconds", publisher, status, PublisherStatus::lagSeconds);
  }

  /**
   * Registers the counters of one inbox consumer, {@code annals.inbox.messages} tagged with
   * {@code consumer} and {@code outcome} ({@code applied}, {@code duplicate}, {@code dead_lettered}),
   * read from {@code counts} (such as {@code RabbitMqConsumer::counts}) when scraped.
   */
  public void bindConsumer(String consumer, Supplier<ConsumerCounts> counts) {
    Objects.requireNonNull(consumer, "consumer must not be null");
    Objects.requireNonNull(counts, "counts must not be null");
    consumers.add(counts);
    counter(consumer, "applied", counts, c -> c.applied());
    counter(consumer, "duplicate", counts, c -> c.duplicates());
    counter(consumer, "dead_lettered", counts, c -> c.deadLettered());
  }

  private void counter(String consumer, String outcome, Supplier<ConsumerCounts> counts,
      ToDoubleFunction<ConsumerCounts> value) {
    FunctionCounter.builder("annals.inbox.messages", counts, s -> value.applyAsDouble(s.get()))
        .description("messages an inbox consumer received, by what became of them")
        .baseUnit("messages").tag(TAG_CONSUMER, consumer).tag("outcome", outcome).register(registry);
  }

  private void gauge(String name, String description, String unit, String publisher,
      Cached<PublisherStatus> status, ToDoubleFunction<PublisherStatus> value) {
    Gauge.builder(name, status, c -> {
      PublisherStatus s = c.get();
      return s == null ? Double.NaN : value.applyAsDouble(s);
    }).description(description).baseUnit(unit).tag(TAG_PUBLISHER, publisher).strongReference(true)
        .register(registry);
  }
}
