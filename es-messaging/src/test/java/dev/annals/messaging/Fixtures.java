package dev.annals.messaging;

import dev.annals.core.AggregateType;
import dev.annals.core.Decider;
import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import dev.annals.projections.ProjectionRunner;
import dev.annals.projections.Projector;
import dev.annals.testkit.Await;
import dev.annals.testkit.PostgresTestDatabase;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/** Events, stores, runners and waiting, shared by the tests of every transport. */
public final class Fixtures {

  /** Money paid into an account. */
  public record Deposited(long cents) {}

  /** An event the consumers in the tests refuse. */
  public record Frozen(String reason) {}

  /** A wallet that sums deposits: the command is the amount, the state the total. */
  public static final AggregateType<Long, Long, Deposited> WALLET = AggregateType.builder("wallet",
      Deposited.class, Decider.<Long, Long, Deposited>of(() -> 0L,
          (total, e) -> total + e.cents(), (cents, total) -> List.of(new Deposited(cents)))).build();

  private Fixtures() {}

  public static EventRegistry registry() {
    return EventRegistry.builder()
        .register(Deposited.class, "Deposited")
        .register(Frozen.class, "Frozen")
        .build();
  }

  public static CloudEventMapper mapper() {
    return CloudEventMapper.builder(registry()).source("urn:annals:test:bank").build();
  }

  public static PostgresEventStore store(PostgresTestDatabase db, String schema) {
    return PostgresEventStore.builder(registry()).jdbcUrl(db.jdbcUrl()).poolSize(6).schema(schema)
        .installSchema(true).connectionTimeout(Duration.ofSeconds(30)).build();
  }

  /** A runner with test-friendly timings: short lease, fast polling. */
  public static ProjectionRunner runner(PostgresEventStore store, String node, Projector projector) {
    return ProjectionRunner.builder(store).nodeId(node).installSchema(true)
        .leaseDuration(Duration.ofSeconds(1)).pollInterval(Duration.ofMillis(5), Duration.ofMillis(50))
        .projector(projector).build();
  }

  /**
   * Appends {@code total} deposits spread round-robin over {@code streams} accounts, ten events
   * per append; returns the event ids in append order.
   */
  public static List<UUID> appendDeposits(PostgresEventStore store, int streams, int total) {
    List<UUID> ids = new ArrayList<>(total);
    int perStream = total / streams;
    for (int round = 0; round < perStream; round += 10) {
      for (int s = 0; s < streams; s++) {
        List<NewEvent> events = new ArrayList<>();
        for (int i = 0; i < 10 && round + i < perStream; i++) {
          NewEvent e = NewEvent.of(new Deposited(round + i + 1));
          events.add(e);
          ids.add(e.eventId());
        }
        store.append(StreamId.of("account", "s" + s), ExpectedVersion.any(), events);
      }
    }
    return ids;
  }

  public static UUID append(PostgresEventStore store, StreamId stream, Object payload) {
    NewEvent e = NewEvent.of(payload);
    store.append(stream, ExpectedVersion.any(), e);
    return e.eventId();
  }

  /** Every event of the store as a publisher would send it. */
  public static List<OutgoingMessage> messages(PostgresEventStore store) {
    CloudEventMapper mapper = mapper();
    List<OutgoingMessage> out = new ArrayList<>();
    for (dev.annals.core.RecordedEvent e : store.readAll(0, 1000, dev.annals.core.LogFilter.all())) {
      out.add(mapper.toMessage(e));
    }
    return out;
  }

  /** Waits for a condition, failing with {@code what} after {@code timeout}. */
  public static void await(String what, Duration timeout, BooleanSupplier condition) {
    Await.until(what, timeout, condition);
  }

  /** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
  public static int closedPort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Fails with how to start the service when nothing listens on 127.0.0.1:{@code port}. */
  public static void requireListening(String service, int port, String howToStart) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
    } catch (IOException e) {
      throw new AssertionError(service + " is not answering on 127.0.0.1:" + port + " (" + e.getMessage()
          + "); these tests need it running. Start it with: " + howToStart, e);
    }
  }
}
