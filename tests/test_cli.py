"""The ``ims`` command: help everywhere, status against a given server, no tracebacks."""

from __future__ import annotations

import inspect
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine
from typer.testing import CliRunner

from ims.cli import app
from ims.config import get_settings
from tests.utils import point_cli_at

runner = CliRunner()


@pytest.fixture
def external_db(engine: Engine, owner_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ims at the test database: IMS_DATABASE_URL and IMS_ADMIN_DATABASE_URL."""
    url = engine.url.render_as_string(hide_password=False)
    point_cli_at(monkeypatch, url, owner_engine.url.render_as_string(hide_password=False))
    return url


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["db"],
        ["db", "up"],
        ["db", "status"],
        ["db", "down"],
        ["db", "migrate"],
        ["db", "backup"],
        ["db", "restore"],
        ["db", "verify"],
        ["audit"],
        ["audit", "list"],
        ["audit", "verify"],
        ["serve"],
        ["demo"],
        ["import"],
        ["submissions"],
        *[
            ["submissions", c]
            for c in ("list", "show", "approve", "reject", "note", "withdraw-releases")
        ],
        ["mappings"],
        ["mappings", "list"],
        ["mappings", "clear"],
        ["forms", "generate"],
        ["boundaries", "list"],
        ["boundaries", "names"],
    ],
)
def test_every_command_has_help(args: list[str]) -> None:
    result = runner.invoke(app, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def _commands(group: typer.Typer) -> list[typer.models.CommandInfo]:
    found = list(group.registered_commands)
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        found += _commands(sub.typer_instance)
    return found


def test_each_commands_summary_is_its_first_paragraph_in_one_line() -> None:
    """A group's list of commands had broken a summary where its docstring's lines broke
    ("…(a file approved in error:" / "sent twice…"), mid-sentence at any other width."""
    commands = [c for c in _commands(app) if c.callback is not None and c.callback.__doc__]
    assert len(commands) > 40
    for c in commands:
        first = (inspect.getdoc(c.callback) or "").split("\n\n", 1)[0]
        assert c.short_help == " ".join(first.split()), c.name


def test_each_commands_help_breaks_no_paragraph_mid_sentence() -> None:
    """Typer keeps the line breaks of every paragraph but the first: `ims releases withdraw
    --help` read "…by its reference: it" / "then counts…" at any width."""
    result = runner.invoke(app, ["releases", "withdraw", "--help"], env={"COLUMNS": "200"})
    assert "by its reference: it then counts in no Form 1(i) figure" in result.output
    for c in _commands(app):
        for paragraph in (c.help or "").split("\n\n")[1:]:
            assert "\n" not in paragraph, (c.name, paragraph)


def test_the_demo_prints_its_own_steps_and_narrates_only_once_it_serves() -> None:
    """Every approval of the demo's files printed its stamped INFO steps among the lines
    the README describes, about a hundred of them (a new user's review)."""
    code = (
        "import logging, types\n"
        "from ims.cli import main\n"
        "from ims.config import narrate\n"
        "main(types.SimpleNamespace(invoked_subcommand='demo'))\n"
        "print(logging.getLogger().getEffectiveLevel())\n"
        "narrate()\n"
        "print(logging.getLogger().getEffectiveLevel())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "IMS_LOG_LEVEL"}
    said = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert said.stdout.split() == [str(logging.WARNING), str(logging.INFO)]


def test_db_up_with_external_url_migrates_and_starts_nothing(external_db: str) -> None:
    result = runner.invoke(app, ["db", "up"])
    assert result.exit_code == 0, result.output
    assert "IMS_DATABASE_URL" in result.output
    assert "schema already at head" in result.output


def test_db_status_reports_the_external_server(external_db: str, test_server) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 0, result.output
    assert "external server" in result.output
    assert "PostGIS 3." in result.output
    assert "warning" not in result.output
    if test_server.separate_logins:
        assert "works as:       ims_app\n" in result.output


def test_db_status_warns_when_the_application_shares_the_owners_login(
    owner_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = owner_engine.url.render_as_string(hide_password=False)
    point_cli_at(monkeypatch, owner, owner)
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "IMS_ADMIN_DATABASE_URL" in result.output
    assert "RESET ROLE" in result.output


def test_unreachable_database_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMS_DATABASE_URL", "postgresql://nobody@/x?host=/nonexistent-dir")
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["db", "status"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "cannot reach the database" in result.output
    assert "Traceback" not in result.output


def test_ims_names_its_version_and_a_checkouts_commit() -> None:
    """An authority could not name the ims it runs: both versions called themselves 0.1.0
    and there was no `ims --version` (a walk-through upgrading an older install)."""
    import re
    import subprocess
    from pathlib import Path

    from ims import __version__

    said = runner.invoke(app, ["--version"])
    assert said.exit_code == 0, said.output
    root = Path(__file__).resolve().parents[1]
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    expected = f"ims {__version__}, commit {commit}" if commit else f"ims {__version__}"
    assert said.output.strip() == expected
    assert re.fullmatch(r"ims \d+\.\d+\.\d+(, commit [0-9a-f]{7,})?", said.output.strip())


def test_an_error_naming_a_crafted_value_is_printed_as_text_never_as_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A reference holding "[/]" ended the command in Rich's MarkupError (a traceback),
    and one holding terminal codes cleared a reviewer's screen and printed its own text
    (an attack on our own instance): both are printed as the characters they are."""
    import typer

    from ims.cli.common import out, reports_errors
    from ims.errors import InvalidRequest

    @reports_errors
    def refuse() -> None:
        raise InvalidRequest('hazard_id "OUT-[/]9\x1b[2J\x1b[1;1HAll valid" is taken')

    with pytest.raises(typer.Exit) as stopped:
        refuse()
    assert stopped.value.exit_code == 2
    said = capsys.readouterr().err
    assert "\x1b[2J" not in said and "\\x1b[2J" in said and "OUT-[/]9" in said
    out.print("a cell: X\x1b[8mhidden", markup=False)
    assert "\x1b[8m" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "said"),
    [
        # an unzipped shapefile's folder: the file in it is named
        (["import", "{dir}", "--kind", "hazards"], "{dir}: is a folder: give a file in it (a.shp"),
        (["workplan", "import", "{dir}"], "{dir}: is a folder"),
        # the findings' file where it cannot go: said before the import, not after it
        (
            ["import", "{file}", "--kind", "hazards", "--findings", "{dir}/none/f.csv"],
            "--findings {dir}/none/f.csv: cannot be written",
        ),
        # an output folder that is a file had ended in FileExistsError's traceback
        (["forms", "generate", "--out", "{file}"], "{file}: is a file, where a folder is wanted"),
        (
            ["sample", "generate", "-o", "{file}", "--hazards", "5"],
            "{file}: is a file, where a folder is wanted",
        ),
    ],
)
def test_a_folder_for_a_file_or_a_file_for_a_folder_is_a_one_line_error(
    tmp_path: Path, args: list[str], said: str
) -> None:
    """Found by a review as a data manager: each had been a traceback, or "no such file"
    of a folder that exists."""
    folder = tmp_path / "hazards"
    folder.mkdir()
    (folder / "a.shp").write_bytes(b"")
    plain = tmp_path / "notes.txt"
    plain.write_text("x")
    names = {"dir": str(folder), "file": str(plain)}
    result = runner.invoke(app, [a.format(**names) for a in args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert said.format(**names) in " ".join(result.output.split())
