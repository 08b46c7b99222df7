#!/usr/bin/env bash
# The backfill benchmark: full run (40 quarters) by default; `--smoke` for a quick check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m benchmarks.run "$@"
