package dev.annals.postgres;

import dev.annals.core.AggregateType;
import dev.annals.core.AnnalsException;
import dev.annals.core.EventRegistry;
import dev.annals.core.RecordedEvent;
import dev.annals.core.StoreUnavailableException;
import dev.annals.core.StreamId;
import dev.annals.postgres.internal.SqlErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jdbi.v3.core.JdbiException;

/**
 * Checks every stored snapshot of an aggregate type against a replay of its stream up to the
 * snapshot's version: the auditor's answer to a snapshot forged by someone who could write the
 * table and copy the right link hash. Also reports a snapshot not bound to its stream's hash chain
 * and, when the store has a {@link SnapshotSigning} key, one whose signature is missing or wrong.
 *
 * <p>A snapshot matches when its state, in canonical JSON, equals the replayed state encoded with
 * the store's registry, or decodes to a state equal to it. Snapshots of another state schema
 * version are skipped: loads never use them. Each stream's events are read once, up to its newest
 * snapshot, a page at a time; snapshots are listed a page at a time too, so memory stays flat and
 * no connection is held for the whole run. Obtain one from
 * {@link PostgresEventStore#snapshotVerifier()}. Thread-safe.
 */
public final class SnapshotVerifier {

  private static final int PAGE = 500;
  private static final int EVENT_PAGE = 1000;
  private static final int SHOWN = 200;

  private final PostgresEventStore store;
  private final Optional<SnapshotSigning> signing;

  SnapshotVerifier(PostgresEventStore store, Optional<SnapshotSigning> signing) {
    this.store = store;
    this.signing = signing;
  }

  /** What is wrong with a snapshot. */
  public enum Kind {
    /** Its state differs from a replay of its stream up to its version. */
    STATE_DIFFERS,
    /** Its link hash is not that of its stream's event at its version, or there is no such event. */
    LINK_MISMATCH,
    /** The store signs snapshots, and this one's signature is missing or not the key's. */
    BAD_SIGNATURE,
    /** Its stream cannot be replayed up to its version (an event does not decode), or its state does not decode. */
    UNREADABLE
  }

  /**
   * One problem of one snapshot; a snapshot may have several.
   *
   * @param streamId the snapshot's stream
   * @param version the stream version it claims to be taken at
   * @param kind what is wrong
   * @param detail a sentence for humans
   */
  public record Finding(StreamId streamId, long version, Kind kind, String detail) {}

  /**
   * The outcome.
   *
   * @param snapshotsChecked snapshots compared with a replay
   * @param snapshotsSkipped snapshots of another state schema version, which loads ignore
   * @param findings every problem, in stream and version order
   */
  public record Report(long snapshotsChecked, long snapshotsSkipped, List<Finding> findings) {
    public Report {
      findings = List.copyOf(findings);
    }

    /** Whether every checked snapshot matches. */
    public boolean intact() {
      return findings.isEmpty();
    }
  }

  /**
   * Verifies every stored snapshot of {@code type}'s streams.
   *
   * @throws IllegalArgumentException if {@code type} declares no snapshot state
   * @throws StoreUnavailableException if the database cannot be reached
   */
  public <S> Report verify(AggregateType<?, S, ?> type) {
    Objects.requireNonNull(type, "aggregate type must not be null");
    Class<S> stateType = type.stateType().orElseThrow(() -> new IllegalArgumentException(type
        + " declares no snapshot state (AggregateType.Builder.snapshots), so it has no snapshots to verify"));
    Run<S> run = new Run<>(type, stateType);
    String prefix = type.category() + "-";
    String afterStream = prefix;
    long afterVersion = 0;
    while (true) {
      List<StoredSnapshot> page = page(prefix, afterStream, afterVersion);
      for (StoredSnapshot s : page) {
        run.check(s);
      }
      if (page.size() < PAGE) {
        break;
      }
      StoredSnapshot last = page.get(page.size() - 1);
      afterStream = last.stream();
      afterVersion = last.version();
    }
    return new Report(run.checked, run.skipped, run.findings);
  }

  private record StoredSnapshot(String stream, long version, int schemaVersion, String state, byte[] link,
      byte[] signature, byte[] chainLink) {}

  private List<StoredSnapshot> page(String prefix, String afterStream, long afterVersion) {
    String schema = store.schema();
    try {
      return store.jdbi().withHandle(h -> h.createQuery("SELECT s.stream_id, s.version, s.schema_version, "
              + "s.state::text AS state, s.link_hash, s.signature, e.hash AS chain_link FROM " + schema
              + ".snapshots s LEFT JOIN " + schema + ".events e ON e.stream_id = s.stream_id AND e.version = s.version "
              + "WHERE left(s.stream_id, :length) = :prefix AND (s.stream_id, s.version) > (:stream, :version) "
              + "ORDER BY s.stream_id, s.version LIMIT :limit")
          .bind("length", prefix.length())
          .bind("prefix", prefix)
          .bind("stream", afterStream)
          .bind("version", afterVersion)
          .bind("limit", PAGE)
          .map((rs, ctx) -> new StoredSnapshot(rs.getString("stream_id"), rs.getLong("version"),
              rs.getInt("schema_version"), rs.getString("state"), rs.getBytes("link_hash"),
              rs.getBytes("signature"), rs.getBytes("chain_link")))
          .list());
    } catch (JdbiException e) {
      throw SqlErrors.translate("list the snapshots", schema, e);
    }
  }

  /** One verification: the replay of the stream being checked, carried from snapshot to snapshot. */
  private final class Run<S> {
    private final AggregateType<?, S, ?> type;
    private final Class<S> stateType;
    private final EventRegistry registry = store.registry();
    private final List<Finding> findings = new ArrayList<>();
    private long checked;
    private long skipped;
    private StreamId streamId;
    private S state;
    private long version;
    /** Why the current stream cannot be replayed further, once it cannot. */
    private String broken;

    Run(AggregateType<?, S, ?> type, Class<S> stateType) {
      this.type = type;
      this.stateType = stateType;
    }

    void check(StoredSnapshot s) {
      StreamId id;
      try {
        id = StreamId.parse(s.stream());
      } catch (IllegalArgumentException e) {
        return; // no stream id at all: no load can ever ask for it
      }
      if (s.schemaVersion() != type.stateSchemaVersion()) {
        skipped++;
        return;
      }
      checked++;
      SnapshotBinding.check(id, s.version(), s.schemaVersion(), s.state(), s.link(), s.signature(),
          s.chainLink(), signing).ifPresent(r -> findings.add(new Finding(id, s.version(), r.kind(), r.reason())));
      if (!id.equals(streamId)) {
        streamId = id;
        state = type.decider().initialState();
        version = 0;
        broken = null;
      }
      replayTo(s.version());
      if (broken != null) {
        findings.add(new Finding(id, s.version(), Kind.UNREADABLE, broken));
      } else if (version < s.version()) {
        if (s.chainLink() != null) {
          // The link check found the event, so the replay must have: say so rather than guess.
          findings.add(new Finding(id, s.version(), Kind.UNREADABLE, "the stream's event at version "
              + s.version() + " exists but a replay stopped at version " + version));
        }
        // Else the link finding already says the stream has no event there.
      } else {
        compare(id, s);
      }
    }

    private void compare(StreamId id, StoredSnapshot s) {
      String replayed = registry.toJson(state);
      try {
        if (ContentDigest.canonical(replayed).equals(ContentDigest.canonical(s.state()))) {
          return;
        }
        if (state.equals(registry.fromJson(s.state(), stateType))) {
          return;
        }
      } catch (RuntimeException e) {
        findings.add(new Finding(id, s.version(), Kind.UNREADABLE, "its state does not decode as a "
            + stateType.getSimpleName() + ": " + firstLine(e.getMessage())));
        return;
      }
      findings.add(new Finding(id, s.version(), Kind.STATE_DIFFERS, "it holds " + shorten(s.state())
          + " but a replay of events 1 to " + s.version() + " gives " + shorten(replayed)));
    }

    private void replayTo(long target) {
      while (broken == null && version < target) {
        int limit = (int) Math.min(EVENT_PAGE, target - version);
        List<RecordedEvent> events;
        try {
          events = store.readStream(streamId, version + 1, limit);
        } catch (StoreUnavailableException e) {
          throw e;
        } catch (AnnalsException e) {
          broken = "its stream cannot be replayed past version " + version + ": " + firstLine(e.getMessage());
          return;
        }
        for (RecordedEvent r : events) {
          if (!type.eventType().isInstance(r.payload())) {
            broken = "event " + r.version() + " of its stream is a " + r.payload().getClass().getName()
                + ", not a " + type.eventType().getName();
            return;
          }
          state = evolve(type, state, r.payload());
          version = r.version();
        }
        if (events.size() < limit) {
          return;
        }
      }
    }
  }

  private static <S, E> S evolve(AggregateType<?, S, E> type, S state, Object event) {
    return type.decider().evolve(state, type.eventType().cast(event));
  }

  private static String shorten(String json) {
    return json.length() <= SHOWN ? json : json.substring(0, SHOWN) + "...";
  }

  private static String firstLine(String message) {
    return String.valueOf(message).lines().findFirst().orElse("");
  }
}
