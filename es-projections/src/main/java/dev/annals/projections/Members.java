package dev.annals.projections;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jdbi.v3.core.Jdbi;

/**
 * The nodes that run each projector version, and how many of its partitions each should own.
 *
 * <p>Every supervisor tick renews this node's membership row and reads the live members and
 * who holds a live lease on which partition; {@link #balance} then says how many partitions this
 * node should take or give up so that every member ends up with an even share. Giving a partition
 * up is the ordinary graceful release after the batch in flight, so a hand-over is fenced like any
 * other change of owner (the checkpoint row).
 *
 * <p>A node's row lives for two thirds of a lease after its last heartbeat. A dead node's row
 * therefore ends no later than the leases it held (renewed at least every third of a lease), so
 * when its partitions come free the survivors already count one node less and have room for them.
 * A live node that misses a heartbeat on a starved machine only makes the others take a little
 * more for a moment. Thread-safe: stateless.
 */
final class Members {

  /**
   * What the members of one projector version look like from this node.
   *
   * @param members the live members in node order, this node among them
   * @param partitions how many partitions can run (not paused, failed or retired)
   * @param owners the node holding a live lease on each runnable partition that has one
   */
  record View(List<String> members, int partitions, Map<Integer, String> owners) {
    View {
      members = List.copyOf(members);
      owners = Map.copyOf(owners);
    }

    /** How many partitions {@code node} holds a live lease on. */
    int owned(String node) {
      return (int) owners.values().stream().filter(node::equals).count();
    }
  }

  /**
   * How many partitions this node should claim at most, or give up. Never both.
   */
  record Balance(int take, int shed) {}

  private final String table;
  private final String checkpoints;

  Members(String schema) {
    this.table = schema + ".projection_members";
    this.checkpoints = schema + ".projection_checkpoints";
  }

  /** How long a membership row lives without a heartbeat. */
  static Duration alive(Duration lease) {
    return lease.multipliedBy(2).dividedBy(3);
  }

  /** Renews {@code node}'s row for a projector version and reads what the others do. */
  View heartbeat(Jdbi jdbi, String projector, int version, String node, Duration lease) {
    return jdbi.inTransaction(h -> {
      h.createUpdate("INSERT INTO " + table + " (projector, projector_version, node_id, alive_until) "
              + "VALUES (:projector, :version, :node, clock_timestamp() + make_interval(secs => "
              + "CAST(:aliveMillis AS double precision) / 1000)) "
              + "ON CONFLICT (projector, projector_version, node_id) DO UPDATE SET alive_until = EXCLUDED.alive_until")
          .bind("projector", projector).bind("version", version).bind("node", node)
          .bind("aliveMillis", alive(lease).toMillis())
          .execute();
      List<String> members = h.createQuery("SELECT node_id FROM " + table + " WHERE projector = :projector "
              + "AND projector_version = :version AND (alive_until >= clock_timestamp() OR node_id = :node) "
              + "ORDER BY node_id COLLATE \"C\"")
          .bind("projector", projector).bind("version", version).bind("node", node)
          .mapTo(String.class).list();
      Map<Integer, String> owners = new HashMap<>();
      int[] partitions = {0};
      h.createQuery("SELECT partition_index, CASE WHEN lease_until >= clock_timestamp() THEN owner_node END "
              + "AS owner FROM " + checkpoints + " WHERE projector = :projector "
              + "AND projector_version = :version AND state IN ('RUNNING', 'CATCHING_UP', 'REBUILDING')")
          .bind("projector", projector).bind("version", version)
          .map((rs, ctx) -> {
            partitions[0]++;
            String owner = rs.getString("owner");
            if (owner != null) {
              owners.put(rs.getInt("partition_index"), owner);
            }
            return owner;
          }).list();
      return new View(members, partitions[0], owners);
    });
  }

  /** Removes {@code node}'s rows for these projectors (it stopped them), and rows long dead. */
  void leave(Jdbi jdbi, String node, Collection<String> projectors) {
    jdbi.useHandle(h -> h.createUpdate("DELETE FROM " + table + " WHERE (node_id = :node "
            + "AND projector = ANY(:projectors)) OR alive_until < clock_timestamp() - interval '1 day'")
        .bind("node", node).bindArray("projectors", String.class, (Object[]) projectors.toArray(new String[0]))
        .execute());
  }

  /**
   * The rules that spread the partitions over the members: each should hold between
   * {@code partitions / members} (the floor) and that rounded up (the ceiling).
   *
   * <ul>
   *   <li>above the ceiling: give the extra up;
   *   <li>above the floor while another member is below it (a node that just joined): give one
   *       up, so the newcomer gets it;
   *   <li>else take free partitions up to the ceiling, or only up to the floor while another
   *       member is below it, so the ones given up go to the newcomer.
   * </ul>
   *
   * A member with nothing to do is never counted as below the floor when the floor is zero, so a
   * node stalled in a handler, whose lease ran out, is simply replaced.
   */
  static Balance balance(View view, String node) {
    int n = Math.max(1, view.members().size());
    int floor = view.partitions() / n;
    int ceiling = floor + (view.partitions() % n == 0 ? 0 : 1);
    int mine = view.owned(node);
    boolean starving = view.members().stream().anyMatch(m -> !m.equals(node) && view.owned(m) < floor);
    if (mine > ceiling) {
      return new Balance(0, mine - ceiling);
    }
    if (starving && mine > floor) {
      return new Balance(0, 1);
    }
    return new Balance(Math.max(0, (starving ? floor : ceiling) - mine), 0);
  }
}
