"""What every command group shares: the consoles, error reporting, the database, progress."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import inspect
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ims.config import get_settings
from ims.domain.enums import Contamination
from ims.errors import ImsError, InvalidRequest, SetupError
from ims.files import os_error_words, write_whole

if TYPE_CHECKING:
    from ims.db.audit import Actor
    from ims.db.session import Logins

F = TypeVar("F", bound=Callable[..., Any])


def visible(text: str) -> str:
    """``text`` with its control characters written out (``\\x1b``), newlines and tabs
    kept: an operator's file had a reference holding terminal codes that cleared a
    reviewer's screen and printed "All features valid" (an attack on our own instance)."""
    if text.isprintable() or all(c.isprintable() or c in "\n\t" for c in text):
        return text
    return "".join(
        c
        if c.isprintable() or c in "\n\t" or not unicodedata.category(c).startswith("C")
        else f"\\x{ord(c):02x}"
        if ord(c) < 0x100
        else f"\\u{ord(c):04x}"
        for c in text
    )


class _Console(Console):
    """Rich's console, writing every string it is given (a message, a table's cell) with
    its control characters made visible: Rich passes ESC through."""

    def render_str(self, text: str, **kwargs: Any) -> Any:
        return super().render_str(visible(text), **kwargs)


# Lines are not cut to the terminal's width: findings and URLs get copied and grepped.
# Piped or logged output gets room for the report tables (a terminal keeps its own width).
out = _Console(soft_wrap=True, width=None if sys.stdout.isatty() else 120)
err = _Console(stderr=True, soft_wrap=True)


def reports_errors(func: F) -> F:
    """Turn an ImsError into a one-line message and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImsError as exc:
            # the detail as text: a reference holding "[/]" had ended in Rich's MarkupError
            err.print(f"[bold red]error:[/] {escape(exc.detail)}", highlight=False)
            raise typer.Exit(2) from None
        except OSError as exc:
            # a path the system refused (an output folder that is a file, a file that is a
            # folder, no permission, a full disk): said in a line, not a traceback
            err.print(f"[bold red]error:[/] {escape(os_error_words(exc))}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def command(group: typer.Typer, name: str | None = None) -> Callable[[F], F]:
    """Register a function as a command of GROUP, its ImsErrors reported by `reports_errors`.

    Every command is registered here, so none can show a traceback where the command
    line promises a one-line error and exit status 2 (docs/design.md §7).
    """

    def register(func: F) -> F:
        # the group's list of commands shows the docstring's first paragraph as one: its
        # lines as written had broken it mid-sentence at any other width
        paragraphs = (inspect.getdoc(func) or "").split("\n\n")
        short = " ".join(paragraphs[0].split()) or None
        # and its help every paragraph as one: Typer keeps the line breaks of all but the
        # first, which broke `ims releases withdraw --help` after "by its reference: it"
        said = "\n\n".join(_flowed(p) for p in paragraphs) or None
        return group.command(name, short_help=short, help=said)(reports_errors(func))

    return register


def _flowed(paragraph: str) -> str:
    """A docstring's paragraph on one line, unless it is laid out (a list, an example)."""
    lines = paragraph.splitlines()
    if paragraph.startswith("\b") or any(
        line[:2] in ("- ", "* ") or line[:1] == " " for line in lines
    ):
        return paragraph
    return " ".join(line.strip() for line in lines)


def actor() -> Actor:
    """Who the command acts as in the audit trail: the person at the terminal."""
    # Not at the top: ims.db.audit brings SQLAlchemy and the models, which were half of
    # what `ims --help` took.
    from ims.db.audit import cli_actor

    return cli_actor()


# What a command does with a schema behind this ims's (it makes an empty one whatever):
# refuse, saying to back it up and migrate; migrate it (`ims db migrate`, the demo); warn
# (`ims db up`); or leave it as it is (a backup, a restore).
Behind = Literal["refuse", "migrate", "warn", "leave"]


def database_up(*, quiet: bool = False, when_behind: Behind = "refuse") -> Logins:
    """Start the embedded cluster if needed and give an empty database ims's schema; how to
    log in to it.

    A schema that this ims would migrate is migrated only by ``when_behind="migrate"``:
    every command had migrated it as it started, `ims db backup` too, so that the backup
    taken before an upgrade held the upgraded schema already (a walk-through upgrading an
    older install). An upgrade is the administrator's step, after a backup.
    """
    from ims.db.migrate import behind, current_revision, upgrade
    from ims.db.session import embedded_cluster, logins, make_owner_engine

    settings = get_settings()

    def say(message: str) -> None:
        if not quiet:
            err.print(message, highlight=False)

    if settings.database_url:
        found = logins(settings)
        say("using the server in IMS_DATABASE_URL")
    else:
        cluster = embedded_cluster(settings)
        created = cluster.init()
        started = cluster.start()
        cluster.ensure_database()
        found = logins(settings, start=False)
        if created:  # said even when quiet: a mistyped IMS_DATA_DIR made a new, empty one
            err.print(
                f"created a new, empty embedded database in {cluster.pgdata} (IMS_DATA_DIR "
                f"is {settings.data_dir}); if your data is elsewhere, point IMS_DATA_DIR there",
                highlight=False,
            )
        say(
            "started the embedded database"
            if started
            else "the embedded database is already running"
        )
    if when_behind == "leave":
        return found
    engine = make_owner_engine(found.owner)
    try:
        before = current_revision(engine)
        old = behind(engine)
        if old is not None and when_behind != "migrate":
            told = (
                f"the database's schema is at revision {old[0]} and this ims's is {old[1]}: "
                "back it up as it is (`ims db backup FILE`), then migrate it (`ims db "
                "migrate`); docs/operations.md, Upgrades"
            )
            if when_behind == "refuse":
                raise SetupError(told)
            err.print(f"[bold yellow]warning:[/] {told}", highlight=False)
            return found
        steps = upgrade(engine, by=actor().name)
        after = current_revision(engine)
    finally:
        engine.dispose()
    if before != after:  # said even when quiet: the schema changed
        err.print(f"schema migrated {before or 'empty'} -> {after}", highlight=False)
        if before is not None:
            for step in steps:
                err.print(f"  {step.revision}  {step.title}", highlight=False)
    else:
        say(f"schema already at head ({after})")
    return found


@contextlib.contextmanager
def db_session() -> Iterator[Any]:
    """A session on the database, started and migrated if need be."""
    from ims.db.session import make_engine, session_factory

    engine = make_engine(database_up(quiet=True).app)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for long commands, fed by (done, total) callbacks."""
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def parse_contam(value: str) -> Contamination:
    """The contamination kind an option names, or a one-line error."""
    try:
        return Contamination.parse(value)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None


def parse_date(value: str, option: str) -> dt.date:
    """The ISO date an option gives, or a one-line error naming the option."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{option}: {value!r} is not a date (use YYYY-MM-DD)") from None


def emit(text_out: str, output: Path | None) -> None:
    """Text on standard output (ending in a newline), or written to OUTPUT."""
    if output is None:
        sys.stdout.write(text_out if text_out.endswith("\n") else text_out + "\n")
    else:
        write_whole(output, text_out)
        err.print(f"wrote {output}", highlight=False)
