package dev.annals.projections;

import dev.annals.core.EventRegistry;
import org.jdbi.v3.core.Handle;

/**
 * The transaction and table names a read-model callback works with: setup, reset, and (through
 * {@link ProjectionContext}) every event handler.
 *
 * <p>Valid only during the callback it was passed to, on that callback's thread.
 */
public interface TableContext {

  /**
   * The Jdbi handle of the transaction the callback runs in. Do not commit, roll back or close
   * it: the runner does, together with the projector's checkpoint.
   */
  Handle handle();

  /**
   * The physical, schema-qualified name of one of the projector's declared tables for this
   * projector version, for example {@code bank.balances_v2} for {@code balances}. Readers use
   * the view {@code bank.balances}, which points at the active version's table.
   *
   * @throws IllegalArgumentException if the projector did not declare {@code logicalName} with
   *     {@link Projector.ReadModelBuilder#tables}
   */
  String table(String logicalName);

  /** The database schema holding the event store, the projection tables and the read model. */
  String schema();

  /** The version of the projector this callback runs for. */
  int version();

  /**
   * The registry the runner decodes events with: the store's, bound to its subject keys, for a
   * callback that reads the log itself (a reset that refolds a view) and must see personal data
   * as the projector does.
   */
  EventRegistry registry();
}
