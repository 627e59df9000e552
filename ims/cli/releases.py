"""``ims releases``: land released outside recorded hazards, listed and made into hazards;
a release recorded in error, withdrawn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ims.cli.common import actor, command, db_session, out
from ims.domain.enums import HazardStatus
from ims.errors import InvalidRequest
from ims.words import counted

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from ims.db.withdrawals import WithdrawalEffect

releases_app = typer.Typer(
    help="Land released outside recorded hazards: list it, make a record a hazard; "
    "withdraw a release recorded in error.",
    no_args_is_help=True,
)


@command(releases_app, "outside")
def releases_outside(
    year: Annotated[int | None, typer.Option(help="Released in this year only.")] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Also those made into hazards, or withdrawn.")
    ] = False,
    limit: Annotated[int, typer.Option(help="How many at most.", min=1)] = 1000,
) -> None:
    """Land released where no hazard was recorded: counted apart in Form 1(i), never in
    the remaining or released figures. The register may be incomplete there."""
    from ims.queries.outside import outside_releases

    with db_session() as session:
        found = outside_releases(session, year=year, everything=everything, limit=limit)
    if not found:
        out.print("no land released outside recorded hazards", highlight=False)
        return
    for r in found:
        made = f" → hazard {r.made_into}" if r.made_into else ""
        if r.made_into_withdrawn:
            made = f" (made into hazard {r.made_into}, withdrawn since: counted apart again)"
        if r.withdrawn_at is not None:
            made = f" (withdrawn {r.withdrawn_at:%Y-%m-%d}: {r.withdrawn_reason})"
        part = f" (part of {r.split_from})" if r.split_from else ""
        out.print(
            f"{r.reference}{part}: {r.method} {r.released}, {r.area_m2:,.0f} m², {r.contam}, "
            f"{r.operator or 'no operator'}{made}",
            highlight=False,
            markup=False,
        )
    total = sum(
        r.area_m2
        for r in found
        if (not r.made_into or r.made_into_withdrawn) and r.withdrawn_at is None
    )
    out.print(f"{counted(len(found), 'record')}; {total:,.0f} m² counted apart", highlight=False)


@command(releases_app, "make-hazard")
def releases_make_hazard(
    reference: Annotated[str, typer.Argument(help="The outside record's reference.")],
    hazard_id: Annotated[str, typer.Option("--hazard-id", help="The new hazard's reference.")],
    status: Annotated[str, typer.Option(help="SHA or CHA: what the ground was.")] = "SHA",
) -> None:
    """Make land released outside hazards a retrospective hazard: recorded on the release
    date with the released polygon, and released the same day by the same method, so the
    history is complete (the remaining figures do not move; the released ones gain it)."""
    from ims.ingest import approval

    try:
        parsed = HazardStatus.parse(status)
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="status") from None
    with db_session() as session, session.begin():
        done = approval.convert_outside(
            session, reference, hazard_reference=hazard_id, status=parsed, by=actor()
        )
    left = (
        f"; {done.left_apart_m2:,.0f} m² it shares with other records of land released outside "
        "hazards is left out of it, and they go on counting it apart"
        if done.left_apart_m2
        else ""
    )
    out.print(
        f"{done.outside_reference} is now hazard {done.hazard_reference}, recorded and "
        f"released on its release date{left}",
        highlight=False,
        markup=False,
    )


def _effect_lines(effect: WithdrawalEffect, *, done: bool) -> list[str]:
    """What a withdrawal changes, as the reviewer's confirmation on the hazard's page says."""
    from ims.db.withdrawals import years_said

    counts = "counted" if done else "counts"
    lines = [
        f"release {effect.reference} ({effect.method} {effect.released}, hazard "
        f"{effect.hazard_reference}) {counts} {effect.counted_m2:,.0f} m²"
        + (
            f" and {', '.join(f'{c} × {q}' for c, q in effect.items.items())}"
            if effect.items
            else ""
        )
    ]
    for r in effect.recounted:
        lines.append(
            f"  {r.reference} ({r.released}) counts {r.counted_after_m2:,.0f} m² instead of "
            f"{r.counted_m2:,.0f} m²"
        )
    lines.append(
        f"  {effect.hazard_reference} remaining today: {effect.remaining_m2:,.0f} m² → "
        f"{effect.remaining_after_m2:,.0f} m²"
    )
    lines.append(f"  figures change for {years_said(effect.years)}")
    if effect.finalised_years:
        years = ", ".join(str(y) for y in effect.finalised_years)
        lines.append(f"  finalised reports that will list it as a correction: {years}")
    return lines


@command(releases_app, "withdraw")
def releases_withdraw(
    reference: Annotated[str, typer.Argument(help="The release's reference.")],
    reason: Annotated[
        str, typer.Option(help="Why: kept with the release, shown on its hazard's page.")
    ] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what it would change; change nothing.")
    ] = False,
) -> None:
    """Withdraw an approved release recorded in error (a duplicate, the wrong hazard, a
    wrong polygon). It is kept, with the reason; nothing counts it from now on, and its
    hazard's figures are counted again without it for every date. Record the right one
    afterwards under a new reference.

    Land released outside recorded hazards is withdrawn the same way, by its reference: it
    then counts in no Form 1(i) figure and is off the map."""
    from ims.db.withdrawals import withdrawal_effect
    from ims.ingest import approval

    with db_session() as session:
        outside = _outside_only(session, reference)
    if outside:
        _withdraw_outside(reference, reason=reason, dry_run=dry_run)
        return
    if dry_run:
        with db_session() as session:
            effect = withdrawal_effect(session, reference)
        for line in ["would withdraw:", *_effect_lines(effect, done=False)]:
            out.print(line, highlight=False, markup=False)
        return
    if not reason.strip():
        raise InvalidRequest(
            "give the reason with --reason: it is kept with the release", field="reason"
        )
    with db_session() as session, session.begin():
        effect = approval.withdraw_release(session, reference, reason=reason, by=actor())
    for line in ["withdrawn:", *_effect_lines(effect, done=True)]:
        out.print(line, highlight=False, markup=False)


def _outside_only(session: Session, reference: str) -> bool:
    """Whether ``reference`` names land released outside hazards and no release in force.

    A record made into a hazard shares its reference with that hazard's release: once the
    release is withdrawn, and the hazard with it, the record counts again and the
    reference is the record's to withdraw (it had answered "already withdrawn", of the
    release; an attack on our own instance)."""
    from sqlalchemy import text

    return bool(
        session.scalar(
            text(
                "SELECT NOT EXISTS (SELECT 1 FROM release_in_force WHERE reference = :r)"
                " AND EXISTS (SELECT 1 FROM outside_release_counted WHERE reference = :r)"
                " OR NOT EXISTS (SELECT 1 FROM release WHERE reference = :r)"
                " AND EXISTS (SELECT 1 FROM outside_release WHERE reference = :r)"
            ),
            {"r": reference},
        )
    )


def _withdraw_outside(reference: str, *, reason: str, dry_run: bool) -> None:
    """Withdraw a record of land released outside hazards (or say what that changes)."""
    from ims.db.withdrawals import outside_withdrawal_effect
    from ims.ingest import approval

    if dry_run:
        with db_session() as session:
            effect = outside_withdrawal_effect(session, reference)
        lines = ["would withdraw:", *effect.lines(done=False)]
    else:
        if not reason.strip():
            raise InvalidRequest(
                "give the reason with --reason: it is kept with the record", field="reason"
            )
        with db_session() as session, session.begin():
            effect = approval.withdraw_outside_release(
                session, reference, reason=reason, by=actor()
            )
        lines = ["withdrawn:", *effect.lines(done=True)]
    for line in lines:
        out.print(line, highlight=False, markup=False)
