#!/usr/bin/env bash
# The main job: set up (see setup.sh), then `ims demo` on the embedded database.
# Extra arguments go to `ims demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
for arg in "$@"; do
  if [[ "$arg" == "-h" || "$arg" == "--help" ]]; then
    # asking how to run it installs nothing (it had run apt-get and pip first)
    echo "usage: scripts/demo.sh [ims demo's options]"
    echo
    echo "Installs what is missing (PostgreSQL with PostGIS, the PDF reports' fonts, Python's"
    echo "venv and ims into .venv/), then runs 'ims demo': the demo programme on ims's own"
    echo "database in .ims/, its Article 7 tables, and the web pages on http://127.0.0.1:8000/."
    if [[ -x .venv/bin/ims ]]; then
      echo
      exec .venv/bin/ims demo --help
    fi
    echo "Its options, once installed: .venv/bin/ims demo --help"
    exit 0
  fi
done
scripts/setup.sh
exec .venv/bin/ims demo "$@"
