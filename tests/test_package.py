"""The wheel: what `pip install .` gives carries everything ims needs away from the checkout.

The wheel is built from a copy of the sources (so no build output is left in, or taken
from, the checkout) with the venv's own setuptools, offline. Its contents are compared
with the checkout's files; then it is installed, without its dependencies (the venv's
serve), into a directory of its own, and its `ims` is run from another directory on a
fresh database of the test server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ims.db.migrate import heads
from tests.utils import REPO_ROOT

if TYPE_CHECKING:
    from tests.conftest import TestServer

# What the build reads: the project's metadata and the directories the wheel ships.
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "ims",
    "map_ui",
    "migrations",
    "sample_data",
    "docs",
)
# Where the wheel carries what lives outside the packages in a checkout.
SHIPPED_AS = {
    "migrations": "ims/_migrations",
    "sample_data": "ims/_sample_data",
    "docs": "ims/_docs",
}


def pip(*args: str) -> None:
    """Run the venv's pip (offline: nothing is downloaded); its output if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--quiet", "--no-input"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"pip {args[0]} failed:\n{done.stdout}{done.stderr}"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from a copy of this checkout's sources."""
    root = tmp_path_factory.mktemp("wheel")
    source, dist = root / "source", root / "dist"
    source.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in SOURCES:
        if (REPO_ROOT / name).is_dir():
            shutil.copytree(REPO_ROOT / name, source / name, ignore=skip)
        else:
            shutil.copy2(REPO_ROOT / name, source / name)
    pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(dist), str(source))
    (built,) = dist.glob("ims-*.whl")
    return built


def checkout_files(folder: str, pattern: str = "*") -> set[str]:
    """The checkout's files in ``folder`` (recursively), as the wheel names them."""
    top, _, rest = folder.partition("/")
    prefix = "/".join(filter(None, (SHIPPED_AS.get(top, top), rest)))
    return {
        f"{prefix}/{path.relative_to(REPO_ROOT / folder).as_posix()}"
        for path in (REPO_ROOT / folder).rglob(pattern)
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_carries_the_migrations_pages_reports_and_demo_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {
        "migration files": checkout_files("migrations"),  # env.py, versions/, script.py.mako
        "modules": checkout_files("ims", "*.py") | checkout_files("map_ui", "*.py"),
        "page templates": checkout_files("map_ui/templates"),
        "static files": checkout_files("map_ui/static"),
        "report templates": checkout_files("ims/reports/templates"),
        "sample data files": checkout_files("sample_data/boundaries")
        | checkout_files("sample_data/examples"),
        # the guides the pages show (/help/migration); not the decisions below them
        "guides": {f for f in checkout_files("docs", "*.md") if f.count("/") == 2},
    }
    assert "ims/_docs/migration.md" in wanted["guides"]
    assert "ims/_migrations/env.py" in wanted["migration files"]
    assert "ims/_migrations/versions/20261123_0001_enable_postgis.py" in wanted["migration files"]
    for what, files in wanted.items():
        assert files, what
        assert not files - names, f"{what} missing from the wheel: {sorted(files - names)}"
    # Nothing beside the two packages and the metadata (no top-level `migrations`).
    dist_info = "{}-{}.dist-info".format(*wheel.name.split("-")[:2])
    assert {name.split("/")[0] for name in names} == {"ims", "map_ui", dist_info}
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "ims = ims.cli:app" in entry_points
    print(
        f"{wheel.name}: {len(names)} files; "
        + ", ".join(f"{len(files)} {what}" for what, files in wanted.items())
    )


@pytest.fixture
def installed(wheel: Path, tmp_path: Path) -> Path:
    """The wheel installed into a directory of its own (its dependencies are the venv's)."""
    target = tmp_path / "site"
    pip("install", "--no-deps", "--no-compile", "--target", str(target), str(wheel))
    return target


@pytest.fixture
def fresh_database(test_server: TestServer) -> Iterator[str]:
    """An empty database on the test server (the owner's URL): the installed ims migrates it."""
    url = test_server.create_database("ims_wheel")
    yield url
    test_server.drop_database(url)


def test_the_installed_ims_migrates_and_reports_from_another_directory(
    installed: Path, fresh_database: str, tmp_path: Path
) -> None:
    elsewhere, home = tmp_path / "elsewhere", tmp_path / "home"
    elsewhere.mkdir()
    home.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("IMS_", "XDG_"))},
        "PYTHONPATH": str(installed),
        "HOME": str(home),
        "IMS_DATABASE_URL": fresh_database,
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            args, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    ims = str(installed / "bin" / "ims")
    where = run(
        sys.executable,
        "-c",
        "import ims.resources as r, ims.config as c, "
        "ims.sample.demo as d; print(r.INSTALLED, r.MIGRATIONS, d.BOUNDARIES_DIR, "
        "d.EXAMPLES_DIR, c.get_settings().data_dir, sep='\\n')",
    ).splitlines()
    assert where == [
        "True",
        str(installed / "ims" / "_migrations"),
        str(installed / "ims" / "_sample_data" / "boundaries"),
        str(installed / "ims" / "_sample_data" / "examples"),
        str(home / ".local" / "share" / "ims"),  # not the current directory's .ims
    ]
    assert (Path(where[2]) / "LAO_ADM1.geojson").is_file()
    assert "report" in run(ims, "--help")
    (head,) = heads()
    assert f"schema migrated empty -> {head}" in run(ims, "db", "up")
    assert f"schema already at head ({head})" in run(ims, "db", "up")
    html = run(ims, "report", "article7", "--year", "2025", "--format", "html")
    assert "<title>Article 7 report 2025" in html
    assert not list(elsewhere.iterdir()), "the installed ims wrote into the current directory"
