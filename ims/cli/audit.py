"""``ims audit``: the audit trail and its seals."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from ims.cli.common import command, database_up, err, out, progress_bar
from ims.errors import InvalidRequest

audit_app = typer.Typer(help="The audit trail and its seals.", no_args_is_help=True)


@command(audit_app, "verify")
def audit_verify(
    noted: Annotated[
        str | None,
        typer.Option(help="A head hash printed by an earlier run: it must still be in the chain."),
    ] = None,
) -> None:
    """Check the audit trail against its sealed SHA-256 chain (as the owner).

    Reports rows in no seal (forged), rows changed since they were sealed
    (altered), sealed rows that are gone (removed) and a broken chain; prints
    the head hash, to be noted outside the database.

    Exit status: 0 clean, 1 tampering found.
    """
    from ims.db.audit import verify_chain
    from ims.db.session import make_owner_engine

    if noted is not None:
        noted = noted.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", noted):
            # a mistyped hash had been reported as "tampering found" (helper-89)
            raise InvalidRequest(
                f"--noted {noted!r} is not a head hash: one is 64 hexadecimal characters, "
                "as `ims audit verify` prints it"
            )
    engine = make_owner_engine(database_up(quiet=True).owner)
    try:
        with (
            engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
            conn.begin(),
            progress_bar("checking the audit seals") as update,
        ):
            report = verify_chain(conn, noted_head=noted, progress=update)
    finally:
        engine.dispose()
    for problem in report.problems or []:
        out.print(f"{problem.kind}: {problem.detail}", highlight=False)
    counts = report.counts or {}
    for kind, count in counts.items():
        if count > len([p for p in report.problems or [] if p.kind == kind]):
            out.print(f"{kind}: {count:,} in all (the first ones are listed)", highlight=False)
    out.print(
        f"audit trail: {report.events:,} events in {report.seals:,} seals; head "
        f"{report.head or 'none (nothing sealed yet)'}",
        highlight=False,
    )
    if not report.clean:
        found = ", ".join(f"{count:,} {kind}" for kind, count in counts.items() if count)
        err.print(f"[bold red]tampering found:[/] {found}", highlight=False)
        raise typer.Exit(1)
    if not report.events:
        # "no tampering found" of an empty trail read as a restore that worked, after one
        # that had failed (a walk-through upgrading an older install); with --noted, the
        # noted head is missing from it, which is tampering
        err.print(
            "[bold yellow]warning:[/] the audit trail is empty: a new database, or not the "
            "one you meant to check",
            highlight=False,
        )
    out.print("no tampering found", highlight=False)
