"""``ims audit``: the audit trail and its seals."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ims.cli.common import command, database_up, db_session, err, out, progress_bar
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


# what a row shows of an event's values before and after it: the rest is in --json
_SHOWN = 160


@command(audit_app, "list")
def audit_list(
    action: Annotated[
        list[str] | None,
        typer.Option(
            help="Only this action (submission.approved), or every one about it (submission); "
            "may be given more than once."
        ),
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Only what this account did.")] = None,
    before: Annotated[
        int | None, typer.Option(help="Only events numbered below this (the next page).", min=1)
    ] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1, max=10_000)] = 50,
    as_json: Annotated[
        bool, typer.Option("--json", help="As JSON lines: each event whole, newest first.")
    ] = False,
) -> None:
    """Who did what and when: the audit trail's latest events, newest first.

    The same events as the admin pages' audit view and GET /api/v1/audit, for a
    server reached by its terminal only.
    """
    from ims.db.audit import recent_events

    with db_session() as session:
        events = recent_events(
            session, limit=limit, before_id=before, actions=action or (), actor=actor
        )
    if as_json:
        for e in events:
            out.print(
                json.dumps(
                    {
                        "id": e.id,
                        "at": e.at.isoformat(),
                        "actor": e.actor,
                        "action": e.action,
                        "object_type": e.object_type,
                        "object_id": e.object_id,
                        "submission_id": e.submission_id,
                        "before": e.before,
                        "after": e.after,
                    },
                    ensure_ascii=False,
                    default=str,
                ),
                highlight=False,
                soft_wrap=True,
            )
        return
    if not events:
        out.print("no audit event matches", highlight=False)
        return
    table = Table(title="Audit trail, newest first", title_justify="left")
    for column in ("ID", "At (UTC)", "Who", "Action", "About", "Values"):
        table.add_column(column, justify="right" if column == "ID" else "left")
    for e in events:
        table.add_row(
            str(e.id),
            e.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            escape(e.actor),
            escape(e.action),
            escape(f"{e.object_type} {e.object_id}"),
            escape(_values(e.before, e.after)),
        )
    out.print(table)
    if len(events) == limit:
        out.print(f"older events: --before {events[-1].id}", highlight=False)


def _values(before: Any, after: Any) -> str:
    """An event's values on one line, cut to ``_SHOWN`` characters."""
    said = []
    if before:
        said.append("before " + json.dumps(before, ensure_ascii=False, default=str))
    if after:
        said.append(json.dumps(after, ensure_ascii=False, default=str))
    text = "; ".join(said)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
