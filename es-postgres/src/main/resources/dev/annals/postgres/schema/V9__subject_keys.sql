-- Annals event store, schema version 9: keys of personal-data subjects (crypto-shredding).
--
-- Fields an event type declares as personal data are stored encrypted (AES-GCM, by the client)
-- with a key per subject; the hash chain covers the ciphertext. Forgetting a subject destroys
-- its key here, so its fields can never be decrypted again while every chain still verifies.

CREATE TABLE ${schema}.subject_keys (
    subject      text        PRIMARY KEY,
    -- The subject's AES-256 data key: 32 bytes, or 60 when wrapped (AES-GCM under the
    -- application's master key, bound to the schema and the subject). Null once forgotten.
    data_key     bytea       CHECK (octet_length(data_key) IN (32, 60)),
    wrapped      boolean     NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    forgotten_at timestamptz,
    CONSTRAINT subject_keys_forgotten_without_key CHECK ((data_key IS NULL) = (forgotten_at IS NOT NULL))
);

-- Forgets a subject: destroys its key (or, for a subject never seen, records it as forgotten so
-- that no key is made for it later). The application role may not update or delete key rows;
-- this is its one way to change one. True when a live key was destroyed.
CREATE FUNCTION ${schema}.forget_subject(p_subject text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE ${schema}.subject_keys SET data_key = NULL, forgotten_at = clock_timestamp()
     WHERE subject = p_subject AND data_key IS NOT NULL;
    IF FOUND THEN
        RETURN true;
    END IF;
    INSERT INTO ${schema}.subject_keys (subject, data_key, wrapped, forgotten_at)
         VALUES (p_subject, NULL, false, clock_timestamp())
    ON CONFLICT (subject) DO NOTHING;
    -- A key made concurrently committed before the insert above gave way to it.
    UPDATE ${schema}.subject_keys SET data_key = NULL, forgotten_at = clock_timestamp()
     WHERE subject = p_subject AND data_key IS NOT NULL;
    RETURN FOUND;
END
$$;

-- Discards every snapshot of a stream, as when it holds a forgotten subject's data; the number
-- discarded. The application role may not delete snapshots otherwise.
CREATE FUNCTION ${schema}.discard_snapshots(p_stream_id text) RETURNS integer
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH discarded AS (
        DELETE FROM ${schema}.snapshots WHERE stream_id = p_stream_id RETURNING 1
    )
    SELECT count(*)::integer FROM discarded
$$;
