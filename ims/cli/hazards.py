"""``ims hazards``: a hazard recorded in error (the same hazard recorded twice), withdrawn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ims.cli.common import actor, command, db_session, out
from ims.errors import InvalidRequest

if TYPE_CHECKING:
    from ims.db.withdrawals import HazardWithdrawalEffect

hazards_app = typer.Typer(
    help="Withdraw a hazard recorded in error (the same hazard recorded twice).",
    no_args_is_help=True,
)


def _effect_lines(effect: HazardWithdrawalEffect, *, done: bool) -> list[str]:
    """What a withdrawal changes, as the reviewer's confirmation on the hazard's page says."""
    counts = "counted" if done else "counts"
    lines = [
        f"hazard {effect.reference} ({effect.contam}, {effect.status or 'nothing remaining'},"
        f" recorded {effect.recorded}) {counts} {effect.area_m2:,.0f} m² within its boundary"
        f" and {effect.remaining_m2:,.0f} m² remaining today; withdrawn, it counts nothing"
        " on any date"
    ]
    if effect.overlaps:
        lines.append(f"  it shares ground with {', '.join(effect.overlaps)}")
    outside = effect.outside_line(done=done)
    if outside:
        lines.append(f"  {outside}")
    lines.append(f"  figures change for {', '.join(str(y) for y in effect.years)}")
    if effect.finalised_years:
        years = ", ".join(str(y) for y in effect.finalised_years)
        lines.append(f"  finalised reports that will list it as a correction: {years}")
    return lines


@command(hazards_app, "withdraw")
def hazards_withdraw(
    reference: Annotated[str, typer.Argument(help="The hazard's reference.")],
    reason: Annotated[str, typer.Option(help="Why: kept with the hazard, shown on its page.")] = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what it would change; change nothing.")
    ] = False,
) -> None:
    """Withdraw a hazard recorded in error, such as the same hazard recorded twice under
    two references. It is kept, with its revisions and the reason; nothing counts it on
    any date. Refused while any of its releases is in force: withdraw them first (`ims
    releases withdraw`), and send those that belong to the hazard that stays again."""
    from ims.db.withdrawals import hazard_withdrawal_effect
    from ims.ingest import approval

    if dry_run:
        with db_session() as session:
            effect = hazard_withdrawal_effect(session, reference)
        for line in ["would withdraw:", *_effect_lines(effect, done=False)]:
            out.print(line, highlight=False, markup=False)
        return
    if not reason.strip():
        raise InvalidRequest(
            "give the reason with --reason: it is kept with the hazard", field="reason"
        )
    with db_session() as session, session.begin():
        effect = approval.withdraw_hazard(session, reference, reason=reason, by=actor())
    for line in ["withdrawn:", *_effect_lines(effect, done=True)]:
        out.print(line, highlight=False, markup=False)
