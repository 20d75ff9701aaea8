package dev.annals.projections;

import dev.annals.core.LogFilter;
import dev.annals.postgres.LogBatch;
import dev.annals.postgres.LogHead;
import dev.annals.postgres.LogReader;
import dev.annals.postgres.PostgresEventStore;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * What the projection tables of a store's schema say, read without any projector's code: every
 * projector version and partition, and the open dead letters. For tools that watch a deployment
 * from outside it, such as the console run standalone. It changes nothing.
 *
 * <p>Without a projector's filter, lag counts every event of the partition's share of the log
 * after its position; {@link ProjectionRunner#status()}, which knows the filter, is exact.
 *
 * <p>Thread-safe: stateless apart from the store.
 */
public final class StoredProjections {

  /** What a projector version is to the projector. */
  public enum Role {
    /** The version serving reads (the views point at its tables). */
    ACTIVE,
    /** A newer version being built beside the active one; it switches by itself once caught up. */
    REBUILDING,
    /** An older version a rebuilt one replaced; its tables stay until dropped. */
    RETIRED
  }

  /**
   * One version of a projector.
   *
   * @param position the smallest checkpoint position of its partitions
   * @param tables the tables its setup was handed ({@link ProjectionRunner#dropRetiredTables}
   *     drops them), schema-qualified; empty when none are recorded (dropped already, or set up
   *     before the projection schema recorded them)
   */
  public record Version(String projector, int version, Role role, int partitions, long position,
      List<String> tables) {

    /** All parts are required. */
    public Version {
      Objects.requireNonNull(projector, "projector");
      Objects.requireNonNull(role, "role");
      tables = List.copyOf(tables);
    }
  }

  private final PostgresEventStore store;
  private final String schema;
  private final Checkpoints checkpoints;
  private final DeadLetters deadLetters;

  private StoredProjections(PostgresEventStore store) {
    this.store = store;
    this.schema = store.schema();
    this.checkpoints = new Checkpoints(schema);
    this.deadLetters = new DeadLetters(schema);
  }

  /** Reads the projection tables in {@code store}'s schema. */
  public static StoredProjections of(PostgresEventStore store) {
    return new StoredProjections(Objects.requireNonNull(store, "store must not be null"));
  }

  /**
   * Whether the schema holds the projection tables.
   *
   * @throws ProjectionException if the database fails
   */
  public boolean installed() {
    return read("look for the projection tables", h -> exists(h, "projection_checkpoints"));
  }

  /**
   * The partitions of every version that is not retired, as {@link ProjectionRunner#status()}
   * gives them, apart from lag (see above); empty without projection tables.
   *
   * @throws ProjectionException if the database fails
   */
  public List<ProjectionStatus> status() {
    record Snapshot(List<Checkpoint> rows, Instant now, Map<String, Integer> active,
        Map<PartitionKey, Long> deadLetters) {}
    Snapshot s = read("read the projectors' status", h -> {
      if (!exists(h, "projection_checkpoints")) {
        return new Snapshot(List.of(), Instant.now(), Map.of(), Map.of());
      }
      List<Checkpoint> rows = checkpoints.listAll(h).stream()
          .filter(c -> c.state() != RowState.RETIRED).toList();
      Instant now = h.createQuery("SELECT clock_timestamp()").mapTo(OffsetDateTime.class).one().toInstant();
      Map<PartitionKey, Long> dead = new HashMap<>();
      for (Checkpoint c : rows) {
        PartitionKey k = c.key();
        dead.put(k, deadLetters.openCounts(h, k.projector(), k.version()).getOrDefault(k.partition(), 0L));
      }
      return new Snapshot(rows, now, active(h), dead);
    });
    if (s.rows().isEmpty()) {
      return List.of();
    }
    LogReader reader = store.logReader();
    LogHead head = reader.head();
    ProjectionStatus.HeldBack heldBack = new ProjectionStatus.HeldBack(head.heldBackEvents(), head.oldestTransaction());
    List<ProjectionStatus> out = new ArrayList<>();
    for (Checkpoint c : s.rows()) {
      LogBatch next = reader.read(c.cursor(), 1, LogFilter.all(), c.key().logPartition());
      long lagEvents = 0;
      double lagSeconds = 0;
      if (!next.isEmpty()) {
        lagEvents = Math.max(1, head.headPosition() - next.events().get(0).position() + 1);
        lagSeconds = Math.max(0, Duration.between(next.events().get(0).recordedAt(), s.now()).toNanos() / 1e9);
      }
      PartitionKey k = c.key();
      boolean live = c.hasLiveOwner(s.now());
      out.add(new ProjectionStatus(
          new ProjectionStatus.Partition(k.projector(), k.version(),
              Integer.valueOf(k.version()).equals(s.active().get(k.projector())), k.partition(), k.partitions()),
          new ProjectionStatus.Health(StatusReader.stateOf(c, s.now()), StatusReader.lastError(c),
              s.deadLetters().getOrDefault(k, 0L)),
          new ProjectionStatus.Position(c.cursor(), head.headPosition(), head.safeHeadPosition(), lagEvents, lagSeconds),
          heldBack,
          new ProjectionStatus.Work(c.processedEvents(), live ? c.eventsPerSecond() : 0),
          live ? Optional.of(new ProjectionStatus.Lease(c.owner(), c.leaseUntil())) : Optional.empty(),
          s.now()));
    }
    return out;
  }

  /**
   * Every version of every projector, retired ones too, by projector and version; empty without
   * projection tables.
   *
   * @throws ProjectionException if the database fails
   */
  public List<Version> versions() {
    return read("read the projector versions", h -> {
      if (!exists(h, "projection_checkpoints")) {
        return List.of();
      }
      Map<String, Integer> active = active(h);
      boolean recorded = exists(h, "projection_tables");
      Map<PartitionKey, List<Checkpoint>> byVersion = new LinkedHashMap<>();
      for (Checkpoint c : checkpoints.listAll(h)) {
        PartitionKey k = c.key();
        byVersion.computeIfAbsent(new PartitionKey(k.projector(), k.version(), 0, k.partitions()),
            x -> new ArrayList<>()).add(c);
      }
      List<Version> out = new ArrayList<>();
      for (var e : byVersion.entrySet()) {
        PartitionKey k = e.getKey();
        List<Checkpoint> rows = e.getValue();
        Integer serving = active.get(k.projector());
        Role role = rows.get(0).state() == RowState.RETIRED || (serving != null && serving > k.version())
            ? Role.RETIRED
            : serving != null && serving == k.version() ? Role.ACTIVE : Role.REBUILDING;
        long position = rows.stream().mapToLong(c -> c.cursor().position()).min().orElse(0);
        List<String> tables = !recorded ? List.of() : h.createQuery("SELECT table_name FROM " + schema
                + ".projection_tables WHERE projector = :projector AND projector_version = :version "
                + "ORDER BY table_name")
            .bind("projector", k.projector()).bind("version", k.version()).mapTo(String.class).list();
        out.add(new Version(k.projector(), k.version(), role, k.partitions(), position, tables));
      }
      return out;
    });
  }

  /**
   * The open dead letters of every projector version, oldest first; empty without projection
   * tables.
   *
   * @throws ProjectionException if the database fails
   */
  public List<DeadLetter> deadLetters() {
    return read("read the dead letters",
        h -> exists(h, "projection_dead_letters") ? deadLetters.openOfAll(h) : List.<DeadLetter>of());
  }

  private Map<String, Integer> active(Handle h) {
    Map<String, Integer> out = new HashMap<>();
    h.createQuery("SELECT projector, active_version FROM " + schema + ".projection_versions")
        .map((rs, ctx) -> Map.entry(rs.getString(1), rs.getInt(2)))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  private boolean exists(Handle h, String table) {
    return h.createQuery("SELECT to_regclass(:t) IS NOT NULL").bind("t", schema + "." + table)
        .mapTo(Boolean.class).one();
  }

  private <R> R read(String operation, org.jdbi.v3.core.HandleCallback<R, RuntimeException> callback) {
    try {
      return store.jdbi().withHandle(callback);
    } catch (ProjectionException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new ProjectionException(operation + " failed in schema '" + schema + "': "
          + Failures.describe(e), e, Failures.isConnectionLoss(e));
    }
  }
}
