"""``ims sample`` and ``ims demo``: generated sample data, and the demo country served.

``demo`` is a command of ``ims`` itself, not of a group: the package's ``__init__``
registers it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ims.cli.common import actor, command, database_up, db_session, err, out, progress_bar
from ims.cli.report import print_article7
from ims.cli.serve import serve
from ims.config import get_settings, narrate
from ims.errors import InvalidRequest

sample_app = typer.Typer(help="Generated sample data.", no_args_is_help=True)


@command(sample_app, "generate")
def sample_generate(
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory to write to.")],
    hazards: Annotated[int, typer.Option(help="Number of hazards.")] = 3000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="gpkg or shp (zipped).")] = "gpkg",
) -> None:
    """Generate a national data set in the exchange template (deterministic by seed)."""
    from ims.sample import generate, write

    if fmt not in ("gpkg", "shp"):
        raise InvalidRequest("--format must be gpkg or shp")
    # the folder first: a file of that name, or one not writable, had been found only once
    # the data were generated (minutes at national scale)
    output.mkdir(parents=True, exist_ok=True)
    with progress_bar("generating") as update:
        data = generate(
            hazards, seed=seed, progress=lambda _stage, done, total: update(done, total)
        )
    for path in write(data, output, formats=(fmt,)):
        out.print(f"wrote {path}", highlight=False)
    out.print(
        f"{len(data.hazards):,} hazard features, {len(data.releases):,} releases", highlight=False
    )


def demo(
    hazards: Annotated[int, typer.Option(help="Size of the generated programme.")] = 3000,
    serve_pages: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the web pages at the end.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Address to serve on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to serve on.")] = None,
) -> None:
    """The main job: database up, demo country loaded (once), Article 7 tables, web pages."""
    from ims.reports.article7 import ReportScope
    from ims.reports.history import article7_with_history, summary
    from ims.sample.demo import demo_accounts, load_demo

    url = database_up().app
    err.print(f"database ready: {url}", highlight=False, soft_wrap=True)
    with db_session() as session, session.begin():
        result = load_demo(
            session, hazards=hazards, say=lambda msg: err.print(msg, highlight=False)
        )
        logins = demo_accounts(session, get_settings().data_dir / "demo-accounts.txt")
    if result.already_loaded:
        err.print("the demo country is already loaded: nothing to do", highlight=False)
    year = dt.date.today().year - 1
    with db_session() as session:
        report = article7_with_history(session, year, ReportScope(), by=actor().name)
    print_article7(report)
    err.print(summary(report["history"]), highlight=False)
    out.print(
        "demo accounts (one per role; kept in "
        f"{get_settings().data_dir / 'demo-accounts.txt'}): "
        + ", ".join(
            f"{name} / {password} ({role})"
            if password
            else f"{name} ({role}: its password was changed or it is disabled; "
            f"`ims users password {name}` sets a new one)"
            for name, role, password in logins
        ),
        highlight=False,
    )
    if serve_pages:
        settings = get_settings()
        narrate()  # a server narrates its steps
        address = f"http://{host or settings.host}:{port or settings.port}"
        out.print(
            f"serving the web pages at {address}/ (sign in with an account above; the map "
            f"at {address}/map, the API at {address}/api/v1/docs); Ctrl-C to stop",
            highlight=False,
        )
        serve(host=host, port=port)
