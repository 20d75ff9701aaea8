#!/usr/bin/env bash
# What the horizon fence (schema version 8) costs a single-event append, measured with pgbench:
# the store's single-event statement as it runs today (append lock taken shared, fence read)
# against the same statement without the fence clause, alternating, on one database, in one run.
#
#   es-benchmarks/pgbench/fence-cost.sh [ROUNDS] [SECONDS] [CLIENTS]
#
# Needs pgbench and psql; connects as PGUSER (default postgres) to PGHOST:PGPORT (default
# 127.0.0.1:5432), creates the database annals_fence_probe (dropped first if it exists) and
# installs es-postgres's schema/current.sql in schema "probe". Each client appends to a stream of
# its own, reading the stream's version first (both variants alike). Prints each round's
# transactions per second and the median ratio with the fence to without it.
set -euo pipefail

rounds="${1:-3}"
seconds="${2:-20}"
clients="${3:-8}"
# shellcheck source=probe-database.sh
. "$(cd "$(dirname "$0")" && pwd)/probe-database.sh"
probe_database fence-cost annals_fence_probe
psql -qX -v ON_ERROR_STOP=1 -d "$db" <<SQL
-- One stream per client, beside the seeded log.
INSERT INTO probe.streams (stream_id, category, version, head_hash, last_xid)
SELECT 'client-' || c, 'client', 1, sha256('x'::bytea), '1' FROM generate_series(0, $clients - 1) c;
VACUUM ANALYZE;
SQL

# The statement of AppendSql.appendOne, parameters inlined; FENCE is the fence clause or nothing.
statement() {
  cat <<SQL
SELECT version AS v FROM probe.streams WHERE stream_id = 'client-' || CAST(:client_id AS text) \gset
WITH s AS (UPDATE probe.streams AS st SET version = st.version + 1,
  head_hash = sha256(st.head_hash || sha256('e'::bytea) || int8send(st.version + 1) || timestamptz_send(x.now)),
  last_xid = pg_current_xact_id() FROM (SELECT clock_timestamp() AS now) AS x
  WHERE st.stream_id = 'client-' || CAST(:client_id AS text) AND st.version = CAST(:v AS bigint) AND st.last_xid <= pg_current_xact_id()
  $1
  RETURNING st.version, st.head_hash, x.now)
INSERT INTO probe.events (stream_id, category, version, event_id, type, schema_version, payload,
  metadata, recorded_at, hash)
SELECT 'client-' || CAST(:client_id AS text), 'client', s.version, gen_random_uuid(), 'Deposited', 1,
  CAST('{"amount": 100}' AS jsonb), CAST('{}' AS jsonb), s.now, s.head_hash FROM s
RETURNING version, position;
SQL
}
# The lock key is the store's, 'annals.append:probe', spelt with chr(58) because pgbench would
# take ":probe" for one of its variables.
fence="AND pg_current_xact_id() >= (CASE WHEN pg_advisory_xact_lock_shared(hashtextextended('annals.append' || chr(58) || 'probe', 0)) IS NULL THEN NULL ELSE (SELECT CAST(CAST(f.last_value AS text) AS xid8) FROM probe.append_fence f) END)"
statement "$fence" > "$work/fence.sql"
statement "" > "$work/plain.sql"

tps() {
  local out
  if ! out="$(pgbench -n -M prepared -c "$clients" -j 2 -T "$seconds" -f "$work/$1.sql" "$db" 2>&1)"; then
    echo "fence-cost: pgbench failed on the $1 variant:" >&2
    echo "$out" | grep -i -m3 "error" >&2
    exit 1
  fi
  echo "$out" | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}

# What the advancer does on each tick while something holds the cluster horizon back: take the
# append lock exclusively (appends queue behind it), move both copies of the fence. Here the
# fence moves to the snapshot's xmin, which refuses no running appender, every 100 ms, from one
# connection kept open (as the store's advancer keeps its own).
cat > "$work/advance.sql" <<SQL
BEGIN;
SELECT set_config('lock_timeout', '50ms', true), pg_advisory_xact_lock(hashtextextended('annals.append' || chr(58) || 'probe', 0));
SELECT setval('probe.append_fence', greatest(f.last_value, CAST(CAST(pg_snapshot_xmin(pg_current_snapshot()) AS text) AS bigint))) FROM probe.append_fence f;
UPDATE probe.log_horizon SET fence = greatest(fence, pg_snapshot_xmin(pg_current_snapshot())), advanced_at = clock_timestamp();
COMMIT;
\sleep 100 ms
SQL
advance() {
  pgbench -n -c 1 -T "$seconds" -f "$work/advance.sql" "$db" >/dev/null 2>&1 || true
}

median() {
  printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

fenced=()
advanced=()
for round in $(seq 1 "$rounds"); do
  with="$(tps fence)"
  without="$(tps plain)"
  advance & advancer=$!
  moving="$(tps fence)"
  wait "$advancer" 2>/dev/null || true
  fenced+=("$(awk -v a="$with" -v b="$without" 'BEGIN { printf "%.3f", a / b }')")
  advanced+=("$(awk -v a="$moving" -v b="$without" 'BEGIN { printf "%.3f", a / b }')")
  printf 'round %d: without fence %7.0f tps, with fence %7.0f (%s), fence moved every 100 ms %7.0f (%s)\n' \
    "$round" "$without" "$with" "${fenced[-1]}" "$moving" "${advanced[-1]}"
done
echo "median ratio to the statement without fence: with the fence $(median "${fenced[@]}")," \
  "with the fence moved every 100 ms $(median "${advanced[@]}")" \
  "($clients clients, $seconds s per variant and round)"
psql -qX -d postgres -c "DROP DATABASE $db"
