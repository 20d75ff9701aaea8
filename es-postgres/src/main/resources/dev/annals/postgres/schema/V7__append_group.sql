-- Annals event store, schema version 7: group commit.
--
-- Concurrent appends that run in no caller's transaction are gathered by the client (see
-- GroupCommit) and written by one call of append_group, in one transaction: each append keeps
-- its own outcome (written, version conflict, transaction order conflict, or events stored
-- before), and one append's conflict never stops the others. The commit, the statement and the
-- insert are shared, which is what a transaction per append pays for on its own.
CREATE FUNCTION ${schema}.append_group(p_counts integer[], p_expected bigint[], p_streams text[],
        p_categories text[], p_event_ids uuid[], p_types text[], p_schema_versions integer[],
        p_payloads jsonb[], p_metadata jsonb[], p_digests bytea[],
        OUT statuses integer[], OUT actual_versions bigint[], OUT first_versions bigint[],
        OUT first_positions bigint[], OUT last_positions bigint[])
    RETURNS record LANGUAGE plpgsql AS $$
-- p_counts and p_expected hold one element per append (p_expected as in append_events); the
-- other arrays one per event, the events of each append together and in order. Appends to one
-- stream are applied in the order given. Status per append: 0 written; 1 version conflict
-- (actual version set); 2 transaction order conflict (retry in a new transaction); 3 an event id
-- of the append is stored already (nothing of it written; the client answers from the stored
-- events). Nothing is written for an append whose status is not 0.
DECLARE
    v_appends  integer := cardinality(p_counts);
    v_total    integer := cardinality(p_event_ids);
    v_xid      xid8;
    v_versions bigint[] := array_fill(NULL::bigint, ARRAY[v_total]);
    v_nows     timestamptz[] := array_fill(NULL::timestamptz, ARRAY[v_total]);
    v_hashes   bytea[] := array_fill(NULL::bytea, ARRAY[v_total]);
    v_stored   uuid[];
    v_positions bigint[];
    v_off      integer := 0;
    v_k        integer := 0;
    v_n        integer;
    v_stream   text;
    v_expected bigint;
    v_version  bigint;
    v_head     bytea;
    v_last_xid xid8;
    v_now      timestamptz;
    v_prev     bytea;
BEGIN
    statuses := array_fill(0, ARRAY[v_appends]);
    actual_versions := array_fill(0::bigint, ARRAY[v_appends]);
    first_versions := array_fill(0::bigint, ARRAY[v_appends]);
    first_positions := array_fill(0::bigint, ARRAY[v_appends]);
    last_positions := array_fill(0::bigint, ARRAY[v_appends]);
    -- An idempotent retry must not fail the group on the unique event id: such appends are
    -- found first and left out.
    SELECT array_agg(e.event_id) INTO v_stored FROM ${schema}.events e WHERE e.event_id = ANY(p_event_ids);
    v_xid := pg_current_xact_id();
    FOR a IN 1 .. v_appends LOOP
        v_n := p_counts[a];
        v_stream := p_streams[v_off + 1];
        v_expected := p_expected[a];
        v_version := NULL;
        IF v_stored IS NOT NULL AND p_event_ids[v_off + 1 : v_off + v_n] && v_stored THEN
            statuses[a] := 3;
        ELSIF v_n = 1 AND v_expected >= 1 THEN
            -- The commonest append, as AppendSql's single statement: the conditional update checks
            -- the version and the transaction order and links the chain, without the advisory lock.
            UPDATE ${schema}.streams AS st
               SET version = st.version + 1,
                   head_hash = sha256(st.head_hash || p_digests[v_off + 1] || int8send(st.version + 1)
                           || timestamptz_send(x.now)),
                   last_xid = v_xid
              FROM (SELECT clock_timestamp() AS now) AS x
             WHERE st.stream_id = v_stream AND st.version = v_expected AND st.last_xid <= v_xid
            RETURNING st.version, st.head_hash, x.now INTO v_version, v_prev, v_now;
            IF FOUND THEN
                v_versions[v_off + 1] := v_version;
                v_hashes[v_off + 1] := v_prev;
                v_nows[v_off + 1] := v_now;
                actual_versions[a] := v_version;
                first_versions[a] := v_version;
            END IF;
        END IF;
        IF statuses[a] = 0 AND v_version IS NULL THEN
            -- Every other case, as append_events, but the row lock first: the group may hold
            -- this stream's row already (an earlier append of the group), and append_events takes
            -- the advisory lock before the row, so taking it after the row could deadlock with it.
            -- The group's transaction id is taken, so the queue of the advisory lock brings
            -- nothing to an existing stream; its creation still needs it (no row to lock yet).
            SELECT s.version, s.head_hash, s.last_xid INTO v_version, v_head, v_last_xid
              FROM ${schema}.streams s WHERE s.stream_id = v_stream FOR UPDATE;
            IF NOT FOUND THEN
                PERFORM pg_advisory_xact_lock(hashtextextended('annals.stream:' || v_stream, 0));
                SELECT s.version, s.head_hash, s.last_xid INTO v_version, v_head, v_last_xid
                  FROM ${schema}.streams s WHERE s.stream_id = v_stream FOR UPDATE;
            END IF;
            IF FOUND THEN
                IF v_expected >= 0 AND v_version <> v_expected THEN
                    statuses[a] := 1;
                    actual_versions[a] := v_version;
                ELSIF v_last_xid > v_xid THEN
                    statuses[a] := 2;
                    actual_versions[a] := v_version;
                END IF;
            ELSIF v_expected > 0 OR v_expected = -2 THEN
                statuses[a] := 1;
            ELSE
                v_version := 0;
            END IF;
            IF statuses[a] = 0 THEN
                v_now := clock_timestamp();
                v_prev := v_head;
                FOR i IN 1 .. v_n LOOP
                    v_prev := sha256(coalesce(v_prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea)
                            || p_digests[v_off + i] || int8send(v_version + i) || timestamptz_send(v_now));
                    v_versions[v_off + i] := v_version + i;
                    v_hashes[v_off + i] := v_prev;
                    v_nows[v_off + i] := v_now;
                END LOOP;
                IF v_version > 0 THEN
                    UPDATE ${schema}.streams
                       SET version = v_version + v_n, head_hash = v_prev, last_xid = v_xid
                     WHERE stream_id = v_stream AND version = v_version;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION 'stream % changed outside append_group while locked', v_stream;
                    END IF;
                ELSE
                    -- A concurrent creator would have held the advisory lock: no conflict possible.
                    INSERT INTO ${schema}.streams (stream_id, category, version, head_hash, last_xid)
                         VALUES (v_stream, p_categories[v_off + 1], v_n, v_prev, v_xid);
                END IF;
                actual_versions[a] := v_version + v_n;
                first_versions[a] := v_version + 1;
            END IF;
        END IF;
        v_off := v_off + v_n;
    END LOOP;

    -- One insert for the whole group, in the order given, so positions rise with it (each
    -- stream's events in version order).
    WITH inserted AS (
        INSERT INTO ${schema}.events (stream_id, category, version, event_id, type, schema_version,
                                      payload, metadata, recorded_at, hash)
        SELECT e.stream_id, e.category, e.version, e.event_id, e.type, e.schema_version, e.payload,
               e.metadata, e.recorded_at, e.hash
          FROM unnest(p_streams, p_categories, v_versions, p_event_ids, p_types, p_schema_versions,
                      p_payloads, p_metadata, v_nows, v_hashes)
               WITH ORDINALITY AS e(stream_id, category, version, event_id, type, schema_version,
                                    payload, metadata, recorded_at, hash, i)
         WHERE e.version IS NOT NULL
         ORDER BY e.i
        RETURNING position
    )
    SELECT array_agg(position ORDER BY position) INTO v_positions FROM inserted;

    FOR a IN 1 .. v_appends LOOP
        IF statuses[a] = 0 THEN
            v_n := p_counts[a];
            first_positions[a] := v_positions[v_k + 1];
            last_positions[a] := v_positions[v_k + v_n];
            v_k := v_k + v_n;
        END IF;
    END LOOP;
END
$$;
