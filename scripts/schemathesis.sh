#!/usr/bin/env bash
# Fuzzes the live server against its own contract: schemathesis reads /openapi.yaml, sends generated
# requests (valid and invalid) with a system-administrator token (the audit view with a
# data-protection officer's token, the tracing operations with a tracer's), and fails on any 5xx, undocumented
# status, wrong content type or response that does not match the schema. Runs on SQLite, and on
# PostgreSQL too when TEST_POSTGRES_URL is set.
set -euo pipefail
venv=.venv/schemathesis
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi
token="schemathesis-$(openssl rand -hex 12)"
officer="schemathesis-dpo-$(openssl rand -hex 12)"
tracer="schemathesis-tracer-$(openssl rand -hex 12)"
binary=.build/debug/vaxtrace
[ -x "$binary" ] || swift build --product vaxtrace

run_against() {
  local url=$1 label=$2 port pid status=0
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  DATABASE_URL=$url PERSON_ID_KEY=$(openssl rand -base64 32) AUTH_DEV_TOKENS="$token:system_admin:*,$officer:data_protection_officer:unit/19,$tracer:tracer:unit/19" \
    UNITS_PROVINCES=19 DEMO_SEED=true LOG_LEVEL=error AUTH_BCRYPT_COST=4 \
    RATE_CALLER_PER_MINUTE=1000000 RATE_PUBLIC_PER_MINUTE=1000000 RATE_SIGN_IN_PER_MINUTE=1000000 RATE_OTP_IP_HOUR=1000000 \
    "$binary" serve --env-file "$venv/none.env" --port "$port" &
  pid=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  echo "schemathesis against $label"
  local checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance
  "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.yaml" --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $token" --max-examples 25 --seed 20261126 --no-color --checks "$checks" \
    --exclude-operation-id listAuditEntries || status=$?
  "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.yaml" --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $officer" --max-examples 50 --seed 20261126 --no-color --checks "$checks" \
    --include-operation-id listAuditEntries --phases examples,coverage,fuzzing || status=$?
  # The tracing operations and Exposure Notification codes are a tracer's only (an administrator gets 403 there).
  "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.yaml" --url "http://127.0.0.1:$port" \
    -H "Authorization: Bearer $tracer" --max-examples 25 --seed 20261126 --no-color --checks "$checks" \
    --include-operation-id recordCase --include-operation-id getCase --include-operation-id markContactF1 --include-operation-id issueVerificationCode || status=$?
  kill -TERM "$pid"; wait "$pid" || true
  return "$status"
}

run_against "sqlite::memory:" "SQLite"
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  schema="schemathesis_$$"
  psql -q "$TEST_POSTGRES_URL" -c "CREATE SCHEMA $schema" >/dev/null
  run_against "$TEST_POSTGRES_URL?schema=$schema" "PostgreSQL"
fi
