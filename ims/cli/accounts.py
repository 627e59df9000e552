"""``ims users`` and ``ims token``: who may sign in, with which role, and API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from ims.cli.common import actor, command, db_session, err, out
from ims.domain.enums import Role
from ims.errors import InvalidRequest

users_app = typer.Typer(help="Users: who may sign in, with which role.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for scripts.", no_args_is_help=True)

# Options that more than one command takes, declared once so they read and behave alike.
Organisation = Annotated[
    str | None, typer.Option("--organisation", "--org", help="Required for operators.")
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _read_password(password_stdin: bool, *, confirm: bool = True) -> str:
    """A password from standard input (scripts) or asked twice without echo."""
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    value: str = typer.prompt(
        "password (10 characters or more)", hide_input=True, confirmation_prompt=confirm
    )
    return value


@command(users_app, "add")
def users_add(
    username: Annotated[str, typer.Argument(help="The sign-in name (lower case).")],
    role: Annotated[str, typer.Option(help="admin, reviewer, operator or viewer.")],
    organisation: Organisation = None,
    full_name: Annotated[str | None, typer.Option("--name", help="The person's name.")] = None,
    password_stdin: PasswordStdin = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No web sign-in (API tokens only).")
    ] = False,
    new_org: Annotated[
        bool,
        typer.Option("--new-org", help="Add the organisation named (otherwise it must be known)."),
    ] = False,
) -> None:
    """Add a user; asks for the password (twice) unless given on standard input."""
    from ims.db import accounts

    try:
        parsed = Role.parse(role)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    password = None if no_password else _read_password(password_stdin)
    with db_session() as session, session.begin():
        user = accounts.create_user(
            session,
            username,
            parsed,
            organisation=organisation,
            full_name=full_name,
            password=password,
            by=actor(),
            new_organisation=new_org,
        )
        org = user.organisation.name if user.organisation else "no organisation"
        out.print(f"added {user.username}: {user.role.value}, {org}", highlight=False)


@command(users_app, "list")
def users_list() -> None:
    """Every user with role, organisation and state."""
    from ims.db import accounts

    with db_session() as session:
        table = Table(title="Users", title_justify="left")
        for col in ("User", "Role", "Organisation", "Name", "Added", "State", "Password"):
            table.add_column(col)
        for u in accounts.list_users(session):
            table.add_row(
                u.username,
                u.role.value,
                u.organisation.name if u.organisation else "",
                u.full_name or "",
                f"{u.created_at:%Y-%m-%d}",
                f"disabled {u.disabled_at:%Y-%m-%d}" if u.disabled_at else "active",
                "set" if u.password_hash else "none (tokens only)",
            )
        out.print(table)


@command(users_app, "disable")
def users_disable(username: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Stop a user signing in (sessions end; tokens are revoked for good, and stay revoked
    if the user is enabled again); nothing is deleted."""
    _set_enabled(username, False)


@command(users_app, "enable")
def users_enable(username: Annotated[str, typer.Argument(help="The user to enable.")]) -> None:
    """Let a disabled user sign in again (their revoked tokens stay revoked: make new ones)."""
    _set_enabled(username, True)


def _set_enabled(username: str, enabled: bool) -> None:
    """Let a user sign in again, or stop them, and say which."""
    from ims.db import accounts

    change = accounts.enable_user if enabled else accounts.disable_user
    with db_session() as session, session.begin():
        user = change(session, username, by=actor())
        out.print(f"{user.username} {'enabled' if enabled else 'disabled'}", highlight=False)


@command(users_app, "password")
def users_password(
    username: Annotated[str, typer.Argument(help="Whose password to set.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password (their open sessions end)."""
    from ims.db import accounts

    password = _read_password(password_stdin)
    with db_session() as session, session.begin():
        accounts.set_password(session, username, password, by=actor())
        out.print(f"password of {username.lower()} set", highlight=False)


@command(users_app, "role")
def users_role(
    username: Annotated[str, typer.Argument(help="Whose role to change.")],
    role: Annotated[str, typer.Argument(help="admin, reviewer, operator or viewer.")],
    organisation: Organisation = None,
) -> None:
    """Change a user's role."""
    from ims.db import accounts

    with db_session() as session, session.begin():
        user = accounts.set_role(session, username, role, organisation=organisation, by=actor())
        out.print(f"{user.username} is now {user.role.value}", highlight=False)


@command(token_app, "create")
def token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for (shown in lists).")],
    days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None,
) -> None:
    """Make an API token and print it once (send it as `Authorization: Bearer <token>`)."""
    from ims.db import accounts

    with db_session() as session, session.begin():
        token, secret = accounts.create_token(session, username, name, days=days, by=actor())
        err.print(
            f"token {token.id} for {token.user.username} ({name}); it is shown only "
            "now, keep it like a password:",
            highlight=False,
        )
        out.print(secret, highlight=False)


@command(token_app, "list")
def token_list(
    username: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
) -> None:
    """API tokens (never their secrets)."""
    from ims.db import accounts

    with db_session() as session:
        table = Table(title="API tokens", title_justify="left")
        for col in ("Id", "User", "Name", "Starts", "Created", "Last used", "State"):
            table.add_column(col)
        for t in accounts.list_tokens(session, username):
            state = (
                f"revoked {t.revoked_at:%Y-%m-%d}"
                if t.revoked_at
                else f"expires {t.expires_at:%Y-%m-%d}"
                if t.expires_at
                else "active"
            )
            table.add_row(
                str(t.id),
                t.user.username,
                t.name,
                t.prefix + "…",
                f"{t.created_at:%Y-%m-%d}",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never",
                state,
            )
        out.print(table)


@command(token_app, "revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token: it stops working at once."""
    from ims.db import accounts

    with db_session() as session, session.begin():
        token = accounts.revoke_token(session, token_id, by=actor())
        out.print(
            f"token {token.id} ({token.name}, {token.user.username}) revoked", highlight=False
        )
