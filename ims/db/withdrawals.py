"""Withdrawing an approved release, or a hazard, recorded in error (docs/design.md §2.8,
§2.9).

A release approved by mistake (the same clearance sent twice under two references, a
release put on the wrong hazard, a polygon typed wrong) is never changed or removed: a
reviewer withdraws it, with the reason, and from then on nothing counts it. Its hazard's
ledger is built again without it, so the ground it released is remaining again, or is
released by the next release over it (§2.2: a square metre is released once, by the first
release that reaches it). The release, its items and the withdrawal stay in the database
and on the hazard's page; a report finalised before lists the withdrawal as a correction.

A hazard recorded in error (above all the same hazard recorded twice under two
references) is withdrawn the same way, once none of its releases is in force: its ledger
is then empty, so it is in no figure, map or list of any date, and the hazard it repeated
no longer overlaps it. Cancelling it by a release had counted its area as land released.

``withdrawal_effect`` and ``hazard_withdrawal_effect`` say beforehand what the withdrawal
would change, computed as the ledger computes, without writing anything: the reviewer's
confirmation shows it.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ims.db import audit, ledger
from ims.db.audit import Actor
from ims.db.models import Hazard, HazardWithdrawal, Release, ReleaseWithdrawal
from ims.domain.ledger import hazard_ledger_states
from ims.domain.references import invisible
from ims.errors import Conflict, InvalidRequest, NotFound

REASON_MAX = 2000  # characters, as a revision's reason


@dataclass(frozen=True)
class Recount:
    """Another release of the hazard that counts a different area once the one withdrawn
    no longer does (it reached ground the withdrawn one had released first)."""

    reference: str
    released: dt.date
    counted_m2: float
    counted_after_m2: float


@dataclass(frozen=True)
class WithdrawalEffect:
    """What withdrawing a release changes, as the ledger counts it."""

    reference: str
    hazard_id: int
    hazard_reference: str
    method: str
    released: dt.date
    counted_m2: float  # what the release counts now; nothing once withdrawn
    items: dict[str, int]
    remaining_m2: float  # the hazard's remaining area today, before and after
    remaining_after_m2: float
    recounted: list[Recount] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # whose figures change
    finalised_years: list[int] = field(default_factory=list)  # reports that list it

    def as_dict(self) -> dict[str, Any]:
        """JSON for the API, the page and the audit trail."""
        return {
            "release": self.reference,
            "hazard": self.hazard_reference,
            "method": self.method,
            "released": self.released.isoformat(),
            "counted_m2": round(self.counted_m2, 1),
            "items": self.items,
            "remaining_m2": round(self.remaining_m2, 1),
            "remaining_after_m2": round(self.remaining_after_m2, 1),
            "recounted": [
                {
                    "release": r.reference,
                    "released": r.released.isoformat(),
                    "counted_m2": round(r.counted_m2, 1),
                    "counted_after_m2": round(r.counted_after_m2, 1),
                }
                for r in self.recounted
            ],
            "years": self.years,
            "finalised_years": self.finalised_years,
        }


def _reason(reason: str) -> str:
    """The reason given for a withdrawal, checked (InvalidRequest)."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("a withdrawal needs a reason, kept with the record withdrawn")
    if len(reason) > REASON_MAX or "\x00" in reason:
        raise InvalidRequest(f"give a reason of at most {REASON_MAX} characters")
    # a right-to-left override would make the reason read otherwise on the record's page,
    # the audit trail and a finalised report's corrections (an attack on our own instance)
    hidden = sorted(c for c in invisible(reason) if c not in "\n\t")
    if hidden:
        names = ", ".join(
            f"U+{ord(c):04X} {unicodedata.name(c, 'control character')}" for c in hidden
        )
        raise InvalidRequest(
            f"the reason holds characters that are invisible or change how it reads "
            f"({names}): type it again"
        )
    return reason


def _release(session: Session, reference: str) -> Release:
    release = session.scalars(select(Release).where(Release.reference == reference)).first()
    if release is None:
        raise NotFound(f"no release is recorded as {reference!r}")
    withdrawn = session.get(ReleaseWithdrawal, release.id)
    if withdrawn is not None:
        raise Conflict(
            f"release {reference} was already withdrawn on "
            f"{withdrawn.withdrawn_at:%Y-%m-%d} by {withdrawn.withdrawn_by or 'someone unnamed'}"
        )
    return release


def _counted(
    session: Session, hazard_id: int, without: int | None
) -> tuple[dict[int, float], float]:
    """What each release of the hazard counts (by release id), and its remaining area
    after its last entry, computed from its records as the ledger is (without the release
    ``without``, if given)."""
    [item] = ledger.load_inputs(session, [hazard_id])
    releases = [r for r in item.releases if r.key != without]
    [(entries, _)] = hazard_ledger_states([(item.versions, releases)])
    counted = {int(e.key): e.released_m2 for e in entries if e.kind.is_release}  # type: ignore[call-overload]
    return counted, entries[-1].remaining_after_m2 if entries else 0.0


def withdrawal_effect(session: Session, reference: str) -> WithdrawalEffect:
    """What withdrawing release ``reference`` would change (NotFound, Conflict if it was
    withdrawn already); nothing is written."""
    release = _release(session, reference)
    hazard = session.get(Hazard, release.hazard_id)
    assert hazard is not None
    before, remaining = _counted(session, hazard.id, None)
    after, remaining_after = _counted(session, hazard.id, release.id)
    others = {
        rid: (ref, released)
        for rid, ref, released in session.execute(
            text(
                "SELECT id, reference, released FROM release_in_force "
                "WHERE hazard_id = :h AND id <> :r"
            ),
            {"h": hazard.id, "r": release.id},
        )
    }
    recounted = sorted(
        (
            Recount(others[rid][0], others[rid][1], before.get(rid, 0.0), after.get(rid, 0.0))
            for rid in others
            if abs(before.get(rid, 0.0) - after.get(rid, 0.0)) >= 0.05
        ),
        key=lambda r: (r.released, r.reference),
    )
    items = {
        code: int(qty)
        for code, qty in session.execute(
            text(
                "SELECT munition_code, quantity FROM release_item WHERE release_id = :r "
                "ORDER BY munition_code"
            ),
            {"r": release.id},
        )
    }
    years = sorted({release.released.year, *(r.released.year for r in recounted)})
    finalised = _finalised_since(session, hazard.contam.value, min(years))
    return WithdrawalEffect(
        reference=release.reference,
        hazard_id=hazard.id,
        hazard_reference=hazard.reference,
        method=release.method.value,
        released=release.released,
        counted_m2=before.get(release.id, 0.0),
        items=items,
        remaining_m2=remaining,
        remaining_after_m2=remaining_after,
        recounted=recounted,
        years=years,
        finalised_years=finalised,
    )


def withdraw_release(
    session: Session, reference: str, *, reason: str, by: Actor | str | None = None
) -> WithdrawalEffect:
    """Withdraw release ``reference``: note why, build its hazard's ledger again without
    it, audit it (in the caller's transaction; the caller holds the approval lock)."""
    reason = _reason(reason)
    effect = withdrawal_effect(session, reference)
    release = _release(session, reference)
    actor = audit.as_actor(by)
    session.add(ReleaseWithdrawal(release_id=release.id, reason=reason, withdrawn_by=actor.name))
    session.flush()
    ledger.refresh(session, [release.hazard_id])
    audit.record(
        session,
        actor,
        "release.withdrawn",
        "release",
        release.reference,
        hazard_id=release.hazard_id,
        submission_id=release.submission_id,
        before={
            "release": release.reference,
            "counted_m2": round(effect.counted_m2, 1),
            "remaining_m2": round(effect.remaining_m2, 1),
        },
        after={
            "reason": reason,
            "remaining_m2": round(effect.remaining_after_m2, 1),
            "recounted": effect.as_dict()["recounted"],
        },
    )
    return effect


# --- hazards -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HazardWithdrawalEffect:
    """What withdrawing a hazard changes: all it counts, on every date, goes."""

    reference: str
    hazard_id: int
    contam: str
    status: str | None  # today's, None if nothing is left of it
    recorded: dt.date
    revisions: int
    area_m2: float  # its boundary in force today
    remaining_m2: float  # its remaining area today; nothing once withdrawn
    overlaps: list[str] = field(default_factory=list)  # hazards in force it shares ground with
    years: list[int] = field(default_factory=list)  # whose figures change
    finalised_years: list[int] = field(default_factory=list)  # reports that list it

    def as_dict(self) -> dict[str, Any]:
        """JSON for the API, the page and the audit trail."""
        return {
            "hazard": self.reference,
            "contam": self.contam,
            "status": self.status,
            "recorded": self.recorded.isoformat(),
            "revisions": self.revisions,
            "area_m2": round(self.area_m2, 1),
            "remaining_m2": round(self.remaining_m2, 1),
            "overlaps": self.overlaps,
            "years": self.years,
            "finalised_years": self.finalised_years,
        }


def _hazard(session: Session, reference: str) -> Hazard:
    """The hazard ``reference`` if it can be withdrawn (NotFound, Conflict)."""
    hazard = session.scalars(select(Hazard).where(Hazard.reference == reference)).first()
    if hazard is None:
        raise NotFound(f"no hazard is recorded as {reference!r}")
    withdrawn = session.get(HazardWithdrawal, hazard.id)
    if withdrawn is not None:
        raise Conflict(
            f"hazard {reference} was already withdrawn on {withdrawn.withdrawn_at:%Y-%m-%d} "
            f"by {withdrawn.withdrawn_by or 'someone unnamed'}"
        )
    releases = list(
        session.scalars(
            text(
                "SELECT reference FROM release_in_force WHERE hazard_id = :h ORDER BY released, seq"
            ),
            {"h": hazard.id},
        )
    )
    if releases:
        more = f" and {len(releases) - 10} more" if len(releases) > 10 else ""
        shown = ", ".join(releases[:10]) + more
        raise Conflict(
            f"hazard {reference} has releases in force ({shown}): withdraw each of them "
            "first, and send again those that belong to another hazard against that hazard"
        )
    return hazard


def _finalised_since(session: Session, contam: str, first_year: int) -> list[int]:
    """The years from ``first_year`` on whose Article 7 report (``contam``) was finalised."""
    return sorted(
        int(year)
        for (year,) in session.execute(
            text(
                "SELECT DISTINCT substring(params FROM 'year=([0-9]+)') FROM report_run "
                "WHERE kind = 'article7' AND params LIKE '%contam=' || :c"
            ),
            {"c": contam},
        )
        if year is not None and int(year) >= first_year
    )


def hazard_withdrawal_effect(
    session: Session, reference: str, *, today: dt.date | None = None
) -> HazardWithdrawalEffect:
    """What withdrawing hazard ``reference`` would change (NotFound; Conflict if it was
    withdrawn already or has releases in force); nothing is written."""
    hazard = _hazard(session, reference)
    row = session.execute(
        text(
            "SELECT min(r.effective) AS recorded, count(*) AS revisions,"
            " m.status, m.area_m2, m.remaining_m2"
            " FROM hazard_revision r LEFT JOIN hazard_remaining m ON m.hazard_id = r.hazard_id"
            " WHERE r.hazard_id = :h GROUP BY m.status, m.area_m2, m.remaining_m2"
        ),
        {"h": hazard.id},
    ).one()
    overlaps = list(
        session.scalars(
            text(
                "SELECT h.reference FROM hazard_overlap o JOIN hazard_in_force h"
                " ON h.id = o.other_id WHERE o.hazard_id = :h ORDER BY h.reference"
            ),
            {"h": hazard.id},
        )
    )
    this_year = (today or dt.date.today()).year
    first = row.recorded.year
    return HazardWithdrawalEffect(
        reference=hazard.reference,
        hazard_id=hazard.id,
        contam=hazard.contam.value,
        status=row.status,
        recorded=row.recorded,
        revisions=int(row.revisions),
        area_m2=float(row.area_m2 or 0.0),
        remaining_m2=float(row.remaining_m2 or 0.0),
        overlaps=overlaps,
        years=list(range(first, max(first, this_year) + 1)),
        finalised_years=_finalised_since(session, hazard.contam.value, first),
    )


def withdraw_hazard(
    session: Session, reference: str, *, reason: str, by: Actor | str | None = None
) -> HazardWithdrawalEffect:
    """Withdraw hazard ``reference``: note why, empty its ledger (so that nothing counts
    it on any date), audit it (in the caller's transaction; the caller holds the approval
    lock)."""
    reason = _reason(reason)
    effect = hazard_withdrawal_effect(session, reference)
    actor = audit.as_actor(by)
    session.add(
        HazardWithdrawal(hazard_id=effect.hazard_id, reason=reason, withdrawn_by=actor.name)
    )
    session.flush()
    ledger.refresh(session, [effect.hazard_id])
    audit.record(
        session,
        actor,
        "hazard.withdrawn",
        "hazard",
        effect.reference,
        hazard_id=effect.hazard_id,
        before={
            "hazard": effect.reference,
            "status": effect.status,
            "area_m2": round(effect.area_m2, 1),
            "remaining_m2": round(effect.remaining_m2, 1),
        },
        after={"reason": reason, "overlapped": effect.overlaps},
    )
    return effect
