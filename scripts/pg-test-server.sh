#!/usr/bin/env bash
# A PostgreSQL server for tests/integration/test_postgres.py, on 127.0.0.1 only.
#
# Installs PostgreSQL from Debian's packages when it is missing (needs root), creates and
# starts the cluster when it is not running, makes the test role and database, and prints
# the SQLAlchemy URL of that database on stdout (everything else goes to stderr).
# Idempotent and fast (well under a second) when the server is already up.
#
#   scripts/pg-test-server.sh [--url]   prints  postgresql+psycopg://cse_test:...@127.0.0.1:5432/cse_test
#   scripts/pg-test-server.sh --export  prints  CSE_TEST_PG_URL=postgresql+psycopg://...
#                                       (so: export $(scripts/pg-test-server.sh --export))
#
# The role's password is a fixed test password: the server listens on 127.0.0.1 only and
# the database holds synthetic data only. Never point it at a force's data.
set -euo pipefail

MODE=url
case "${1:-}" in
  ""|--url) MODE=url ;;
  --export) MODE=export ;;
  -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
  *) echo "pg-test-server: unknown option '$1' (use --url or --export)" >&2; exit 2 ;;
esac

ROLE=${CSE_PG_ROLE:-cse_test}
DB=${CSE_PG_DB:-cse_test}
PASSWORD=${CSE_PG_PASSWORD:-cse_test_only}

say() { echo "pg-test-server: $*" >&2; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    say "PostgreSQL is not installed and installing it needs root: run 'apt-get install -y postgresql' as root."
    exit 1
  fi
  say "installing PostgreSQL from Debian's packages (apt-get)..."
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
  say "creating cluster $VERSION/main"
  pg_createcluster "$VERSION" main >&2
fi
# Listen on the loopback interface only (a conf.d file of ours; takes effect at the next start).
CONF=/etc/postgresql/$VERSION/main/conf.d/cse-network-test.conf
if [ ! -f "$CONF" ]; then
  mkdir -p "$(dirname "$CONF")"
  echo "listen_addresses = '127.0.0.1'  # written by cse-network scripts/pg-test-server.sh" > "$CONF"
  pg_ctlcluster "$VERSION" main stop >/dev/null 2>&1 || true
fi
read -r PORT STATUS < <(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3, $4}')
if [ "$STATUS" != online ]; then
  say "starting cluster $VERSION/main on 127.0.0.1:$PORT"
  pg_ctlcluster "$VERSION" main start >&2
fi

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
psql_admin() { (cd / && as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"); }

if [ "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]; then
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >&2
fi
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE $DB OWNER $ROLE" >&2
fi
URL="postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
if [ "$MODE" = export ]; then echo "CSE_TEST_PG_URL=$URL"; else echo "$URL"; fi
