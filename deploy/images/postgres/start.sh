#!/bin/bash
# First start: a cluster in PGDATA owned by POSTGRES_USER (password auth over the network) and POSTGRES_DB in it.
# Every start: PostgreSQL in the foreground, listening on the container's addresses.
set -euo pipefail
: "${POSTGRES_USER:?set POSTGRES_USER}" "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
database=${POSTGRES_DB:-$POSTGRES_USER}
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password_file=$(mktemp)
  printf '%s' "$POSTGRES_PASSWORD" > "$password_file"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$password_file" -E UTF8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$password_file"
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
  [ "$database" = postgres ] || echo "CREATE DATABASE \"$database\" OWNER \"$POSTGRES_USER\"" \
    | postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*'
