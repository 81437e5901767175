#!/usr/bin/env bash
# The venv .venv/browser that scripts/check-verify-page.py runs in: Selenium driving Debian's headless
# Chromium through Debian's /usr/bin/chromedriver (apt packages chromium and chromium-driver; Selenium
# Manager is never used). selenium is pinned to 4.51.0: 4.52.0 needs a certifi newer than PyPI has
# here, and 4.51.0 drives chromedriver 156 over plain WebDriver. Prints the venv's python.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/python-venv.sh" browser 'selenium==4.51.0'
