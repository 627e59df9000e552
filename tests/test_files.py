"""Files written for a user are whole or not there: a report written to a full disk had
left a truncated PDF under its name after a traceback (found by a walk-through as a system
administrator)."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ims.cli import app
from ims.errors import InvalidRequest
from ims.files import write_whole
from tests.utils import point_cli_at


def test_a_failed_write_leaves_the_file_that_was_there_and_no_part_of_the_new(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.pdf"
    target.write_bytes(b"last year's report")
    real_open = Path.open

    class Full:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def write(self, data: bytes) -> int:
            self.handle.write(data[: len(data) // 2])  # half of it, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "open", lambda self, *a, **k: Full(real_open(self, *a, **k)))
    with pytest.raises(InvalidRequest, match=r"cannot write .*report\.pdf: No space left"):
        write_whole(target, b"%PDF-1.7 this year's report")
    monkeypatch.undo()
    assert target.read_bytes() == b"last year's report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]  # no partial file left
    write_whole(target, "this year's")
    assert target.read_text() == "this year's"


def test_a_report_that_cannot_be_written_is_one_line_and_exit_status_2(
    engine: Engine, owner_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    point_cli_at(
        monkeypatch,
        engine.url.render_as_string(hide_password=False),
        owner_engine.url.render_as_string(hide_password=False),
    )
    result = CliRunner().invoke(
        app, ["report", "article7", "--year", "2024", "-o", str(tmp_path / "no" / "r.csv")]
    )
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output and "No such file or directory" in result.output
    assert "Traceback" not in result.output


def test_working_folders_a_killed_server_left_are_swept_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server killed mid-upload left the 23 MB upload in the temporary directory for
    good (found by a walk-through as a system administrator). Only the names ims gives
    are swept: an attack on our own instance had the sweep stop `ims serve` from starting
    (a 20-digit "pid") and remove an administrator's /tmp/ims-upload-20261201."""
    import os
    import subprocess
    import sys
    import tempfile

    from ims.files import sweep_temp_folders, temp_folder

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f"ims-post-{gone.stdout.strip()}-abcd1234"
    mine = temp_folder("post")  # this process's: in use
    kept = [
        tmp_path / "ims-post-1pjxu8f5",  # no process named
        tmp_path / "ims-upload-20261201",  # an administrator's own
        tmp_path / "ims-held-4000000-my_notes",  # not a name ims gives
        tmp_path / "ims-post-99999999999999999999-abcdefgh",  # no process has such an id
        tmp_path / "ims-backups",
    ]
    for folder in (dead, *kept):
        folder.mkdir()
        (folder / "releases.gpkg").write_bytes(b"x" * 1000)
    (dead / ".ims-working-folder").touch()  # as temp_folder marks its own
    assert str(os.getpid()) in mine.name and mine.stat().st_mode & 0o777 == 0o700
    assert sweep_temp_folders() == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [mine.name, *(k.name for k in kept)]
    )
