"""The ``ims`` command: every command group put together, in the order ``--help`` lists them.

Each group lives in its own module (``ims db`` in ``db.py``, ``ims users`` and ``ims token``
in ``accounts.py``, …); what they share is in ``common.py``.

Imports are at the top of each module, except those that would make ``ims --help`` (which
loads every module) measurably slower, 5 ms or more each: SQLAlchemy and the models (and so
every ``ims.db`` module), alembic, the accounts module's password hashing, numpy, openpyxl,
matplotlib, GDAL and the like. Those are made inside the commands that use them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ims.cli import (
    accounts,
    audit,
    boundaries,
    db,
    hazards,
    mappings,
    reference,
    releases,
    report,
    sample,
    serve,
    submissions,
)
from ims.cli.common import command, reports_errors
from ims.config import configure_logging

app = typer.Typer(
    help="ims: national information management for survey and clearance of explosive "
    "ordnance (hazardous areas, land release, Convention on Cluster Munitions reports).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(asked: bool) -> None:
    if asked:
        from ims.resources import version_string

        typer.echo(f"ims {version_string()}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log in detail.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print this ims's version (and a checkout's commit) and stop.",
        ),
    ] = False,
) -> None:
    """Configure logging once for every command: the commands that serve narrate their steps."""
    # the demo prints its own steps, and narrates once it serves (ims.cli.sample.demo):
    # every approval's stamped steps had filled its output between them
    narrated = ctx.invoked_subcommand == "serve"
    # reports_errors: a setting unreadable
    reports_errors(configure_logging)("DEBUG" if verbose else None, narrated=narrated)


command(app, "import")(submissions.import_file)
command(app)(serve.serve)
command(app)(sample.demo)
app.add_typer(db.db_app, name="db")
app.add_typer(submissions.submissions_app, name="submissions")
app.add_typer(mappings.mappings_app, name="mappings")
app.add_typer(releases.releases_app, name="releases")
app.add_typer(hazards.hazards_app, name="hazards")
app.add_typer(boundaries.boundaries_app, name="boundaries")
app.add_typer(report.report_app, name="report")
app.add_typer(report.workplan_app, name="workplan")
app.add_typer(accounts.users_app, name="users")
app.add_typer(accounts.token_app, name="token")
app.add_typer(reference.reference_app, name="reference")
app.add_typer(reference.forms_app, name="forms")
app.add_typer(sample.sample_app, name="sample")
app.add_typer(audit.audit_app, name="audit")


def run() -> None:  # pragma: no cover - console entry point
    """Entry point that never shows a traceback for a domain error."""
    sys.exit(app())
