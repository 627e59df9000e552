"""``ims releases``: land released outside recorded hazards, listed and made into hazards."""

from __future__ import annotations

from typing import Annotated

import typer

from ims.cli.common import actor, command, db_session, out
from ims.domain.enums import HazardStatus
from ims.errors import InvalidRequest

releases_app = typer.Typer(
    help="Land released outside recorded hazards: list it, make a record a hazard.",
    no_args_is_help=True,
)


@command(releases_app, "outside")
def releases_outside(
    year: Annotated[int | None, typer.Option(help="Released in this year only.")] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Also those already made into hazards.")
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
        part = f" (part of {r.split_from})" if r.split_from else ""
        out.print(
            f"{r.reference}{part}: {r.method} {r.released}, {r.area_m2:,.0f} m², {r.contam}, "
            f"{r.operator or 'no operator'}{made}",
            highlight=False,
            markup=False,
        )
    total = sum(r.area_m2 for r in found if not r.made_into)
    out.print(f"{len(found):,} record(s); {total:,.0f} m² counted apart", highlight=False)


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
    out.print(
        f"{done.outside_reference} is now hazard {done.hazard_reference}, recorded and "
        "released on its release date",
        highlight=False,
        markup=False,
    )
