#!/usr/bin/env bash
# Set up with the development tools, then run every check: ruff, codespell, mypy and the tests
# (on a throw-away PostGIS database that the tests start themselves), the tests in
# IMS_TEST_WORKERS parallel processes (default 2; 0 runs them in this one).
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
# The suite starts hundreds of Python processes (its workers, the CLI, servers, job
# workers): let them keep compiled modules, and pytest its rewritten test modules, for the
# next one (an environment that turns that off made each compile them all again).
unset PYTHONDONTWRITEBYTECODE
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
say "ruff and codespell"
.venv/bin/ruff check ims map_ui tests migrations bench setup.py
.venv/bin/ruff format --check ims map_ui tests bench setup.py
.venv/bin/codespell  # what it skips and allows: [tool.codespell] in pyproject.toml
say "mypy"
.venv/bin/mypy ims map_ui
say "pytest"
workers="${IMS_TEST_WORKERS:-2}"
parallel=()
[ "$workers" != 0 ] && parallel=(-n "$workers" --dist loadfile --no-loadscope-reorder)  # see LONGEST_FIRST
status=0
.venv/bin/python -m pytest "${parallel[@]}" --durations=12 "$@" || status=$?
if [ -z "${IMS_TEST_DATABASE_URL:-}" ] && [ -z "${IMS_TEST_KEEP:-}" ]; then
  # The parallel workers leave the shared test cluster running: stop it now.
  .venv/bin/python -c 'import os, pathlib; from ims.db.embedded import EmbeddedCluster
EmbeddedCluster(pathlib.Path(os.environ.get("IMS_TEST_DATA_DIR", ".ims-test"))).stop()' || true
fi
exit "$status"
