#!/usr/bin/env bash
# Installs the system packages Vaxtrace needs on Debian 12 / Ubuntu (run as root, or with sudo).
#   run:  libqrencode (QR codes) and zlib headers (certificate compression); SQLite is embedded
#   test: a PostgreSQL server for the throwaway test database, python3 (port probe, and a virtual
#         environment for schemathesis from PyPI), zbarimg (a real QR decoder for the QR tests),
#         Chromium and its driver (the /verify page is checked in a real browser through Selenium)
#   bench: the test packages, wrk (the HTTP load generator of the check-in benchmark) and procps (pgrep)
set -euo pipefail
what=${1:-run}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
need=()
if [ "$what" = test ] || [ "$what" = bench ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  command -v python3 >/dev/null || need+=(python3)
  python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
  command -v psql >/dev/null || need+=(postgresql-client)
  command -v zbarimg >/dev/null || need+=(zbar-tools)
  command -v chromium >/dev/null || need+=(chromium)
  command -v chromedriver >/dev/null || need+=(chromium-driver)
fi
if [ "$what" = bench ]; then
  command -v wrk >/dev/null || need+=(wrk)
  command -v pgrep >/dev/null || need+=(procps)  # the check-in benchmark sums PostgreSQL's CPU time
fi
[ -f /usr/include/qrencode.h ] || need+=(libqrencode-dev)
[ -f /usr/include/zlib.h ] || need+=(zlib1g-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian's package starts a cluster of its own; the tests use a throwaway one instead.
  if [ -x /etc/init.d/postgresql ]; then $sudo /etc/init.d/postgresql stop >/dev/null 2>&1 || true; fi
fi
# zbarimg reads images through ImageMagick, whose SVG coder (the QR tests read SVG codes back) is in
# the "-extra" package that zbar-tools only suggests.
if { [ "$what" = test ] || [ "$what" = bench ]; } && ! ls /usr/lib/*/ImageMagick-6*/modules-Q16/coders/svg.so >/dev/null 2>&1; then
  # The installed ImageMagick core library (libmagickcore-6.q16-6 on Debian 12), whose coders we add to.
  core=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'libmagickcore-6.q16-*' 2>/dev/null \
    | awk '$1 == "ii" && $2 !~ /-extra$/ { sub(/:.*/, "", $2); print $2; exit }')
  echo "installing: ${core:-libmagickcore-6.q16-6}-extra"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${core:-libmagickcore-6.q16-6}-extra" >/dev/null
fi
command -v swift >/dev/null || { echo "the Swift toolchain (6.1 or later) is required: https://swift.org/install" >&2; exit 1; }
