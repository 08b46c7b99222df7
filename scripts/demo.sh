#!/usr/bin/env bash
# One command for a fresh machine: install, then run the demo on the embedded SQLite warehouse.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/pimh demo "$@"
