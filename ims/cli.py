"""The ``ims`` command."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from ims.config import configure_logging, get_settings
from ims.errors import ImsError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    help="ims: national information management for survey and clearance of explosive "
    "ordnance (hazardous areas, land release, Convention on Cluster Munitions reports).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="The database: the embedded cluster and its migrations.", no_args_is_help=True
)
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)


def reports_errors(func: F) -> F:
    """Turn an ImsError into a one-line message and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ImsError as exc:
            err.print(f"[bold red]error:[/] {exc.detail}", highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log in detail.")] = False,
) -> None:
    """Configure logging once for every command."""
    configure_logging("DEBUG" if verbose else None)


def _database_up(*, quiet: bool = False) -> str:
    """Start the embedded cluster if needed, migrate to head and return the URL."""
    from ims.db.migrate import current_revision, upgrade
    from ims.db.session import embedded_cluster, make_engine, normalise_url

    settings = get_settings()

    def say(message: str) -> None:
        if not quiet:
            err.print(message, highlight=False)

    if settings.database_url:
        url = normalise_url(settings.database_url)
        say("using the server in IMS_DATABASE_URL")
    else:
        cluster = embedded_cluster(settings)
        created = cluster.init()
        started = cluster.start()
        cluster.ensure_database()
        url = cluster.url()
        if created:
            say(f"created the embedded cluster in {cluster.pgdata}")
        say(
            "started the embedded database"
            if started
            else "the embedded database is already running"
        )
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        after = current_revision(engine)
    finally:
        engine.dispose()
    say(
        f"schema migrated {before or 'empty'} -> {after}"
        if before != after
        else f"schema already at head ({after})"
    )
    return url


def _print_status() -> None:
    from ims.db.session import check_database, embedded_cluster, make_engine

    settings = get_settings()
    if settings.database_url:
        out.print("database: external server (IMS_DATABASE_URL)")
        url = settings.database_url
    else:
        st = embedded_cluster(settings).status()
        state = f"running (pid {st.pid})" if st.running else "stopped"
        if not st.initialised:
            state = "not initialised (run `ims db up`)"
        out.print(f"database: embedded cluster, {state}", highlight=False)
        out.print(f"  data directory: {st.pgdata}", highlight=False)
        out.print(f"  socket:         {st.socket_dir}", highlight=False)
        url = st.url
        if not st.running:
            out.print(f"  url:            {url}", highlight=False)
            return
    engine = make_engine(url)
    try:
        info = check_database(engine)
    finally:
        engine.dispose()
    out.print(f"  url:            {url}", highlight=False)
    out.print(
        f"  PostgreSQL {info['postgresql']}, PostGIS {info['postgis']}, "
        f"schema revision {info['schema_revision']}",
        highlight=False,
    )


@db_app.command("up")
@reports_errors
def db_up() -> None:
    """Start the embedded cluster (unless IMS_DATABASE_URL is set), migrate, print the URL."""
    out.print(_database_up(), highlight=False, soft_wrap=True)


@db_app.command("migrate")
@reports_errors
def db_migrate() -> None:
    """Migrate the database to the latest schema (starts nothing)."""
    from ims.db.migrate import upgrade
    from ims.db.session import database_url, embedded_cluster, make_engine

    settings = get_settings()
    if not settings.database_url and not embedded_cluster(settings).running:
        raise ImsError("the embedded database is not running: start it with `ims db up`")
    engine = make_engine(database_url(start=False))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    out.print("database migrated to head")


@db_app.command("down")
@reports_errors
def db_down() -> None:
    """Stop the embedded cluster."""
    from ims.db.session import embedded_cluster

    settings = get_settings()
    if settings.database_url:
        out.print("IMS_DATABASE_URL is set: ims does not manage that server")
        return
    stopped = embedded_cluster(settings).stop()
    out.print("embedded database stopped" if stopped else "embedded database was not running")


@db_app.command("status")
@reports_errors
def db_status() -> None:
    """Show where the database is, whether it runs, and its schema revision."""
    _print_status()


@app.command()
@reports_errors
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the API and the web pages."""
    import uvicorn

    settings = get_settings()
    _database_up(quiet=True)
    uvicorn.run(
        "ims.api.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
    )


@app.command()
@reports_errors
def demo(
    serve_pages: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web pages at the end.")
    ] = False,
) -> None:
    """The main job on the embedded default: database up and migrated, status printed."""
    url = _database_up()
    out.print(f"database ready: {url}", highlight=False, soft_wrap=True)
    _print_status()
    if serve_pages:
        serve(host=None, port=None)


def run() -> None:  # pragma: no cover - console entry point
    """Entry point that never shows a traceback for a domain error."""
    sys.exit(app())
