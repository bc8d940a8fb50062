#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 (+ PostGIS) cluster on 127.0.0.1 for the tests and print
# the URL to export as DOLBOM_TEST_POSTGRES_URL. Usage: eval "$(bash .ci/postgres.sh)"
# As root the cluster runs as the postgres user; otherwise as the user running this.
set -euo pipefail
PGBIN=/usr/lib/postgresql/15/bin
PORT=${DOLBOM_TEST_POSTGRES_PORT:-55432}
DATA=${DOLBOM_TEST_POSTGRES_DATA:-/tmp/dolbom-pg-$PORT}
as_owner() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}
if [ ! -x "$PGBIN/initdb" ]; then
  echo "PostgreSQL 15 is not installed ($PGBIN/initdb is missing)" >&2
  exit 1
fi
if [ ! -e /usr/share/postgresql/15/extension/postgis.control ]; then
  echo "PostGIS is not installed for PostgreSQL 15 (apt-get install postgresql-15-postgis-3)" >&2
  exit 1
fi
if ! "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PORT" >/dev/null 2>&1; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  [ "$(id -u)" = 0 ] && chown postgres "$DATA"
  as_owner "$PGBIN/initdb -D $DATA -A trust -U postgres" >/dev/null
  as_owner "$PGBIN/pg_ctl -D $DATA -l $DATA/server.log -w start \
    -o \"-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=on\"" >/dev/null
fi
"$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qAt -c \
  "SELECT 1 FROM pg_database WHERE datname='dolbom_test'" | grep -q 1 || \
  "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -q -c "CREATE DATABASE dolbom_test"
"$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d dolbom_test -q -c \
  "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
echo "export DOLBOM_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:$PORT/dolbom_test"
