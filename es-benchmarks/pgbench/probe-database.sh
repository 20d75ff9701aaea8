# Sourced by the pgbench probes beside it: connection defaults, a scratch directory, and a fresh
# database with es-postgres's schema (schema/current.sql) installed in schema "probe" and a log
# of 100,000 events over 10,000 streams already in it.
#
#   probe_database NAME DATABASE    (NAME prefixes error messages)
#
# Sets $work (removed on exit) and $db. Needs psql and pgbench; exits 2 naming what is missing.

export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"

probe_database() {
  local name="$1" here schema_sql tool
  db="$2"
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  schema_sql="$here/../../es-postgres/src/main/resources/dev/annals/postgres/schema/current.sql"
  for tool in psql pgbench; do
    command -v "$tool" >/dev/null || { echo "$name: $tool not found (postgresql-client)" >&2; exit 2; }
  done
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  PGOPTIONS="-c client_min_messages=warning" psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db"
  sed 's/\${schema}/probe/g' "$schema_sql" > "$work/schema.sql"
  psql -qX -v ON_ERROR_STOP=1 -d "$db" -c "CREATE SCHEMA probe" -f "$work/schema.sql" >/dev/null
  psql -qX -v ON_ERROR_STOP=1 -d "$db" <<SQL
INSERT INTO probe.streams (stream_id, category, version, head_hash, last_xid)
SELECT 'seed-' || g, 'seed', 10, sha256('x'::bytea), '1' FROM generate_series(1, 10000) g;
INSERT INTO probe.events (stream_id, category, version, event_id, type, schema_version, payload,
    metadata, recorded_at, hash)
SELECT 'seed-' || g, 'seed', v, gen_random_uuid(), 'Seeded', 1, '{"amount": 1}', '{}', now(),
    sha256('x'::bytea)
FROM generate_series(1, 10000) g, generate_series(1, 10) v;
SQL
}
