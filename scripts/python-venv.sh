#!/usr/bin/env bash
# python-venv.sh NAME PINS...: creates (once) the Python virtual environment .venv/NAME with exactly
# the pinned PyPI packages (pip adds what they require) and prints the absolute path of its python on
# one line. A stamp file holding the pins makes a second run instant, and a change of pins
# reinstalls. Safe to run from parallel tests (flock). pip's output goes to standard error.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: python-venv.sh NAME PINS..." >&2; exit 2; }
name=$1
shift
pins="$*"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$root/.venv/$name
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  mkdir -p "$root/.venv"
  exec 9>"$root/.venv/$name.lock"
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
