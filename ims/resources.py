"""Where ims's files that are not Python modules live: in a checkout or in an installed ims.

A checkout (and an editable install, which runs from it) keeps the migrations, the
sample data and ``alembic.ini`` at the top of the repository, beside ``ims/``. A wheel
(``pip install .``) carries the migrations and the sample data inside the package, as
``ims/_migrations/`` and ``ims/_sample_data/`` (the mapping is in ``setup.py``); it has no
``alembic.ini``. Everything that needs one of these files asks this module, so none
depends on where the repository is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

PACKAGE: Final = Path(__file__).resolve().parent
"""The ``ims`` package's own directory."""

INSTALLED: Final = (PACKAGE / "_migrations").is_dir()
"""Whether this ims was installed from a wheel (it carries its migrations), not run from a
checkout."""

_ROOT: Final = PACKAGE.parent  # the repository, when run from a checkout


def _shipped(installed: str, checkout: str) -> Path:
    return PACKAGE / installed if INSTALLED else _ROOT / checkout


MIGRATIONS: Final = _shipped("_migrations", "migrations")
"""The Alembic environment (``env.py``) and its ``versions/``."""

ALEMBIC_INI: Final = None if INSTALLED else _ROOT / "alembic.ini"
"""The checkout's ``alembic.ini`` (for the ``alembic`` command too); None when installed."""

SAMPLE_DATA: Final = _shipped("_sample_data", "sample_data")
"""The demo country: ``boundaries/`` (Lao PDR, with their licences) and ``examples/``."""

BOUNDARIES_DIR: Final = SAMPLE_DATA / "boundaries"
"""The Lao PDR provinces (``LAO_ADM1.geojson``) and districts (``LAO_ADM2.geojson``)."""

EXAMPLES_DIR: Final = SAMPLE_DATA / "examples"
"""The operator example files the demo stages for review."""

DOCS: Final = _shipped("_docs", "docs")
"""The project's guides (``migration.md``, ``operations.md``), which pages show too."""


def default_data_dir() -> Path:
    """Where the embedded cluster lives unless ``IMS_DATA_DIR`` says otherwise: one place
    whatever the current directory, so that every command finds the same database.

    From a checkout: ``.ims`` at its top, beside ``ims/`` (it had been ``.ims`` of the
    current directory: the checkout's ``ims`` run elsewhere made and used a new, empty
    database, its reports all zero and its users unknown). Installed: the user's data
    directory, ``$XDG_DATA_HOME/ims`` (``~/.local/share/ims``).
    """
    if not INSTALLED:
        return _ROOT / ".ims"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "ims"


def version_string() -> str:
    """This ims's version, with the commit a checkout is at ("0.1.0, commit 1a2b3c4"),
    so that an authority can name the ims it runs and the one a report came from; the
    version alone when installed, or when git is not at hand."""
    from ims import __version__

    if INSTALLED or not (_ROOT / ".git").exists():
        return __version__
    try:
        import subprocess

        found = subprocess.run(
            ["git", "-C", str(_ROOT), "rev-parse", "--short=7", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return __version__
    commit = found.stdout.strip()
    return f"{__version__}, commit {commit}" if found.returncode == 0 and commit else __version__
