#!/usr/bin/env bash
# Set up ims on Debian/Ubuntu: system packages where missing (PostgreSQL, PostGIS, Python
# venv, the fonts of the PDF reports), a virtual environment in .venv, and the package with
# its dependencies.
# Safe to run again: each step is skipped when already done.
#   scripts/setup.sh          the application
#   scripts/setup.sh --dev    the application and the test/lint tools (and Chromium for the
#                             browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."

extras=""
[ "${1:-}" = "--dev" ] && extras="[dev]"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "error: need root to install system packages ($*); run as root or install sudo" >&2
    exit 1
  fi
}

apt_updated=""
apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "error: missing system packages ($*) and no apt-get here; install them by hand" >&2
    exit 1
  fi
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  say "installing system packages: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

# --- PostgreSQL server and PostGIS ------------------------------------------------------
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pg_bindir)" ] && ! command -v initdb >/dev/null; then
  apt_install postgresql
fi
bindir="$(pg_bindir)"
if [ -n "$bindir" ]; then
  major="$(basename "$(dirname "$bindir")")"
  if [ ! -f "/usr/share/postgresql/$major/extension/postgis.control" ]; then
    apt_install "postgresql-$major-postgis-3"
  fi
fi

# --- Fonts for the PDF reports: DejaVu Sans (Latin with its extensions), Noto Sans Lao ----
fonts=/usr/share/fonts/truetype
if [ ! -f "$fonts/dejavu/DejaVuSans.ttf" ] || [ ! -f "$fonts/dejavu/DejaVuSans-Bold.ttf" ]; then
  apt_install fonts-dejavu-core
fi
if [ ! -f "$fonts/noto/NotoSansLao-Regular.ttf" ] && [ ! -f "$fonts/lao/Phetsarath_OT.ttf" ]; then
  apt_install fonts-noto-core
fi

# Browser tests drive Debian's Chromium in its headless shell (a test tool's own browser
# download is not used); bench/tiles.py times the map in the full browser.
if [ -n "$extras" ] && ! command -v chromium-headless-shell >/dev/null; then
  apt_install chromium-headless-shell
fi
if [ -n "$extras" ] && ! command -v chromium >/dev/null; then
  apt_install chromium
fi
# The tests read /ogc and the vector tiles with QGIS itself (its Python bindings, for the
# system's Python: tests/qgis.py).
if [ -n "$extras" ] && ! /usr/bin/python3 -c 'import qgis.core' 2>/dev/null; then
  apt_install python3-qgis qgis-providers
fi
# The tests validate the published map style with the style spec's own validator (vendored
# in tests/vendor/, run with node).
if [ -n "$extras" ] && ! command -v node >/dev/null; then
  apt_install nodejs
fi

# --- Python -------------------------------------------------------------------------------
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"; break
  fi
done
if [ -z "$python" ]; then
  apt_install python3 python3-venv
  python=python3
fi
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  apt_install python3-venv
fi

if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment in .venv"
  "$python" -m venv .venv
fi

stamp=".venv/.ims-installed${extras}"
want="$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing ims and its dependencies into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --no-compile -e ".${extras}"
  # pip compiles the installed modules one after another, half of the install's time; this
  # compiles them on every core. (As with pip, a file that does not compile, such as an
  # example a package ships for another Python, is left for the interpreter to report if
  # it is ever imported.)
  site_packages="$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
  .venv/bin/python -m compileall -q -j 0 "$site_packages" >/dev/null || true
  echo "$want" > "$stamp"
fi
say "ims is installed: .venv/bin/ims"
