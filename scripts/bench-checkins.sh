#!/usr/bin/env bash
# The check-in benchmark of issue #6, on a durable PostgreSQL (fsync and synchronous commit on):
#   1. pgbench: the raw rate of single-row INSERTs into the same `checkins` table (one commit each);
#   2. wrk: venue QR check-ins over HTTP against a running `vaxtrace serve` for DURATION seconds
#      (64 connections), with the p99 latency, and the ratio to the pgbench rate;
#   3. the same wrk script for FLOOR_DURATION seconds against `vaxtrace bench http-floor`, a bare
#      Hummingbird route (no middleware, no database): what the HTTP stack alone allows on this machine.
# Run it with `make bench` or: PG_DURABLE=1 scripts/with-postgres.sh scripts/bench-checkins.sh
set -euo pipefail
# CPU time in clock ticks of the given processes (all their threads), and of every PostgreSQL process.
cpu_ticks() { for p in "$@"; do awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true; done | awk '{s += $1} END {print s + 0}'; }
postgres_ticks() { cpu_ticks $(pgrep -x postgres || true); }
# Runs a command, then prints the CPU seconds it used (for wrk).
with_cpu() { python3 -c 'import resource, subprocess, sys
code = subprocess.call(sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"cpu-seconds {usage.ru_utime + usage.ru_stime:.3f}")
sys.exit(code)' "$@"; }
ticks_per_second=$(getconf CLK_TCK)
duration=${DURATION:-60}
floor_duration=${FLOOR_DURATION:-20}
venues=${VENUES:-200}
connections=${CONNECTIONS:-64}
clients=${PGBENCH_CLIENTS:-64}
binary=${BINARY:-.build/release/vaxtrace}
[ -n "${TEST_POSTGRES_URL:-}" ] || { echo "run under scripts/with-postgres.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/vaxtrace-bench.XXXXXX)
schema="bench_checkins_$$"
psql -q "$TEST_POSTGRES_URL" -c "CREATE SCHEMA $schema" >/dev/null
admin="bench-admin-$(openssl rand -hex 12)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
DATABASE_URL="$TEST_POSTGRES_URL?schema=$schema" PERSON_ID_KEY=$(openssl rand -base64 32) \
  AUTH_DEV_TOKENS="$admin:system_admin:*" UNITS_PROVINCES=19 DEMO_SEED=false LOG_LEVEL=error \
  RATE_CALLER_PER_MINUTE=100000000 RATE_PUBLIC_PER_MINUTE=100000000 CHECKIN_PER_HOUR=100000 \
  "$binary" serve --env-file "$work/none.env" --port "$port" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
commune=$(psql -qtA "$TEST_POSTGRES_URL" -c "SET search_path=$schema; SELECT code FROM admin_units WHERE level = 'commune' AND province_code = '19' ORDER BY code LIMIT 1" | tail -1)

echo "registering $venues venues (commune $commune)"
: >"$work/tokens.txt"
for i in $(seq 1 "$venues"); do
  curl -fs -X POST "http://127.0.0.1:$port/api/v1/venues" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' \
    -d "{\"name\":\"Quán số $i\",\"kind\":\"restaurant\",\"unitCode\":\"$commune\",\"address\":\"Số $i\",\"ownerName\":\"Chủ $i\",\"ownerPhone\":\"09$(printf %08d "$i")\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >>"$work/tokens.txt"
done

# 1. pgbench: one row per transaction into the same table, 64 clients.
cat >"$work/insert.sql" <<'SQL'
\set n random(1, 1000000000)
INSERT INTO checkins (id, day, venue_id, person_id, phone, name, method, arrived_at, left_at, stay_until, checkout_hash)
VALUES (md5(:n::text || clock_timestamp()::text), (extract(epoch from now())::bigint + 25200) / 86400,
        '00000000-0000-7000-8000-000000000001', NULL, '+84912' || lpad((:n % 1000000)::text, 6, '0'), 'Khách',
        'venue_qr', (extract(epoch from now()) * 1000)::bigint, NULL, (extract(epoch from now()) * 1000)::bigint + 3600000, NULL);
SQL
echo "pgbench: single-row INSERT into checkins, $clients clients, ${duration}s"
PGOPTIONS="-c search_path=$schema" pgbench -n -c "$clients" -j 2 -T "$duration" -f "$work/insert.sql" "$TEST_POSTGRES_URL" >"$work/pgbench.txt" 2>&1 \
  || { cat "$work/pgbench.txt"; exit 1; }
insert_rate=$(awk '/^tps = / {print $3; exit}' "$work/pgbench.txt")
insert_latency=$(awk '/^latency average = / {print $4; exit}' "$work/pgbench.txt")
echo "pgbench: $insert_rate inserts/s (average latency $insert_latency ms)"

# 2. wrk: check-ins by venue QR (a visitor with a name and a phone), each to a random venue.
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
tokens = [t.strip() for t in open(f"{work}/tokens.txt") if t.strip()]
with open(f"{work}/checkin.lua", "w") as f:
    f.write("local tokens = {" + ",".join('"%s"' % t for t in tokens) + "}\n")
    f.write('''
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("seed", threads)
end
init = function(args)
  -- Each thread has its own Lua state: seed it apart, or both threads send the same visitors.
  math.randomseed(os.time() * 1000 + tonumber(seed or 0))
end
request = function()
  counter = counter + 1
  local token = tokens[math.random(#tokens)]
  local phone = string.format("09%08d", math.random(0, 99999999))
  local body = '{"token":"' .. token .. '","name":"Khach ' .. counter .. '","phone":"' .. phone .. '"}'
  return wrk.format(nil, "/api/v1/checkins", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("wrk-summary requests=%d errors=%d non2xx=%d p50=%.2f p99=%.2f max=%.2f\\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
''')
PY
before=$(psql -qtA "$TEST_POSTGRES_URL" -c "SET search_path=$schema; SELECT count(*) FROM checkins WHERE venue_id <> '00000000-0000-7000-8000-000000000001'" | tail -1)
echo "wrk: POST /api/v1/checkins, $connections connections, ${duration}s"
server_before=$(cpu_ticks "$server"); postgres_before=$(postgres_ticks)
with_cpu wrk -t2 -c "$connections" -d "${duration}s" --latency -s "$work/checkin.lua" "http://127.0.0.1:$port" >"$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt"; exit 1; }
server_ticks=$(( $(cpu_ticks "$server") - server_before )); postgres_ticks=$(( $(postgres_ticks) - postgres_before ))
wrk_cpu=$(awk '/^cpu-seconds/ {print $2}' "$work/wrk.txt")
after=$(psql -qtA "$TEST_POSTGRES_URL" -c "SET search_path=$schema; SELECT count(*) FROM checkins WHERE venue_id <> '00000000-0000-7000-8000-000000000001'" | tail -1)
grep -E "Requests/sec|Latency|50%|75%|90%|99%|wrk-summary" "$work/wrk.txt"
rate=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")
p99=$(sed -n 's/.*p99=\([0-9.]*\).*/\1/p' "$work/wrk.txt")
non2xx=$(sed -n 's/.*non2xx=\([0-9]*\).*/\1/p' "$work/wrk.txt")
stored=$((after - before))

# 3. The floor: the same requests to a bare route of the same HTTP server library, the check-in server stopped.
kill -TERM $server 2>/dev/null; wait $server 2>/dev/null || true
floor_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
"$binary" bench http-floor --port "$floor_port" &
floor=$!
trap 'kill -TERM $floor 2>/dev/null; wait $floor 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs -X POST -d '{}' "http://127.0.0.1:$floor_port/api/v1/checkins" >/dev/null 2>&1 && break; sleep 0.1; done
echo "wrk: the same script against a bare route (bench http-floor), $connections connections, ${floor_duration}s"
floor_before=$(cpu_ticks "$floor")
with_cpu wrk -t2 -c "$connections" -d "${floor_duration}s" --latency -s "$work/checkin.lua" "http://127.0.0.1:$floor_port" >"$work/floor.txt" 2>&1 || { cat "$work/floor.txt"; exit 1; }
floor_ticks=$(( $(cpu_ticks "$floor") - floor_before ))
floor_wrk_cpu=$(awk '/^cpu-seconds/ {print $2}' "$work/floor.txt")
grep -E "Requests/sec|wrk-summary" "$work/floor.txt"
floor_rate=$(awk '/^Requests\/sec:/ {print $2}' "$work/floor.txt")
python3 - "$rate" "$p99" "$insert_rate" "$stored" "$duration" "$non2xx" "$floor_rate" "$server_ticks" "$postgres_ticks" "$wrk_cpu" \
  "$floor_ticks" "$floor_wrk_cpu" "$ticks_per_second" "$floor_duration" <<'PY'
import sys
(rate, p99, insert_rate, stored, duration, non2xx, floor_rate, server_ticks, postgres_ticks, wrk_cpu, floor_ticks,
 floor_wrk_cpu, hz, floor_duration) = map(float, sys.argv[1:])
print(f"check-ins: {rate:,.0f}/s over HTTP (rows stored {stored:,.0f} = {stored / duration:,.0f}/s; non-2xx {non2xx:.0f}), "
      f"p99 {p99:.2f} ms; pgbench single-row INSERT {insert_rate:,.0f}/s; ratio {rate / insert_rate:.2f}")
print(f"HTTP floor (bare route, no middleware, no database, same wrk script): {floor_rate:,.0f} requests/s")
# CPU per request: what the two cores must fit 10,000 times a second (200 µs each, all processes together).
requests = rate * duration
floor_requests = floor_rate * floor_duration
us = lambda seconds, count: seconds / count * 1e6 if count else float("nan")
server_us, postgres_us, wrk_us = us(server_ticks / hz, requests), us(postgres_ticks / hz, requests), us(wrk_cpu, requests)
print(f"CPU per check-in: server {server_us:.0f} µs, PostgreSQL {postgres_us:.0f} µs, wrk {wrk_us:.0f} µs, "
      f"in all {server_us + postgres_us + wrk_us:.0f} µs (10,000/s on 2 cores allows 200 µs)")
print(f"CPU per request at the floor: server {us(floor_ticks / hz, floor_requests):.0f} µs, wrk {us(floor_wrk_cpu, floor_requests):.0f} µs")
print(f"target: >= 10,000 check-ins/s with p99 < 50 ms: {'met' if rate >= 10000 and p99 < 50 else 'NOT met'}")
PY
