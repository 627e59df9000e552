#!/usr/bin/env bash
# Set up with the development tools, then run every check: ruff, codespell, mypy and the tests
# (on a throw-away PostGIS database that the tests start themselves), the tests in
# IMS_TEST_WORKERS parallel processes (default 3; 0 runs them in this one). Each waits for
# pages, servers and timers about a fifth of its time: on two cores a third worker fills
# those waits (the suite took 10 min 39 s, against 12 min 36 s with two).
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
# mypy checks beside the tests, which leave about a fifth of two cores idle (waiting for
# pages, servers and timers): 22 s of one core when it ran before them, while the other
# idled. Its verdict is printed once the tests end, and fails the run as theirs would.
say "mypy (beside the tests; its verdict after them)"
mypy_log="$(mktemp)"
.venv/bin/mypy ims map_ui > "$mypy_log" 2>&1 &
mypy_pid=$!
say "pytest"
workers="${IMS_TEST_WORKERS:-3}"
parallel=()
[ "$workers" != 0 ] && parallel=(-n "$workers" --dist loadfile --no-loadscope-reorder)  # see LONGEST_FIRST
status=0
.venv/bin/python -m pytest "${parallel[@]}" --durations=12 "$@" || status=$?
if [ -z "${IMS_TEST_DATABASE_URL:-}" ] && [ -z "${IMS_TEST_KEEP:-}" ]; then
  # The parallel workers leave the shared test cluster running: stop it now.
  .venv/bin/python -c 'import os, pathlib; from ims.db.embedded import EmbeddedCluster
EmbeddedCluster(pathlib.Path(os.environ.get("IMS_TEST_DATA_DIR", ".ims-test"))).stop()' || true
fi
say "mypy"
if wait "$mypy_pid"; then
  tail -n 1 "$mypy_log"
else
  cat "$mypy_log"
  status=1
fi
rm -f "$mypy_log"
exit "$status"
