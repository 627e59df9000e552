"""The embedded default cluster: idempotent start, crash recovery, clear setup errors."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ims.db import embedded
from ims.db.embedded import EmbeddedCluster
from ims.errors import SetupError


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[EmbeddedCluster]:
    """A cluster of its own in a temporary data directory, removed afterwards."""
    c = EmbeddedCluster(tmp_path / "data")
    yield c
    c.stop()
    shutil.rmtree(c.home, ignore_errors=True)
    shutil.rmtree(c.socket_dir, ignore_errors=True)


def test_up_is_idempotent_and_down_stops(cluster: EmbeddedCluster) -> None:
    url = cluster.up()
    pid = cluster.pid()
    assert pid is not None
    assert cluster.up() == url
    assert cluster.pid() == pid, "a second up must not restart the server"
    assert cluster.init() is False
    assert cluster.start() is False
    assert cluster.stop() is True
    assert cluster.status().running is False
    assert cluster.stop() is False


def test_listens_on_a_unix_socket_only(cluster: EmbeddedCluster) -> None:
    cluster.up()
    assert (cluster.socket_dir / f".s.PGSQL.{embedded.PORT}").exists()
    conf = (cluster.pgdata / "postgresql.conf").read_text()
    assert "listen_addresses = ''" in conf


def test_start_recovers_from_a_crash_with_a_stale_pid_file(cluster: EmbeddedCluster) -> None:
    cluster.up()
    pid = cluster.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while cluster.pid() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    # Backends may outlive a killed postmaster briefly; the pid file stays behind.
    time.sleep(1.0)
    assert (cluster.pgdata / "postmaster.pid").exists()
    assert cluster.running is False
    assert cluster.start() is True
    assert cluster.running is True
    cluster.ensure_database()


def test_a_data_directory_moved_elsewhere_runs_there(
    cluster: EmbeddedCluster, tmp_path: Path
) -> None:
    """Moved to a larger disk (IMS_DATA_DIR), a data directory's server listened where the
    old one was (initdb writes the socket's path), and a pid file copied with it from a
    running server made it look running (a walk-through upgrading an older install)."""
    cluster.up()
    cluster.stop()
    moved = EmbeddedCluster(tmp_path / "elsewhere")
    try:
        subprocess.run(["cp", "-a", str(cluster.home), str(moved.home)], check=True)
        cluster.start()  # the original runs on, where it was
        shutil.copy2(cluster.pgdata / "postmaster.pid", moved.pgdata / "postmaster.pid")
        assert moved.running is False  # the pid file names the original's directory
        assert moved.start() is True
        assert (moved.socket_dir / f".s.PGSQL.{embedded.PORT}").exists()
        assert moved.pid() != cluster.pid() and cluster.running
        moved.ensure_database()
    finally:
        moved.stop()
        shutil.rmtree(moved.home, ignore_errors=True)
        shutil.rmtree(moved.socket_dir, ignore_errors=True)


def test_missing_postgresql_names_the_packages_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(embedded.shutil, "which", lambda _tool: None)
    with pytest.raises(SetupError, match="apt-get install postgresql postgresql-15-postgis-3"):
        embedded.find_bindir(tmp_path)


def test_memory_is_sized_to_the_machine() -> None:
    gib = 1024**3
    assert embedded.sized_settings(24 * gib)["shared_buffers"] == "2048MB"  # at most 2 GB
    assert embedded.sized_settings(8 * gib)["shared_buffers"] == "1024MB"  # an eighth
    assert embedded.sized_settings(512 * 1024**2)["shared_buffers"] == "128MB"  # at least
    assert embedded.sized_settings(gib)["max_wal_size"] == "8GB"


def test_a_containers_memory_limit_counts_as_the_machines(tmp_path: Path) -> None:
    physical = embedded.machine_memory(())
    limited, unlimited = tmp_path / "memory.max", tmp_path / "v1"
    limited.write_text(f"{1024**3}\n")
    unlimited.write_text("max\n")
    assert embedded.machine_memory((limited, unlimited)) == min(physical, 1024**3)
    assert embedded.machine_memory((unlimited, tmp_path / "absent")) == physical


def test_the_server_runs_with_the_sized_settings_older_clusters_too(
    cluster: EmbeddedCluster,
) -> None:
    import psycopg

    cluster.init()
    conf = cluster.pgdata / "postgresql.conf"
    # as a cluster made before the settings were sized: no line reads them
    conf.write_text(conf.read_text().replace(f"include_if_exists = '{embedded.SIZED_CONF}'", ""))
    cluster.up()
    conninfo = f"host={cluster.socket_dir} port={embedded.PORT} user={embedded.SUPERUSER}"
    with psycopg.connect(conninfo + " dbname=postgres") as conn:
        shown = dict(
            conn.execute(
                "SELECT name, pg_size_bytes(current_setting(name)) / (1024 * 1024) "
                "FROM pg_settings WHERE name IN ('shared_buffers', 'max_wal_size')"
            ).fetchall()
        )
    sized = embedded.sized_settings()
    assert shown["shared_buffers"] == int(sized["shared_buffers"].removesuffix("MB"))
    assert shown["max_wal_size"] == 8 * 1024
    cluster.stop()
    cluster.up()  # a second start leaves one line reading them
    assert conf.read_text().count(f"include_if_exists = '{embedded.SIZED_CONF}'") == 1


def test_a_checkouts_ims_finds_its_database_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from another directory, a clone's `.venv/bin/ims` made a new, empty cluster
    there and answered from it: Article 7 all zero, "no user named 'kham'" (found by a
    walk-through as a system administrator)."""
    from ims import resources

    monkeypatch.chdir(tmp_path)
    if resources.INSTALLED:
        assert resources.default_data_dir().name == "ims"
    else:
        assert resources.default_data_dir() == resources.PACKAGE.parent / ".ims"
    assert resources.default_data_dir().is_absolute()


@pytest.mark.db
def test_a_command_that_finds_no_database_says_it_made_an_empty_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from ims.config import Settings
    from ims.db.session import logins

    settings = Settings(data_dir=tmp_path / "data", database_url=None, admin_database_url=None)
    made = EmbeddedCluster(settings.data_dir)
    try:
        with caplog.at_level("WARNING", logger="ims.db.session"):
            logins(settings)
            logins(settings)  # the second time there is one: nothing to say
        said = [r.getMessage() for r in caplog.records if "new, empty" in r.getMessage()]
        assert len(said) == 1 and str(tmp_path / "data") in said[0]
    finally:
        made.stop()
        shutil.rmtree(made.socket_dir, ignore_errors=True)


@pytest.mark.db
def test_a_backup_of_a_stopped_database_leaves_it_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ims db backup` started a stopped embedded database and left it running (found by
    a walk-through as a system administrator)."""
    from typer.testing import CliRunner

    from ims.cli import app
    from ims.config import get_settings

    data = tmp_path / "data"
    monkeypatch.setenv("IMS_DATA_DIR", str(data))
    get_settings.cache_clear()
    cluster = EmbeddedCluster(data)
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "up"]).exit_code == 0
        cluster.stop()
        result = runner.invoke(app, ["db", "backup", str(tmp_path / "ims.backup")])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "ims.backup").stat().st_size > 0
        assert "stopped again" in result.output and not cluster.running
        assert runner.invoke(app, ["db", "up"]).exit_code == 0  # a running one stays so
        assert runner.invoke(app, ["db", "backup", str(tmp_path / "b2")]).exit_code == 0
        assert cluster.running
    finally:
        cluster.stop()
        shutil.rmtree(cluster.socket_dir, ignore_errors=True)


@pytest.mark.db
def test_a_command_that_makes_a_new_database_says_so_where_its_data_would_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ims boundaries list` with a mistyped IMS_DATA_DIR made a new, empty database and
    answered "no boundaries loaded", as if the data were gone (a first-time user's review)."""
    from typer.testing import CliRunner

    from ims.cli import app
    from ims.config import get_settings

    data = tmp_path / "mistyped"
    monkeypatch.setenv("IMS_DATA_DIR", str(data))
    get_settings.cache_clear()
    cluster = EmbeddedCluster(data)
    try:
        runner = CliRunner()
        first = runner.invoke(app, ["boundaries", "list"])
        assert first.exit_code == 0, first.output
        assert f"created a new, empty embedded database in {cluster.pgdata}" in first.output
        assert f"IMS_DATA_DIR is {data}" in first.output
        again = runner.invoke(app, ["boundaries", "list"])
        assert "created a new" not in again.output  # said once, when it is made
    finally:
        cluster.stop()
        shutil.rmtree(cluster.socket_dir, ignore_errors=True)


@pytest.mark.db
def test_a_backup_restored_into_a_new_data_directory_is_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helper-89 followed the guide's check of a backup, a restore into a fresh data
    directory: the restore ended in "role ims_app does not exist", and no command could
    use the database (the role is the cluster's, and a backup holds none)."""
    from typer.testing import CliRunner

    from ims.cli import app
    from ims.config import get_settings

    clusters = [EmbeddedCluster(tmp_path / name) for name in ("data", "elsewhere")]
    runner = CliRunner()
    try:
        monkeypatch.setenv("IMS_DATA_DIR", str(clusters[0].home))
        get_settings.cache_clear()
        made = runner.invoke(app, ["users", "add", "amina", "--role", "reviewer", "--no-password"])
        assert made.exit_code == 0, made.output
        kept = runner.invoke(app, ["db", "backup", str(tmp_path / "ims.backup")])
        assert kept.exit_code == 0, kept.output
        with create_engine(clusters[0].url()).begin() as conn:  # as a newer ims leaves it
            conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
        newer = runner.invoke(app, ["db", "backup", str(tmp_path / "newer.backup")])
        assert newer.exit_code == 0, newer.output
        monkeypatch.setenv("IMS_DATA_DIR", str(clusters[1].home))
        get_settings.cache_clear()
        refused = runner.invoke(app, ["db", "restore", str(tmp_path / "newer.backup"), "--yes"])
        assert refused.exit_code == 2 and "newer ims" in refused.output, refused.output
        status = runner.invoke(app, ["db", "status"])  # a usable database all the same
        assert "role" not in status.output and "Traceback" not in status.output, status.output
        restored = runner.invoke(app, ["db", "restore", str(tmp_path / "ims.backup"), "--yes"])
        assert restored.exit_code == 0, restored.output
        listed = runner.invoke(app, ["users", "list"])
        assert listed.exit_code == 0, listed.output
        assert "amina" in listed.output
    finally:
        get_settings.cache_clear()
        for cluster in clusters:
            cluster.stop()
            shutil.rmtree(cluster.socket_dir, ignore_errors=True)
