# shellcheck shell=bash
# ensure_postgres: makes a PostgreSQL server reachable for the test suite and exports
# CCEMU_TEST_POSTGRES_URL. Starts the local cluster if it is stopped, installs PostgreSQL from the
# distribution's packages if there is none. Never skips: if no server can be had, it fails.

ensure_postgres() {
  local host=127.0.0.1 port=5432
  export CCEMU_TEST_POSTGRES_URL="${CCEMU_TEST_POSTGRES_URL:-postgres://postgres:postgres@${host}:${port}/postgres}"
  if pg_ready "$host" "$port"; then return 0; fi

  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "PostgreSQL not installed: installing it from the distribution's packages" >&2
    if [ "$(id -u)" != 0 ]; then echo "need root to install PostgreSQL" >&2; return 1; fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "starting PostgreSQL $version" >&2
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || pg_ctlcluster "$version" main start \
    || true
  local i
  for i in $(seq 1 60); do
    if pg_ready "$host" "$port"; then break; fi
    sleep 0.5
  done
  if ! pg_ready "$host" "$port"; then
    echo "PostgreSQL did not come up on $host:$port" >&2
    return 1
  fi
  # A fresh cluster only trusts local peers: give the postgres role the password the URL carries.
  if ! psql "$CCEMU_TEST_POSTGRES_URL" -tAc 'select 1' >/dev/null 2>&1; then
    su postgres -c "psql -qc \"ALTER ROLE postgres PASSWORD 'postgres'\"" >/dev/null
  fi
  psql "$CCEMU_TEST_POSTGRES_URL" -tAc 'select 1' >/dev/null
}

pg_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2"
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

# drop_test_databases: removes the per-test databases earlier runs left behind.
drop_test_databases() {
  local db
  for db in $(psql "$CCEMU_TEST_POSTGRES_URL" -tAc "select datname from pg_database where datname like 'ccemu_test_%'" 2>/dev/null); do
    psql "$CCEMU_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
  done
}
