package dev.annals.postgres;

import dev.annals.core.ExpectedVersion;

/**
 * The append's contract with SQL, in one place: how an {@link ExpectedVersion} travels to the
 * database, the two statements the store sends, and how their answer reads.
 *
 * <p>The append functions ({@code append_events}, and {@code append_event} kept for clients of
 * schema version 4) take the expectation as {@code p_expected bigint}: {@value #ANY} any,
 * {@value #STREAM_EXISTS} stream exists, 0 no stream, n (1 or more) exactly n. They answer
 * {@code (status, actual_version, first_version, first_position, last_position)}, where status is
 * 0 written, 1 version conflict (nothing written; actual_version set) or 2 transaction order
 * conflict (nothing written; only a new transaction can succeed: another transaction wrote the
 * stream since this one took its id, or its id is below the horizon fence); {@code append_group} answers
 * each append of a group alike, and with 3 when an event id of it is stored already. The functions are in the
 * migrations under {@code schema/} and, as they stand today, in {@code schema/current.sql}.
 */
final class AppendSql {

  /** {@code p_expected} for {@link ExpectedVersion#any()}. */
  static final long ANY = -1;
  /** {@code p_expected} for {@link ExpectedVersion#streamExists()}. */
  static final long STREAM_EXISTS = -2;

  /**
   * Settings for the group statements' own transaction. The cached generic plan of a group fell
   * to a sequential scan of the log, so sequential scans are off. That alone made every group
   * statement cost over 10^10 (the penalty lands on the scan of the fence sequence, which has no
   * other path), far above {@code jit_above_cost}: PostgreSQL then compiled each group with LLVM,
   * measured at 0.5 s of server CPU for a statement that runs in about a millisecond. So JIT is off
   * for these transactions too.
   */
  private static final String PLANNER_SETTINGS =
      "set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)";

  /** A text[] parameter made jsonb[] element by element (see the constructor). */
  private static final String JSONB_ARRAY =
      "(SELECT array_agg(CAST(j AS jsonb) ORDER BY o) FROM unnest(CAST(? AS text[])) WITH ORDINALITY AS t(j, o))";

  /** What an append did. */
  enum Status {
    WRITTEN, VERSION_CONFLICT, ORDER_CONFLICT,
    /** An event id of the append is stored already; only {@code append_group} answers it. */
    STORED_BEFORE;

    static Status of(long code) {
      if (code < 0 || code >= values().length) {
        throw new IllegalArgumentException("no append status " + code);
      }
      return values()[(int) code];
    }
  }

  /**
   * The append functions' answer; a field the answer leaves empty (nothing written) is 0.
   *
   * @param actualVersion the stream's version afterwards (written) or as found (a conflict)
   */
  record Outcome(Status status, long actualVersion, long firstVersion, long firstPosition, long lastPosition) {

    /** One event written at {@code version} and {@code position}. */
    static Outcome written(long version, long position) {
      return new Outcome(Status.WRITTEN, version, version, position, position);
    }
  }

  /** The call of {@code append_events}, answering its record as text: see {@link #outcome}. */
  final String appendEvents;
  /**
   * The call of {@code append_group} (schema version 7): a group of appends of several streams
   * in one transaction, answered by five arrays with one element per append (status, actual
   * version, first version, first position, last position), after the planner settings of its
   * transaction (the first statement).
   */
  final String appendGroup;
  /**
   * A group of single-event appends, each at an exact version of an existing stream, streams all
   * different: {@link #appendOne} for many streams at once, one statement of two, sent with one
   * Sync (so in autocommit one implicit transaction, as the log reader does): the planner setting
   * first, so that the statement's cached plan looks event ids and streams up by index whatever
   * the log's size was when it was planned, and locks the streams in the order given. Its answer
   * has a row (ordinal in the group, version, position) per append written; an append it did not
   * write (a conflict, an order conflict, a missing stream, an event id stored before) has no row.
   */
  final String appendSingles;
  /**
   * One event at an exact version of an existing stream, as one statement: an answer row of
   * (version, position) when written, none when it wrote nothing (a conflict, a missing stream or
   * an order conflict, which {@link #appendEvents} then tells apart).
   */
  final String appendOne;

  AppendSql(String schema) {
    // Payloads travel as text[] and become jsonb one element at a time: a cast of the whole
    // text[] to jsonb[] measured several times slower per element than unnest and array_agg.
    // The function is called in the select list and its record read as text, "(0,7,7,42,42)":
    // a call in FROM goes through a function scan that measured a tenth more per append.
    this.appendEvents = "SELECT " + schema + ".append_events(?, ?, ?, ?, ?, ?, " + JSONB_ARRAY + ", "
        + JSONB_ARRAY + ", ?)::text";
    this.appendSingles = "SELECT " + PLANNER_SETTINGS + "; "
        + "WITH i AS (SELECT * FROM unnest(CAST(? AS text[]), CAST(? AS int8[]), CAST(? AS bytea[]), "
        + "CAST(? AS text[]), CAST(? AS uuid[]), CAST(? AS text[]), CAST(? AS int4[]), CAST(? AS text[]), "
        + "CAST(? AS text[])) WITH ORDINALITY AS i(stream_id, expected, digest, category, event_id, type, "
        + "schema_version, payload, metadata, n)), "
        + "u AS (UPDATE " + schema + ".streams AS st SET version = st.version + 1, "
        + "head_hash = sha256(st.head_hash || i.digest || int8send(st.version + 1) || timestamptz_send(x.now)), "
        + "last_xid = pg_current_xact_id() FROM i, (SELECT clock_timestamp() AS now) AS x "
        + "WHERE st.stream_id = i.stream_id AND st.version = i.expected AND st.last_xid <= pg_current_xact_id() "
        + "AND pg_current_xact_id() >= " + fenceAfterLock(schema) + " "
        + "AND NOT EXISTS (SELECT 1 FROM " + schema + ".events AS e WHERE e.event_id = i.event_id) "
        + "RETURNING i.n, st.stream_id, st.version, st.head_hash, x.now), "
        + "w AS (INSERT INTO " + schema + ".events (stream_id, category, version, event_id, type, schema_version, "
        + "payload, metadata, recorded_at, hash) SELECT u.stream_id, i.category, u.version, i.event_id, i.type, "
        + "i.schema_version, CAST(i.payload AS jsonb), CAST(i.metadata AS jsonb), u.now, u.head_hash "
        + "FROM u JOIN i ON i.n = u.n ORDER BY u.n RETURNING stream_id, position) "
        + "SELECT u.n, u.version, w.position FROM w JOIN u ON u.stream_id = w.stream_id";
    this.appendGroup = "SELECT " + PLANNER_SETTINGS + "; SELECT * FROM " + schema + ".append_group(?, ?, ?, ?, ?, ?, ?, " + JSONB_ARRAY + ", "
        + JSONB_ARRAY + ", ?)";
    // Most commands produce one event for a stream at the version they loaded. That append is
    // one statement, no function: the update of the stream row checks the version and the
    // transaction order and computes the hash-chain link (chain_hash() written out, with the
    // time taken once for link and row), and the insert stores the event with that link. When
    // the update finds nothing to change, nothing is written and append_events gives the answer.
    this.appendOne = "WITH s AS (UPDATE " + schema + ".streams AS st SET version = st.version + 1, "
        + "head_hash = sha256(st.head_hash || ? || int8send(st.version + 1) || timestamptz_send(x.now)), "
        + "last_xid = pg_current_xact_id() FROM (SELECT clock_timestamp() AS now) AS x "
        + "WHERE st.stream_id = ? AND st.version = ? AND st.last_xid <= pg_current_xact_id() "
        + "AND pg_current_xact_id() >= " + fenceAfterLock(schema) + " "
        + "RETURNING st.version, st.head_hash, x.now) "
        + "INSERT INTO " + schema + ".events (stream_id, category, version, event_id, type, schema_version, "
        + "payload, metadata, recorded_at, hash) SELECT ?, ?, s.version, CAST(? AS uuid), ?, ?, "
        + "CAST(? AS jsonb), CAST(? AS jsonb), s.now, s.head_hash FROM s RETURNING version, position";
  }

  /**
   * The key of the store's append lock: every append holds it shared until commit, the horizon
   * advancer takes it exclusively (schema version 8, {@code V8__horizon_fence.sql}).
   */
  static String appendLockKey(String schema) {
    return "hashtextextended('annals.append:" + schema + "', 0)";
  }

  /**
   * The append fence, read after taking the append lock shared. The CASE orders the two: its
   * condition runs first, and the subquery, an init plan, runs only when the branch is evaluated,
   * so a fence moved while this append waited for the lock is the one compared. Appends below it
   * write nothing and {@link #appendEvents} reports the transaction order conflict.
   */
  static String fenceAfterLock(String schema) {
    return "(CASE WHEN pg_advisory_xact_lock_shared(" + appendLockKey(schema) + ") IS NULL THEN NULL "
        + "ELSE (SELECT CAST(CAST(f.last_value AS text) AS xid8) FROM " + schema + ".append_fence f) END)";
  }

  /** {@code p_expected} for {@code expected}. */
  static long expected(ExpectedVersion expected) {
    if (expected instanceof ExpectedVersion.Exactly e) {
      return e.version();
    }
    if (expected instanceof ExpectedVersion.NoStream) {
      return 0;
    }
    if (expected instanceof ExpectedVersion.StreamExists) {
      return STREAM_EXISTS;
    }
    return ANY;
  }

  /** Whether {@link #appendOne} can take an append of {@code events} events at {@code expected}. */
  static boolean singleStatement(int events, ExpectedVersion expected) {
    // Its update needs the stream row, so the stream must exist at exactly that version.
    return events == 1 && expected instanceof ExpectedVersion.Exactly e && e.version() >= 1;
  }

  /**
   * Reads the text of the append functions' record, such as {@code (0,107,8,9000,9099)}.
   *
   * @throws IllegalStateException naming the text when it is anything else
   */
  static Outcome outcome(String record) {
    long[] fields = new long[5];
    int field = 0;
    long value = 0;
    boolean wellFormed = record.length() > 1 && record.charAt(0) == '(';
    for (int i = 1; wellFormed && i < record.length(); i++) {
      char ch = record.charAt(i);
      if (ch == ',' || ch == ')') {
        wellFormed = field < 5 && (ch == ')') == (i == record.length() - 1);
        if (wellFormed) {
          fields[field++] = value;
        }
        value = 0;
      } else {
        wellFormed = ch >= '0' && ch <= '9';
        value = value * 10 + (ch - '0');
      }
    }
    // The single-stream functions answer 0 to 2; only append_group knows STORED_BEFORE.
    if (!wellFormed || field != 5 || fields[0] > Status.ORDER_CONFLICT.ordinal()) {
      throw new IllegalStateException("unexpected answer from the append function: " + record);
    }
    return new Outcome(Status.of(fields[0]), fields[1], fields[2], fields[3], fields[4]);
  }
}
