#!/usr/bin/env bash
# What the stream row costs a single-event append, measured with pgbench: the store's
# single-event statement as it runs today (the stream row updated: version check, transaction
# order check and hash link from the row) against the candidate that leaves the row alone (the
# previous event read by its (stream, version) key, the new one inserted with ON CONFLICT DO
# NOTHING, so the unique index is the version check), beside the framework's row inserted with no
# checks (the ceiling) and the benchmarks' baseline row. Variants alternate within each round.
#
#   es-benchmarks/pgbench/stream-row-cost.sh [ROUNDS] [SECONDS] [CLIENTS]
#
# Needs pgbench and psql, and PostgreSQL on this host (server CPU is read from /proc for the
# pgbench backends); connects as PGUSER (default postgres) to PGHOST:PGPORT (default
# 127.0.0.1:5432), creates the database annals_stream_row_probe (dropped first if it exists) and
# installs es-postgres's schema/current.sql in schema "probe". Each client appends to a stream of
# its own and reads its version first (every variant alike). Prints, per round and variant,
# transactions per second and server CPU per transaction, then the medians.
set -euo pipefail

rounds="${1:-3}"
seconds="${2:-15}"
clients="${3:-8}"
if [ "$seconds" -lt 6 ]; then
  echo "stream-row-cost: SECONDS must be at least 6 (CPU is sampled from the 2nd to the last but one)" >&2
  exit 2
fi

# shellcheck source=probe-database.sh
. "$(cd "$(dirname "$0")" && pwd)/probe-database.sh"
probe_database stream-row-cost annals_stream_row_probe
psql -qX -v ON_ERROR_STOP=1 -d "$db" <<SQL
-- Per client a stream for each variant at version 1, beside the seeded log.
INSERT INTO probe.streams (stream_id, category, version, head_hash, last_xid)
SELECT v || '-' || c, 'client', 1, sha256('x'::bytea), '1'
FROM generate_series(0, $clients - 1) c, unnest(ARRAY['row', 'less', 'ceiling']) v;
INSERT INTO probe.events (stream_id, category, version, event_id, type, schema_version, payload,
    metadata, recorded_at, hash)
SELECT v || '-' || c, 'client', 1, gen_random_uuid(), 'Opened', 1, '{"amount": 1}', '{}', now(),
    sha256('x'::bytea)
FROM generate_series(0, $clients - 1) c, unnest(ARRAY['row', 'less', 'ceiling']) v;
-- The benchmarks' baseline table: position, stream, version, payload, metadata; two indexes.
CREATE TABLE probe.baseline (position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stream_id text NOT NULL, version bigint NOT NULL, payload jsonb NOT NULL, metadata jsonb NOT NULL,
    UNIQUE (stream_id, version));
INSERT INTO probe.baseline (stream_id, version, payload, metadata)
SELECT 'base-' || c, 1, '{}', '{}' FROM generate_series(0, $clients - 1) c;
VACUUM ANALYZE;
SQL

# The fence clause of AppendSql.fenceAfterLock; 'annals.append:probe' spelt with chr(58) because
# pgbench would take ":probe" for one of its variables.
fence="pg_current_xact_id() >= (CASE WHEN pg_advisory_xact_lock_shared(hashtextextended('annals.append' || chr(58) || 'probe', 0)) IS NULL THEN NULL ELSE (SELECT CAST(CAST(f.last_value AS text) AS xid8) FROM probe.append_fence f) END)"
payload="CAST('{\"amount\": \"100.00\", \"currency\": \"EUR\"}' AS jsonb)"
metadata="CAST('{\"correlationId\": \"0b6f3a52-4a0e-4d8e-9b1e-2f9d3c1a7e55\", \"occurredAt\": \"2026-12-03T16:00:00Z\"}' AS jsonb)"
last_version() {
  echo "SELECT version AS v FROM probe.events WHERE stream_id = '$1-' || CAST(:client_id AS text) ORDER BY version DESC LIMIT 1 \\gset"
}

# Today: AppendSql.appendOne, parameters inlined.
{ last_version row; cat <<SQL; } > "$work/row.sql"
WITH s AS (UPDATE probe.streams AS st SET version = st.version + 1,
  head_hash = sha256(st.head_hash || sha256('e'::bytea) || int8send(st.version + 1) || timestamptz_send(x.now)),
  last_xid = pg_current_xact_id() FROM (SELECT clock_timestamp() AS now) AS x
  WHERE st.stream_id = 'row-' || CAST(:client_id AS text) AND st.version = CAST(:v AS bigint)
  AND st.last_xid <= pg_current_xact_id() AND $fence
  RETURNING st.version, st.head_hash, x.now)
INSERT INTO probe.events (stream_id, category, version, event_id, type, schema_version, payload,
  metadata, recorded_at, hash)
SELECT 'row-' || CAST(:client_id AS text), 'client', s.version, gen_random_uuid(), 'Deposited', 1,
  $payload, $metadata, s.now, s.head_hash FROM s
RETURNING version, position;
SQL
# The candidate: no stream row. The previous event gives the link, the transaction order check
# and the time floor; the unique (stream_id, version) index makes a racing writer's insert give
# way (ON CONFLICT DO NOTHING: no row, no aborted transaction).
{ last_version less; cat <<SQL; } > "$work/rowless.sql"
INSERT INTO probe.events (stream_id, category, version, event_id, type, schema_version, payload,
  metadata, recorded_at, hash)
SELECT p.stream_id, 'client', p.version + 1, gen_random_uuid(), 'Deposited', 1, $payload, $metadata,
  x.now, sha256(p.hash || sha256('e'::bytea) || int8send(p.version + 1) || timestamptz_send(x.now))
FROM probe.events p, LATERAL (SELECT greatest(clock_timestamp(), p.recorded_at) AS now) x
WHERE p.stream_id = 'less-' || CAST(:client_id AS text) AND p.version = CAST(:v AS bigint)
  AND p.transaction_id <= pg_current_xact_id() AND $fence
ON CONFLICT DO NOTHING
RETURNING version, position;
SQL
{ last_version ceiling; cat <<SQL; } > "$work/ceiling.sql"
INSERT INTO probe.events (stream_id, category, version, event_id, type, schema_version, payload,
  metadata, recorded_at, hash)
VALUES ('ceiling-' || CAST(:client_id AS text), 'client', CAST(:v AS bigint) + 1, gen_random_uuid(),
  'Deposited', 1, $payload, $metadata, clock_timestamp(), sha256('e'::bytea))
RETURNING version, position;
SQL
cat > "$work/baseline.sql" <<SQL
SELECT version AS v FROM probe.baseline WHERE stream_id = 'base-' || CAST(:client_id AS text) ORDER BY version DESC LIMIT 1 \gset
INSERT INTO probe.baseline (stream_id, version, payload, metadata)
VALUES ('base-' || CAST(:client_id AS text), CAST(:v AS bigint) + 1, $payload, $metadata)
RETURNING position;
SQL

# The pids of this database's pgbench backends that started after $1 (a server timestamp).
backends() {
  psql -qXAt -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'pgbench' AND backend_start > '$1'"
}
# Server CPU ticks of the backends given, and the database's commits so far.
sample() {
  local ticks=0 t
  for p in "$@"; do
    t="$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)"
    ticks=$((ticks + t))
  done
  echo "$ticks $(psql -qXAt -d postgres -c "SELECT xact_commit FROM pg_stat_database WHERE datname = '$db'")"
}

tick_us=$((1000000 / $(getconf CLK_TCK)))
# One variant for SECONDS: "tps µs-per-transaction", CPU sampled from the 2nd second to the last
# but one. Statements run as the store runs them: enable_seqscan and jit off.
measure() {
  local out="$work/$1.out" a b pids started
  started="$(psql -qXAt -d postgres -c "SELECT clock_timestamp()")"
  PGOPTIONS="-c enable_seqscan=off -c jit=off" pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" \
    -f "$work/$1.sql" "$db" > "$out" 2>&1 &
  local bench=$!
  sleep 2
  read -r -a pids <<< "$(backends "$started" | tr '\n' ' ')"
  if [ "${#pids[@]}" -ne "$clients" ]; then
    wait "$bench" || true
    echo "stream-row-cost: found ${#pids[@]} of $clients pgbench backends of the $1 variant" >&2
    exit 1
  fi
  read -r -a a <<< "$(sample "${pids[@]}")"
  sleep $((seconds - 3))
  read -r -a b <<< "$(sample "${pids[@]}")"
  if ! wait "$bench"; then
    echo "stream-row-cost: pgbench failed on the $1 variant:" >&2
    grep -i -m3 "error" "$out" >&2
    exit 1
  fi
  awk -v tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out")" -v t="$(( b[0] - a[0] ))" \
    -v x="$(( b[1] - a[1] ))" -v us="$tick_us" 'BEGIN { printf "%.0f %.1f", tps, (x > 0 ? t * us / x : 0) }'
}

median() {
  printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

variants=(row rowless ceiling baseline)
declare -A tps cpu
for round in $(seq 1 "$rounds"); do
  line="round $round:"
  for v in "${variants[@]}"; do
    read -r t c <<< "$(measure "$v")"
    tps[$v]="${tps[$v]:-} $t"
    cpu[$v]="${cpu[$v]:-} $c"
    line="$line $v $t tps ${c} µs"
  done
  echo "$line"
done
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086
  printf '%-9s median %7s tps, server CPU %6s µs per append (with the version read before it)\n' \
    "$v" "$(median ${tps[$v]})" "$(median ${cpu[$v]})"
done
echo "($clients clients, $seconds s per variant and round)"
psql -qX -d postgres -c "DROP DATABASE $db"
