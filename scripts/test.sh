#!/usr/bin/env bash
# Set up with the development tools, then run every check: ruff, mypy and the tests
# (on a throw-away PostGIS database that the tests start themselves).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
say "ruff"
.venv/bin/ruff check ims map_ui tests migrations bench
.venv/bin/ruff format --check ims map_ui tests bench
say "mypy"
.venv/bin/mypy ims map_ui
say "pytest"
.venv/bin/python -m pytest "$@"
