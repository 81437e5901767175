#!/usr/bin/env bash
# Starts a throwaway PostgreSQL (initdb into a temporary folder, a free port on 127.0.0.1), runs the
# given command with TEST_POSTGRES_URL pointing at it, and stops and deletes the server afterwards,
# also when the command fails or is interrupted.
set -euo pipefail

find_bin() {
  local name=$1 dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  command -v "$name" || true
}

initdb=$(find_bin initdb)
pg_ctl=$(find_bin pg_ctl)
if [ -z "$initdb" ] || [ -z "$pg_ctl" ]; then
  echo "PostgreSQL server binaries not found; run scripts/install-deps.sh" >&2
  exit 1
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
dir=$(mktemp -d /tmp/vaxtrace-pg.XXXXXX)
chmod 755 "$dir"

# initdb refuses to run as root: run the server as the postgres user then.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
  chown postgres "$dir"
  as_pg() { runuser -u postgres -- "$@"; }
  user=postgres
else
  as_pg() { "$@"; }
  user=$(id -un)
fi

stop() {
  as_pg "$pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT INT TERM

as_pg "$initdb" -D "$dir/data" -U "$user" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
# Tests need no durability; a benchmark of durable writes sets PG_DURABLE=1 (fsync and synchronous commit on).
options="-p $port -k $dir -c listen_addresses=127.0.0.1"
if [ "${PG_DURABLE:-0}" = 1 ]; then
  options="$options -c max_connections=200 -c shared_buffers=1GB -c max_wal_size=4GB"
else
  # The suite runs its tests in parallel, each app and harness with a pool of up to 16 connections: the
  # default 100 connections ran out once the suite grew (a pool then trips its circuit breaker).
  options="$options -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
fi
as_pg "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -o "$options" \
  start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }

export TEST_POSTGRES_URL="postgres://$user@127.0.0.1:$port/postgres"
echo "throwaway PostgreSQL $("$pg_ctl" --version | awk '{print $3}') on port $port"
"$@"
