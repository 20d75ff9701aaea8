package dev.annals.projections;

import dev.annals.postgres.LogCursor;
import dev.annals.postgres.LogReader;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;

/**
 * Projector versions: creating a version's checkpoint rows and tables, and switching reads to
 * a rebuilt version.
 *
 * <p>Every operation that changes several rows of a projector (install, switch, reset, pause,
 * resume) first takes a transaction-scoped advisory lock on the projector's name, so they never
 * interleave, on any node. Batch transactions lock one checkpoint row and never this lock, so
 * there is no lock cycle between the two.
 */
final class Versions {

  /** What a runner is to do with its version of a projector. */
  enum Role {
    /** The version serving reads. */
    ACTIVE,
    /** A newer version being built beside the active one. */
    REBUILDING,
    /** An older version than the active one: it must not run. */
    RETIRED
  }

  private final Engine engine;
  private final String table;
  private final String tables;

  Versions(Engine engine) {
    this.engine = engine;
    this.table = engine.schema() + ".projection_versions";
    this.tables = engine.schema() + ".projection_tables";
  }

  void lockProjector(Handle h, String projector) {
    h.createQuery("SELECT 1 FROM pg_advisory_xact_lock(hashtext(:key))")
        .bind("key", "annals.projector:" + engine.schema() + "." + projector)
        .mapTo(Integer.class).one();
  }

  Optional<Integer> active(Handle h, String projector) {
    return h.createQuery("SELECT active_version FROM " + table + " WHERE projector = :projector")
        .bind("projector", projector).mapTo(Integer.class).findOne();
  }

  /**
   * Makes sure this projector version has its checkpoint rows and tables: creates them (running
   * its setup) the first time, in one transaction. The first version of a projector becomes
   * active at once, with its views; a newer version than the active one is rebuilt beside it;
   * an older one is retired.
   *
   * @throws IllegalStateException if the stored partition count differs from the projector's
   * @throws ProjectionException if setup fails or the database does
   */
  Role install(Projector p) {
    try {
      return engine.jdbi().inTransaction(h -> {
        lockProjector(h, p.name());
        Optional<Integer> active = active(h, p.name());
        List<Checkpoint> rows = engine.checkpoints.list(h, p.name(), p.version(), false);
        if (!rows.isEmpty()) {
          int stored = rows.get(0).key().partitions();
          if (stored != p.partitions()) {
            throw new IllegalStateException("projector " + p.name() + " version " + p.version()
                + " has " + stored + " partitions in schema '" + engine.schema() + "' but the code "
                + "declares " + p.partitions() + "; changing the partition count needs a new version");
          }
          if (rows.get(0).state() == RowState.RETIRED || active.orElse(0) > p.version()) {
            return Role.RETIRED;
          }
          return active.orElse(p.version()) == p.version() ? Role.ACTIVE : Role.REBUILDING;
        }
        if (active.isPresent() && active.get() > p.version()) {
          return Role.RETIRED;
        }
        boolean first = active.isEmpty() || active.get() == p.version();
        LogCursor horizon = LogCursor.START;
        if (!first) {
          // Events the serving version has processed are replays for the new one.
          horizon = engine.checkpoints.list(h, p.name(), active.get(), false).stream()
              .map(Checkpoint::cursor).min(LogCursor::compareTo).orElse(LogCursor.START);
        }
        RowState state = first ? RowState.CATCHING_UP : RowState.REBUILDING;
        engine.checkpoints.create(h, p.name(), p.version(), p.partitions(), horizon, state);
        if (p.setup().isPresent()) {
          Set<String> handedOut = new LinkedHashSet<>();
          try {
            p.setup().get().create(Contexts.recording(h, engine.schema(), engine.registry(), p, p.version(),
                handedOut));
          } catch (Exception e) {
            throw new ProjectionException("setup of projector " + p.name() + " version "
                + p.version() + " failed: " + Failures.describe(e), e, false);
          }
          recordTables(h, p, handedOut);
        }
        if (first) {
          serveReads(h, p);
        }
        Engine.LOG.log(System.Logger.Level.INFO, "projector {0} version {1} installed in schema {2}{3}",
            p.name(), p.version(), engine.schema(), first ? "" : " and rebuilding beside version " + active.get());
        return first ? Role.ACTIVE : Role.REBUILDING;
      });
    } catch (IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw engine.failure("installing projector " + p.name() + " version " + p.version(), e);
    }
  }

  /**
   * Switches reads to this (rebuilding) version if every partition of it is within one batch
   * of the log's safe head: in one transaction, repoints the views, records the version as
   * active, and retires the older versions (whose workers are fenced out by the state change).
   * Exactly once: the active version is checked under the projector lock.
   *
   * @return whether this call switched
   */
  boolean trySwitch(Projector p, LogReader reader) {
    // First without locks, since reading the log takes another connection: holding row locks
    // while waiting for a pooled connection could stall the partitions' batches.
    List<Checkpoint> seen = engine.jdbi().withHandle(h -> engine.checkpoints.list(h, p.name(), p.version(), false));
    if (seen.isEmpty() || seen.stream().anyMatch(c -> c.state() != RowState.REBUILDING)) {
      return false;
    }
    for (Checkpoint c : seen) {
      if (reader.read(c.cursor(), p.batchSize(), p.filter(), c.key().logPartition()).events().size()
          >= p.batchSize()) {
        return false;
      }
    }
    boolean switched = engine.jdbi().inTransaction(h -> {
      lockProjector(h, p.name());
      Optional<Integer> active = active(h, p.name());
      if (active.isPresent() && active.get() >= p.version()) {
        return false;
      }
      List<Checkpoint> locked = engine.checkpoints.list(h, p.name(), p.version(), true);
      for (int i = 0; i < locked.size(); i++) {
        Checkpoint now = locked.get(i);
        if (now.state() != RowState.REBUILDING || now.cursor().compareTo(seen.get(i).cursor()) < 0) {
          return false;
        }
      }
      serveReads(h, p);
      engine.checkpoints.activate(h, p.name(), p.version());
      return true;
    });
    if (switched) {
      Engine.LOG.log(System.Logger.Level.INFO, "projector {0} switched to version {1}: its views "
          + "now read the new tables and older versions are retired", p.name(), p.version());
    }
    return switched;
  }

  /** Makes this version the one reads go to: its views, and the active version recorded. */
  private void serveReads(Handle h, Projector p) {
    createViews(h, p);
    h.createUpdate("INSERT INTO " + table + " (projector, active_version) VALUES (:projector, :version) "
            + "ON CONFLICT (projector) DO UPDATE SET active_version = excluded.active_version, "
            + "switched_at = clock_timestamp()")
        .bind("projector", p.name()).bind("version", p.version()).execute();
  }

  /** Points each logical table's view at this version's table. */
  private void createViews(Handle h, Projector p) {
    for (String t : p.tables()) {
      String view = engine.schema() + "." + t;
      // Drop and create rather than CREATE OR REPLACE: a new version may change the columns.
      // Both happen in the caller's transaction, so readers see the old view or the new one.
      h.execute("DROP VIEW IF EXISTS " + view);
      h.execute("CREATE VIEW " + view + " AS SELECT * FROM " + Contexts.physical(engine.schema(), t, p.version()));
    }
  }

  private void recordTables(Handle h, Projector p, Set<String> names) {
    for (String name : names) {
      h.createUpdate("INSERT INTO " + tables + " (projector, projector_version, table_name) "
              + "VALUES (:projector, :version, :name) ON CONFLICT DO NOTHING")
          .bind("projector", p.name()).bind("version", p.version()).bind("name", name).execute();
    }
  }

  /**
   * Drops the tables a retired version's setup was handed, and forgets them, in one transaction
   * under the projector lock, so the version cannot become active meanwhile.
   *
   * @return the dropped tables' schema-qualified names
   */
  List<String> dropRetiredTables(String projector, int version) {
    List<String> dropped = engine.jdbi().inTransaction(h -> {
      lockProjector(h, projector);
      // Without row locks: a batch in flight holds its row, and only actions under the projector
      // lock (held here) retire a version or make it active.
      List<Checkpoint> rows = engine.checkpoints.list(h, projector, version, false);
      if (rows.isEmpty()) {
        throw new IllegalArgumentException("projector " + projector + " has no version " + version
            + " in schema '" + engine.schema() + "'");
      }
      if (rows.get(0).state() != RowState.RETIRED) {
        boolean active = active(h, projector).map(a -> a == version).orElse(false);
        throw new IllegalStateException("projector " + projector + " version " + version + " is "
            + (active ? "active: it serves reads" : "being rebuilt: it switches by itself once caught up")
            + "; only a retired version's tables can be dropped");
      }
      List<String> names = h.createQuery("SELECT table_name FROM " + tables
              + " WHERE projector = :projector AND projector_version = :version ORDER BY table_name")
          .bind("projector", projector).bind("version", version).mapTo(String.class).list();
      if (names.isEmpty()) {
        throw new IllegalStateException("projector " + projector + " version " + version
            + " has no recorded tables: they were dropped already, or it was set up before the "
            + "projection schema recorded them (version 3); drop them by hand if any are left");
      }
      for (String name : names) {
        // The rows are writable by the application role: drop only what setup could have been
        // handed for this version (Contexts.physical), never another table named there.
        if (!name.matches(java.util.regex.Pattern.quote(engine.schema() + ".") + "[a-z][a-z0-9_]{0,40}_v" + version)) {
          throw new IllegalStateException("projector " + projector + " version " + version + " records table '"
              + name + "', which is not a name its setup could have been handed; nothing was dropped");
        }
      }
      for (String name : names) {
        List<String> views = viewsOver(h, name);
        if (!views.isEmpty()) {
          throw new IllegalStateException("table " + name + " of projector " + projector + " version "
              + version + " is read by " + String.join(", ", views) + "; nothing was dropped");
        }
      }
      for (String name : names) {
        // The names were handed out by Contexts.physical from validated identifiers.
        h.execute("DROP TABLE IF EXISTS " + name);
      }
      h.createUpdate("DELETE FROM " + tables + " WHERE projector = :projector AND projector_version = :version")
          .bind("projector", projector).bind("version", version).execute();
      return names;
    });
    Engine.LOG.log(System.Logger.Level.INFO, "projector {0} version {1}: retired tables {2} dropped",
        projector, version, dropped);
    return dropped;
  }

  /** The views (schema-qualified) whose query reads {@code table}, if it exists. */
  private static List<String> viewsOver(Handle h, String table) {
    return h.createQuery("SELECT DISTINCT v.oid::regclass::text FROM pg_depend d "
            + "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
            + "WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass "
            + "AND d.refobjid = to_regclass(:table) AND v.oid <> d.refobjid ORDER BY 1")
        .bind("table", table).mapTo(String.class).list();
  }
}
