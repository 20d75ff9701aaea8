package dev.annals.console;

import dev.annals.core.EventRegistry;
import dev.annals.core.ExpectedVersion;
import dev.annals.core.Metadata;
import dev.annals.core.NewEvent;
import dev.annals.core.StreamId;
import dev.annals.postgres.PostgresEventStore;
import java.util.List;

/**
 * Records every console action as an event in the store itself, in stream
 * {@code console-audit}, so that what operators did is as durable and as tamper-evident as
 * the rest of the log. Written through a view of the store with the console's own registry, so
 * the application need not register the type; projectors that read every category see these
 * events too and should filter by category (docs/console.md).
 */
final class Audit {

  static final String CATEGORY = "console";
  static final String TYPE = "annals.console.ActionRecorded";
  static final StreamId STREAM = StreamId.of(CATEGORY, "audit");

  /**
   * One console action.
   *
   * @param user who did it
   * @param action what: pause, resume, replay, retry, retry-stream, discard, verify
   * @param target what it was done to: a projector, a dead letter, a stream, the log
   * @param detail what exactly was done, as the confirmation said it
   * @param reason why, as the operator gave it (may be empty)
   * @param outcome "done", or "failed: " and one line
   */
  record ActionRecorded(String user, String action, String target, String detail, String reason,
      String outcome) {}

  private final PostgresEventStore store;

  Audit(PostgresEventStore store) {
    this.store = store.withRegistry(EventRegistry.builder().register(ActionRecorded.class, TYPE).build());
  }

  void record(ActionRecorded action) {
    store.append(STREAM, ExpectedVersion.any(),
        List.of(NewEvent.of(action, Metadata.empty().withActor(action.user()))));
  }
}
