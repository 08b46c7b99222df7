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
if [ "$#" -gt 0 ]; then
  exec .venv/bin/pytest -n 2 "$@"
fi
# The service tests start servers, watchers and workers of their own and wait on them with
# time limits: they run after the rest, one at a time, with both cores to themselves.
.venv/bin/pytest -n 2 -m "not service"
exec .venv/bin/pytest -m service
