package dev.annals.messaging;

import dev.annals.core.LogFilter;
import dev.annals.core.RecordedEvent;
import dev.annals.core.internal.Redaction;
import dev.annals.projections.FailurePolicy;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.projections.TargetUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Publishes the event log to a {@link MessageSink} (the outbox path): a side-effect
 * {@link Projector} that reads the gap-safe log, turns each batch into CloudEvents, sends it and
 * moves its checkpoint only after the sink confirmed the whole batch.
 *
 * <pre>{@code
 * Projector publisher = Publisher.builder("accounts_to_rabbit", sink)
 *     .mapper(CloudEventMapper.builder(registry).source("urn:bank:accounts").build())
 *     .filter(LogFilter.categories("account"))
 *     .build();
 * ProjectionRunner runner = ProjectionRunner.builder(store).projector(publisher).build();
 * runner.start();
 * }</pre>
 *
 * <p>Everything a projector has comes with it: one owner node per partition, checkpoints,
 * status ({@link PublisherStatus#of}) and dead letters. Guarantees:
 * <ul>
 *   <li><b>at-least-once</b>: an event is sent again after a crash between the broker's
 *       confirmation and the checkpoint, or when a batch was only partly confirmed; the
 *       CloudEvent id (the event id) lets brokers and consumers drop the duplicate;</li>
 *   <li><b>nothing skipped</b>: when the sink fails (broker down, no confirmation), nothing is
 *       parked and the checkpoint stays; the batch is sent again with backoff, without limit,
 *       and the failure shows as the status' last error;</li>
 *   <li><b>per-stream order</b>: the log reader never shows a stream's events out of version
 *       order and the sink keeps that order per stream;</li>
 *   <li>an event that cannot be turned into a CloudEvent (its payload does not serialize) is
 *       retried, then parked; later events of its stream wait behind it (policy
 *       {@link FailurePolicy#CONTINUE} by default), other streams go on.</li>
 * </ul>
 *
 * <p>{@link Builder#atMostOnce()} trades all of that for speed, for notifications that may be
 * lost: the checkpoint commits first, then the batch is handed to the sink without waiting for
 * a confirmation ({@link MessageSink#sendAtMostOnce}), and a batch the sink could not take is
 * dropped, never sent again.
 */
public final class Publisher {

  private static final System.Logger LOG = System.getLogger("dev.annals.messaging");

  private Publisher() {}

  /**
   * Starts configuring a publisher.
   *
   * @param name the projector name ({@code [a-z][a-z0-9_]{0,40}}), unique among the application's
   *     projectors; it names the checkpoint, so renaming a publisher starts it from the beginning
   * @param sink where the events go
   * @throws IllegalArgumentException if the name is invalid
   */
  public static Builder builder(String name, MessageSink sink) {
    Objects.requireNonNull(sink, "sink must not be null");
    return new Builder(Projector.sideEffects(name), name, sink);
  }

  /** Configures a publisher; each setter checks its value, {@link #build()} the combination. */
  public static final class Builder {
    // Every setting goes to both: build() picks the side-effect projector (at least once) or a
    // transactional one whose commit comes before the send (at most once).
    private final Projector.SideEffectsBuilder projector;
    private final Projector.ReadModelBuilder atMostOnceProjector;
    private final String name;
    private final MessageSink sink;
    private CloudEventMapper mapper;
    private boolean atMostOnce;

    private Builder(Projector.SideEffectsBuilder projector, String name, MessageSink sink) {
      this.projector = projector;
      this.atMostOnceProjector = Projector.builder(name);
      this.name = name;
      this.sink = sink;
      projector.onFailure(FailurePolicy.CONTINUE).batchSize(500)
          .retries(5, Duration.ofMillis(100), Duration.ofSeconds(30));
      atMostOnceProjector.onFailure(FailurePolicy.CONTINUE).batchSize(500)
          .retries(5, Duration.ofMillis(100), Duration.ofSeconds(30));
    }

    /** Turns events into CloudEvents. Required. */
    public Builder mapper(CloudEventMapper mapper) {
      if (this.mapper != null) {
        throw new IllegalStateException("mapper was already set for publisher " + name);
      }
      this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
      return this;
    }

    /** Which events to publish, by category and type; all by default. */
    public Builder filter(LogFilter filter) {
      projector.filter(filter);
      atMostOnceProjector.filter(filter);
      return this;
    }

    /**
     * Splits publishing into {@code count} partitions by stream (1 to 256; 1 by default), each
     * with its own thread and owner node. The sink is then called concurrently.
     */
    public Builder partitions(int count) {
      projector.partitions(count);
      atMostOnceProjector.partitions(count);
      return this;
    }

    /** Most events per {@link MessageSink#send} call, 1 to 10,000; 500 by default. */
    public Builder batchSize(int events) {
      projector.batchSize(events);
      atMostOnceProjector.batchSize(events);
      return this;
    }

    /**
     * The wait before sending again after a failure: {@code first}, doubled per failure in a row
     * up to {@code max}; 100 ms to 30 s by default. Sink failures are retried without limit; an
     * event that cannot be mapped is tried {@code maxAttempts} times (5 by default), then parked.
     */
    public Builder retries(int maxAttempts, Duration first, Duration max) {
      projector.retries(maxAttempts, first, max);
      atMostOnceProjector.retries(maxAttempts, first, max);
      return this;
    }

    /**
     * What happens to an event that cannot be mapped after its last try:
     * {@link FailurePolicy#CONTINUE} (park it, its stream waits, others go on) by default.
     */
    public Builder onFailure(FailurePolicy policy) {
      projector.onFailure(policy);
      atMostOnceProjector.onFailure(policy);
      return this;
    }

    /**
     * Delivers at most once (fire and forget), for messages that may be lost, such as
     * notifications: each batch's checkpoint commits first, then the batch is handed to
     * {@link MessageSink#sendAtMostOnce} without waiting for a confirmation; if the broker is
     * down the batch is dropped (and logged), never tried again, and publishing goes on. A crash
     * between the commit and the send loses the batch; nothing is ever sent twice by the
     * publisher. At least once (confirmed, retried) is the default.
     */
    public Builder atMostOnce() {
      this.atMostOnce = true;
      return this;
    }

    /**
     * The projector to register in a {@link ProjectionRunner}.
     *
     * @throws IllegalStateException if no mapper was set
     */
    public Projector build() {
      if (mapper == null) {
        throw new IllegalStateException("publisher " + name + " needs a mapper(CloudEventMapper"
            + ".builder(registry).source(...).build())");
      }
      CloudEventMapper m = mapper;
      MessageSink s = sink;
      if (atMostOnce) {
        String publisher = name;
        return atMostOnceProjector.batchHandler((events, tables) -> {
          // Mapping failures escape as they are: they are one event's fault and end up parked.
          List<OutgoingMessage> batch = map(events, m);
          tables.handle().afterCommit(() -> fire(publisher, batch, s));
        }).build();
      }
      return projector.batchHandler(events -> send(events, m, s)).build();
    }

    private static List<OutgoingMessage> map(List<RecordedEvent> events, CloudEventMapper mapper) {
      List<OutgoingMessage> batch = new ArrayList<>(events.size());
      for (RecordedEvent e : events) {
        batch.add(mapper.toMessage(e));
      }
      return batch;
    }

    /** Runs after the checkpoint committed; nothing it throws may reach the engine. */
    private static void fire(String publisher, List<OutgoingMessage> batch, MessageSink sink) {
      try {
        sink.sendAtMostOnce(batch);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        LOG.log(System.Logger.Level.WARNING, "publisher {0} (at most once): dropped {1} events, first {2}, "
            + "because {3} did not take them: {4}", publisher, batch.size(), batch.get(0).id(),
            sink.describe(), Redaction.describe(e));
      }
    }

    private static void send(List<RecordedEvent> events, CloudEventMapper mapper, MessageSink sink)
        throws TargetUnavailableException {
      // Mapping failures escape as they are: they are one event's fault and end up parked.
      List<OutgoingMessage> batch = map(events, mapper);
      try {
        sink.send(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TargetUnavailableException("sending to " + sink.describe() + " was interrupted", e);
      } catch (Exception e) {
        // The broker's own error may quote its URL, and the message ends up in the status.
        throw new TargetUnavailableException(Redaction.redact(sink.describe() + " did not confirm a batch of "
            + batch.size() + " events (first " + batch.get(0).id() + "): " + e), e);
      }
    }
  }
}
