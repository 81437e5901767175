#!/usr/bin/env bash
# The venv .venv/dcc-verify that scripts/dcc-verify.py runs in: the independent EU Digital COVID
# Certificate (HC1) verifier the Swift tests use as an outside check. Only base45, cbor2, cose and
# cryptography, pinned (pip adds what cose itself requires). Prints the venv's python.
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/python-venv.sh" dcc-verify \
  'base45==0.4.4' 'cbor2==5.9.0' 'cose==0.9.dev8' 'cryptography==46.0.7'
