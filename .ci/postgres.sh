#!/usr/bin/env bash
# Start a throwaway PostgreSQL for the store's tests and Prefect's server (tests/test_store.py,
# tests/test_server_postgres.py read KEHOACH_TEST_POSTGRES_URL); stopped by the caller's trap.
# Debian's package, a private data folder and port on 127.0.0.1 only. Without root or apt, the
# PostgreSQL tests skip. Locally, as root: `KEHOACH_PG_PORT=54351 bash .ci/postgres.sh` prints
# its data folder; then KEHOACH_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:54351/postgres
set -euo pipefail
PORT=${KEHOACH_PG_PORT:-54329}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  (apt-get update -qq && apt-get install -y -qq postgresql) >/tmp/kehoach-apt-pg.log 2>&1 || exit 0
fi
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
DATA=$(mktemp -d /tmp/kehoach-pg.XXXXXX)
chown postgres "$DATA"
su postgres -s /bin/sh -c "$BIN/initdb -D $DATA -A trust -U postgres >/dev/null"
su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DATA -o '-p $PORT -k $DATA -h 127.0.0.1' -l $DATA/log -w start >/dev/null"
echo "$DATA"
