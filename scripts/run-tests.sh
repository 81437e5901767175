#!/usr/bin/env bash
# Runs the whole suite. Storage and HTTP tests take the engine as an argument: SQLite always, and
# PostgreSQL when TEST_POSTGRES_URL is set (scripts/with-postgres.sh sets it).
set -euo pipefail
if [ -n "${TEST_POSTGRES_URL:-}" ]; then
  echo "engines: sqlite, postgres"
else
  echo "engines: sqlite only (TEST_POSTGRES_URL is not set; use make test for both)"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# --line-buffered: CI shows each result as it comes, so a run that is stopped shows how far it got.
# The whole run is stopped (with whatever it started) after TEST_TIMEOUT seconds (default 40 minutes;
# it takes about 5 here): a stuck test fails the run with a message instead of holding CI to its limit.
limit=${TEST_TIMEOUT:-2400}
timeout --kill-after=30 "$limit" swift test --skip-build --verbose 2>&1 | tee "$log" | grep --line-buffered -Ev '^(\[|Build|Compiling|Write|Running|warning: )' \
  | grep --line-buffered -E '^(✔|✘|􀟈|◇ Test run|↳)|passed|failed|error' | grep --line-buffered -v 'Test case passing\|started\.$'
# The status of `swift test` itself (with `|| true` here, pipefail would hand over the status of `true`).
status=${PIPESTATUS[0]}
set -e
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  echo "the suite did not finish within $limit s (TEST_TIMEOUT) and was stopped; the last results above show how far it got"
fi
echo
echo "test cases per engine:"
for engine in sqlite postgres; do
  echo "  $engine: $(grep -c "engine → .$engine" "$log" || true) passing cases"
done
# One plain closing line with the Swift Testing totals.
total=$(grep -Eo 'Test run with [0-9]+ tests' "$log" | grep -Eo '[0-9]+' | tail -1 || true)
failed=$(grep -Ec '^✘ Test [^ ]+\(.*\) (with [0-9]+ test cases )?failed' "$log" || true)
if [ -n "$total" ]; then
  echo "$((total - failed)) passed, $failed failed"
fi
exit "$status"
