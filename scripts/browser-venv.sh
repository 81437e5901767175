#!/usr/bin/env bash
# Creates (once) the Python virtual environment .venv/browser that scripts/check-verify-page.py runs in:
# Selenium driving Debian's headless Chromium through Debian's /usr/bin/chromedriver (apt packages
# chromium and chromium-driver; Selenium Manager is never used). Installs only selenium, pinned
# (4.52.0 needs a certifi newer than PyPI has; 4.51.0 drives chromedriver 156 over plain WebDriver;
# pip adds what it requires), then prints the absolute path of the venv's python on one line. A stamp
# file holding the pins makes a second run instant, and a change of pins reinstalls. Safe to run from
# parallel tests.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=$root/.venv/browser
pins='selenium==4.51.0'
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  mkdir -p "$root/.venv"
  exec 9>"$root/.venv/browser.lock"
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
