#!/usr/bin/env bash
# Every check, the same locally and in CI: lint, format, types, import contracts, then the
# whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
exec .venv/bin/pytest -n 2 "$@"
