"""The embedded default cluster: idempotent start, crash recovery, clear setup errors."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def test_missing_postgresql_names_the_packages_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(embedded.shutil, "which", lambda _tool: None)
    with pytest.raises(SetupError, match="apt-get install postgresql postgresql-15-postgis-3"):
        embedded.find_bindir(tmp_path)
