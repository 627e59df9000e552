#!/usr/bin/env bash
# The main job: set up (see setup.sh), then `ims demo` on the embedded database.
# Extra arguments go to `ims demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/ims demo "$@"
