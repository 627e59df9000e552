"""``ims users`` and ``ims token`` on a database of their own (the CLI commits)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from ims.app import create_app
from ims.cli import app as cli_app
from tests.utils import point_cli_at


@pytest.fixture
def cli(
    committed_engine: Engine, committed_database: str, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    point_cli_at(
        monkeypatch, committed_engine.url.render_as_string(hide_password=False), committed_database
    )
    return CliRunner()


def test_users_add_list_disable_and_tokens_create_use_revoke(
    cli: CliRunner, committed_engine: Engine
) -> None:
    added = cli.invoke(
        cli_app,
        [
            "users",
            "add",
            "Mai",
            "--role",
            "operator",
            "--org",
            "MAG",
            "--name",
            "Mai Phommachanh",
            "--password-stdin",
        ],
        input="a long password\n",
    )
    assert added.exit_code == 0, added.output
    assert "added mai: operator, MAG" in added.output
    listed = cli.invoke(cli_app, ["users", "list"])
    assert listed.exit_code == 0 and "mai" in listed.output and "MAG" in listed.output

    made = cli.invoke(cli_app, ["token", "create", "mai", "--name", "QGIS upload script"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("ims_")
    client = TestClient(create_app(committed_engine))
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["organisation"] == "MAG"
    tokens = cli.invoke(cli_app, ["token", "list"])
    assert "QGIS upload script" in tokens.output and secret not in tokens.output
    with committed_engine.connect() as conn:
        token_id = conn.execute(text("SELECT max(id) FROM api_token")).scalar()
    revoked = cli.invoke(cli_app, ["token", "revoke", str(token_id)])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    after = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert after.status_code == 401

    disabled = cli.invoke(cli_app, ["users", "disable", "mai"])
    assert disabled.exit_code == 0 and "mai disabled" in disabled.output
    with committed_engine.connect() as conn:
        trail = conn.execute(
            text(
                "SELECT action, actor FROM audit_event WHERE object_type IN "
                "('user', 'token') ORDER BY id"
            )
        ).all()
    assert [a for a, _ in trail] == [
        "user.added",
        "token.created",
        "token.revoked",
        "user.disabled",
    ]
    assert all(actor.startswith("cli:") for _, actor in trail)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "add", "x1", "--role", "boss", "--password-stdin"],
            "a long password\n",
            "unknown role 'boss'",
        ),
        (
            ["users", "add", "x2", "--role", "operator", "--password-stdin"],
            "a long password\n",
            "organisation",
        ),
        (
            ["users", "add", "x3", "--role", "viewer", "--password-stdin"],
            "short\n",
            "at least 10 characters",
        ),
        (["users", "disable", "nobody"], "", "no user named 'nobody'"),
        (["token", "revoke", "999"], "", "no token with id 999"),
        (["token", "create", "nobody", "--name", "x"], "", "no user named"),
    ],
)
def test_bad_account_commands_say_what_is_wrong(
    cli: CliRunner, args: list[str], stdin: str, message: str
) -> None:
    result = cli.invoke(cli_app, args, input=stdin)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_reference_lists_are_kept_on_the_command_line(
    cli: CliRunner, committed_engine: Engine
) -> None:
    added = cli.invoke(cli_app, ["reference", "add-munition", "m-77", "--name", "M77 grenade"])
    assert added.exit_code == 0, added.output
    assert "M-77: M77 grenade (CMR, CMR)" in added.output
    assert "M-77" in cli.invoke(cli_app, ["reference", "munitions"]).output
    refused = cli.invoke(
        cli_app,
        ["reference", "add-munition", "M-77", "--name", "x", "--category", "ERW", "--not-cmr"],
    )
    assert refused.exit_code == 2 and "category and CMR flag stay" in refused.output
    org = cli.invoke(cli_app, ["reference", "add-organisation", "Danish Demining Group"])
    assert org.exit_code == 0 and "added Danish Demining Group (operator)" in org.output
    again = cli.invoke(cli_app, ["reference", "add-organisation", "Danish Demining Group"])
    assert again.exit_code == 2 and "already exists" in again.output
    assert "Danish Demining Group" in cli.invoke(cli_app, ["reference", "organisations"]).output
    with committed_engine.connect() as conn:
        actions = conn.scalars(text("SELECT action FROM audit_event ORDER BY id")).all()
    assert actions == ["munition.added", "organisation.added"]
