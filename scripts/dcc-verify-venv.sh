#!/usr/bin/env bash
# Creates (once) the Python virtual environment .venv/dcc-verify that scripts/dcc-verify.py runs in:
# the independent EU Digital COVID Certificate (HC1) verifier the Swift tests use as an outside check.
# Installs only base45, cbor2, cose and cryptography (pinned; pip adds what cose itself requires),
# then prints the absolute path of the venv's python on one line. A stamp file holding the pins
# makes a second run instant, and a change of pins reinstalls. Safe to run from parallel tests.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$root/.venv/dcc-verify
pins='base45==0.4.4 cbor2==5.9.0 cose==0.9.dev8 cryptography==46.0.7'
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  mkdir -p "$root/.venv"
  exec 9>"$root/.venv/dcc-verify.lock"
  if command -v flock >/dev/null; then flock 9; fi
  # Another process may have finished the install while we waited for the lock.
  if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
    # shellcheck disable=SC2086 # $pins is a list of requirement words
    "$venv/bin/pip" install --quiet --disable-pip-version-check $pins >&2
    echo "$pins" >"$venv/.pins"
  fi
fi
echo "$venv/bin/python"
