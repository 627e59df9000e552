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

Land released outside recorded hazards (§2.7) approved in error is withdrawn the same way:
it then counts in no Form 1(i) figure and is off the map, and stays listed as withdrawn.

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
from ims.db.models import (
    Hazard,
    HazardWithdrawal,
    OutsideRelease,
    OutsideReleaseConversion,
    OutsideReleaseWithdrawal,
    Release,
    ReleaseWithdrawal,
    Submission,
)
from ims.db.outside import apart_of
from ims.domain.enums import SubmissionStatus
from ims.domain.ledger import hazard_ledger_states
from ims.domain.references import invisible
from ims.errors import Conflict, InvalidRequest, NotFound
from ims.words import counted

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


def years_changed(years: set[int], *, lasting: bool, today: dt.date | None = None) -> list[int]:
    """The years whose figures a withdrawal changes: from the first release concerned to
    the last one (land released, and the area remaining in between), and on to this year
    when the remaining area changes for good. Only the releases' own years had been said,
    where Form 1(h) changed in every year after them (a reviewer's walk-through)."""
    first = min(years)
    last = (today or dt.date.today()).year if lasting else max(years)
    return list(range(first, max(first, last) + 1))


def years_said(years: list[int]) -> str:
    """Years as a reader reads them: "2021", "2021 and 2022", "2012–2026"."""
    if len(years) == 1:
        return str(years[0])
    if len(years) == 2:
        return f"{years[0]} and {years[1]}"
    return f"{years[0]}–{years[-1]}"


# Invisible, but how a script is written, not a way to make a reason read otherwise: the
# zero-width space between Khmer (and Thai) words, the joiners of Persian, Indic scripts
# and emoji, the variation selectors of emoji (refused, a reason in those scripts could
# not be typed as written: an attack on our own instance)
TEXT_JOINERS = frozenset("\u200b\u200c\u200d\ufe0e\ufe0f")


def _reason(reason: str) -> str:
    """The reason given for a withdrawal, checked (InvalidRequest)."""
    reason = reason.strip()
    if not reason:
        raise InvalidRequest("a withdrawal needs a reason, kept with the record withdrawn")
    if "\x00" in reason:
        raise InvalidRequest("the reason holds a NUL character: type it again")
    if len(reason) > REASON_MAX:
        raise InvalidRequest(f"give a reason of at most {REASON_MAX} characters")
    # a right-to-left override would make the reason read otherwise on the record's page,
    # the audit trail and a finalised report's corrections (an attack on our own instance)
    hidden = sorted(c for c in invisible(reason) if c not in "\n\t" and c not in TEXT_JOINERS)
    if hidden:
        names = ", ".join(
            f"U+{ord(c):04X} {unicodedata.name(c, 'control character')}" for c in hidden
        )
        raise InvalidRequest(
            f"the reason holds characters that are invisible or change how it reads "
            f"({names}): type it again"
        )
    return reason


def _parts(session: Session, reference: str) -> str:
    """Where a release split among hazards was recorded (§2.7), as a sentence to append:
    ``ims releases withdraw PART-1`` had said only that no release is recorded so."""
    parts = session.execute(
        text(
            "SELECT x.reference, h.reference FROM release x JOIN hazard h ON h.id = x.hazard_id"
            " WHERE x.attributes->>'split_from' = :r"
            " UNION ALL SELECT o.reference, NULL FROM outside_release o"
            " WHERE o.attributes->>'split_from' = :r ORDER BY 1"
        ),
        {"r": reference},
    ).all()
    if not parts:
        return ""
    named = ", ".join(
        f"{ref} ({f'on hazard {on}' if on else 'outside recorded hazards'})" for ref, on in parts
    )
    return f": it was recorded in parts, {named}; withdraw each by its reference"


def _release(session: Session, reference: str) -> Release:
    release = session.scalars(select(Release).where(Release.reference == reference)).first()
    if release is None:
        raise NotFound(f"no release is recorded as {reference!r}{_parts(session, reference)}")
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
    years = years_changed(
        {release.released.year, *(r.released.year for r in recounted)},
        lasting=abs(remaining - remaining_after) >= 0.05,
    )
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
    # made by a reviewer from land released outside hazards (§2.7): that record, which
    # counts apart in Form 1(i) again once the hazard is withdrawn, and its area
    made_from_outside: str | None = None
    outside_m2: float = 0.0
    outside_released: dt.date | None = None
    # by year: what later records of such land count less, its ground counted again first
    outside_later: dict[int, float] = field(default_factory=dict)

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
            "made_from_outside": self.made_from_outside,
            "outside_m2": round(self.outside_m2, 1),
            "outside_released": (
                self.outside_released.isoformat() if self.outside_released else None
            ),
            "outside_later_m2": {str(y): round(m2, 1) for y, m2 in self.outside_later.items()},
        }

    def outside_line(self, *, done: bool) -> str | None:
        """What happens to the land released outside hazards it was made from, if any."""
        if self.made_from_outside is None or self.outside_released is None:
            return None
        return (
            f"it was made from land released outside recorded hazards, "
            f"{self.made_from_outside}: that record "
            f"{'counts' if done else 'will count'} again in Form 1(i) of "
            f"{self.outside_released.year}, {self.outside_m2:,.0f} m² apart as land released "
            "outside recorded hazards"
            + "".join(
                f", and later records count {m2:,.0f} m² less in Form 1(i) of {year}"
                for year, m2 in sorted(self.outside_later.items())
            )
            + "; withdraw it too if it was recorded in error"
        )


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
    made_from = session.execute(
        text(
            "SELECT o.id, o.reference, o.area_m2, o.released FROM outside_release_conversion c"
            " JOIN outside_release_in_force o ON o.id = c.outside_release_id"
            " WHERE c.hazard_id = :h"
        ),
        {"h": hazard.id},
    ).first()
    this_year = (today or dt.date.today()).year
    first = row.recorded.year
    again = apart_of(session, [made_from.id]) if made_from else {}
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
        made_from_outside=made_from.reference if made_from else None,
        # what it counts again beside the records that count (ims.db.outside)
        outside_m2=again.get(made_from.released.year, 0.0) if made_from else 0.0,
        outside_released=made_from.released if made_from else None,
        outside_later={
            y: -m2 for y, m2 in again.items() if made_from and y != made_from.released.year
        },
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
        after={
            "reason": reason,
            "overlapped": effect.overlaps,
            **(
                {"counts_again_outside": effect.made_from_outside}
                if effect.made_from_outside
                else {}
            ),
        },
    )
    return effect


# --- land released outside recorded hazards ------------------------------------------------


@dataclass(frozen=True)
class OutsideWithdrawalEffect:
    """What withdrawing a record of land released outside hazards changes: its area leaves
    Form 1(i) ("released outside recorded hazards") of its year, and the map."""

    reference: str
    released: dt.date
    method: str
    contam: str
    area_m2: float
    operator: str | None
    submission_id: int | None
    items: dict[str, int]
    finalised_years: list[int] = field(default_factory=list)  # reports that list it
    # the hazard a reviewer made of it, withdrawn since as recorded in error (§2.7)
    made_into: str | None = None
    # what Form 1(i) counts of it: its ground no other record released by its year's end
    # (ims.db.outside), and what later years count of it instead, once it is withdrawn
    counted_m2: float | None = None
    later_m2: dict[int, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON for the API, the page and the audit trail."""
        return {
            "reference": self.reference,
            "released": self.released.isoformat(),
            "method": self.method,
            "contam": self.contam,
            "area_m2": round(self.area_m2, 1),
            "counted_m2": round(self.counted, 1),
            "later_m2": {str(y): round(m2, 1) for y, m2 in self.later_m2.items()},
            "operator": self.operator,
            "submission_id": self.submission_id,
            "items": self.items,
            "years": [self.released.year, *sorted(self.later_m2)],
            "finalised_years": self.finalised_years,
            "made_into": self.made_into,
        }

    @property
    def counted(self) -> float:
        """The m² Form 1(i) of its year counts of it (its whole area if not computed)."""
        return self.area_m2 if self.counted_m2 is None else self.counted_m2

    def lines(self, *, done: bool) -> list[str]:
        """What it changes in words, as the command and the page say it."""
        said = [
            f"{self.reference}, {self.method} on {self.released:%Y-%m-%d}: its "
            f"{self.counted:,.0f} m² {'counted' if done else 'count'} in Form 1(i) of "
            f"{self.released.year} as land released outside recorded hazards, and "
            f"{'count' if done else 'will count'} nowhere",
        ]
        if self.counted < 0.5 <= self.area_m2:
            # "its 0 m² count" beside an explanation listing it (the first of two records
            # of one year): what a year counts of two records of one ground is theirs
            # together (a review of our own change)
            said[0] = (
                f"{self.reference}, {self.method} on {self.released:%Y-%m-%d}: other records of "
                f"land released outside hazards released all its ground by the end of "
                f"{self.released.year}, so Form 1(i) of {self.released.year} "
                f"{'kept' if done else 'keeps'} its area"
            )
        elif self.area_m2 - self.counted >= 0.5:
            said.append(
                f"the rest of its {self.area_m2:,.0f} m² was released by other records of such "
                f"land by the end of {self.released.year}, which count it once"
            )
        for year, m2 in sorted(self.later_m2.items()):
            said.append(
                f"{m2:,.0f} m² of it, released again by a later record, "
                f"{'counts' if done else 'will count'} in Form 1(i) of {year} instead"
            )
        if self.items:
            found = ", ".join(f"{qty:,} {code}" for code, qty in self.items.items())
            said.append(f"its items ({found}) leave the figures of {self.released.year}")
        for year in self.finalised_years:
            said.append(f"the finalised report of {year} will list it as a correction")
        return said


def _outside(session: Session, reference: str) -> OutsideRelease:
    """The record ``reference`` of land released outside hazards, if it can be withdrawn
    (NotFound, Conflict)."""
    outside = session.scalars(
        select(OutsideRelease).where(OutsideRelease.reference == reference)
    ).first()
    if outside is None:
        raise NotFound(
            f"no land released outside hazards is recorded as {reference!r}"
            f"{_parts(session, reference)}"
        )
    withdrawn = session.get(OutsideReleaseWithdrawal, outside.id)
    if withdrawn is not None:
        raise Conflict(
            f"{reference} was already withdrawn on {withdrawn.withdrawn_at:%Y-%m-%d} by "
            f"{withdrawn.withdrawn_by or 'someone unnamed'}"
        )
    made = session.get(OutsideReleaseConversion, outside.id)
    # made into a hazard since withdrawn as recorded in error, it counts apart again (§2.7)
    if made is not None and session.get(HazardWithdrawal, made.hazard_id) is None:
        hazard = session.get(Hazard, made.hazard_id)
        name = hazard.reference if hazard else str(made.hazard_id)
        raise Conflict(
            f"{reference} was made into hazard {name}: withdraw its release {reference} on "
            "that hazard's page, then the hazard, if it was recorded in error"
        )
    return outside


def outside_withdrawal_effect(session: Session, reference: str) -> OutsideWithdrawalEffect:
    """What withdrawing the record ``reference`` of land released outside hazards would
    change (NotFound; Conflict if it was withdrawn or made into a hazard); nothing is
    written."""
    outside = _outside(session, reference)
    operator = session.scalar(
        text("SELECT name FROM organisation WHERE id = :o"), {"o": outside.operator_id}
    )
    made_into = session.scalar(
        text(
            "SELECT h.reference FROM outside_release_conversion c JOIN hazard h"
            " ON h.id = c.hazard_id WHERE c.outside_release_id = :o"
        ),
        {"o": outside.id},
    )
    year = outside.released.year
    apart = apart_of(session, [outside.id])
    return OutsideWithdrawalEffect(
        reference=outside.reference,
        released=outside.released,
        method=outside.method.value,
        contam=outside.contam.value,
        area_m2=outside.area_m2,
        operator=operator,
        submission_id=outside.submission_id,
        items={code: int(qty) for code, qty in sorted((outside.items or {}).items())},
        # a later year's too, where a later record counts its ground instead
        finalised_years=[
            y
            for y in _finalised_since(session, outside.contam.value, year)
            if y == year or y in apart
        ],
        made_into=made_into,
        counted_m2=apart.get(year, 0.0),
        later_m2={y: -m2 for y, m2 in apart.items() if y != year},
    )


def withdraw_outside_release(
    session: Session, reference: str, *, reason: str, by: Actor | str | None = None
) -> OutsideWithdrawalEffect:
    """Withdraw the record ``reference`` of land released outside hazards: note why and
    audit it (in the caller's transaction). No ledger holds it, so nothing is rebuilt."""
    reason = _reason(reason)
    effect = outside_withdrawal_effect(session, reference)
    outside = _outside(session, reference)
    actor = audit.as_actor(by)
    session.add(
        OutsideReleaseWithdrawal(
            outside_release_id=outside.id, reason=reason, withdrawn_by=actor.name
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "outside_release.withdrawn",
        "outside_release",
        outside.reference,
        submission_id=outside.submission_id,
        before={"reference": outside.reference, "area_m2": round(outside.area_m2, 1)},
        after={"reason": reason},
    )
    return effect


# --- every release of a submission ---------------------------------------------------------


@dataclass(frozen=True)
class SubmissionWithdrawalEffect:
    """What withdrawing every release an approved submission recorded changes: a file
    approved in error (sent twice under new references, or against the wrong hazards)
    had to be withdrawn a release at a time."""

    submission_id: int
    releases: list[str]  # its releases in force, which are withdrawn
    release_ids: list[int]
    hazard_ids: list[int]
    counted_m2: float  # what they count now, together; nothing once withdrawn
    remaining_m2: float  # their hazards' remaining area today, before and after
    remaining_after_m2: float
    recounted: int  # other releases of those hazards that then count a different area
    withdrawn_already: int  # of its releases, withdrawn one by one before
    # its records of land released outside recorded hazards, withdrawn with it (§2.7)
    outside: list[str] = field(default_factory=list)
    outside_ids: list[int] = field(default_factory=list)
    outside_m2: float = 0.0  # what they count in Form 1(i)
    # by year: what later records released again of them, which counts there once they go
    outside_later: dict[int, float] = field(default_factory=dict)
    outside_left: int = 0  # withdrawn before: left as they are
    # made into hazards in force: counting nothing apart, and withdrawn with the file all
    # the same, so that withdrawing a hazard made of one does not bring back the count of
    # a record whose file was withdrawn as approved in error (an attack on our own
    # instance); the hazards stay
    outside_made: list[str] = field(default_factory=list)
    outside_made_ids: list[int] = field(default_factory=list)
    years: list[int] = field(default_factory=list)  # whose figures change
    finalised_years: list[int] = field(default_factory=list)  # reports that list it

    def as_dict(self) -> dict[str, Any]:
        """JSON for the API, the page and the audit trail."""
        return {
            "submission": self.submission_id,
            "releases": len(self.releases),
            "hazards": len(self.hazard_ids),
            "counted_m2": round(self.counted_m2, 1),
            "remaining_m2": round(self.remaining_m2, 1),
            "remaining_after_m2": round(self.remaining_after_m2, 1),
            "recounted": self.recounted,
            "withdrawn_already": self.withdrawn_already,
            "outside": len(self.outside),
            "outside_m2": round(self.outside_m2, 1),
            "outside_later_m2": {str(y): round(m2, 1) for y, m2 in self.outside_later.items()},
            "outside_left": self.outside_left,
            "outside_made": len(self.outside_made),
            "years": self.years,
            "finalised_years": self.finalised_years,
        }

    def lines(self, *, done: bool) -> list[str]:
        """What it changes in words, as the command and the page say it."""
        n = len(self.releases)
        one = n == 1
        count = "counted" if done else ("counts" if one else "count")
        whose = "its hazard's" if len(self.hazard_ids) == 1 else "their hazards'"
        said = []
        if n:
            said += [
                f"{counted(n, 'release')} of submission {self.submission_id}, on "
                f"{counted(len(self.hazard_ids), 'hazard')}: {'it' if one else 'together they'} "
                f"{count} {self.counted_m2:,.0f} m², and "
                f"{('counts' if one else 'count') if done else 'will count'} nothing",
                f"{whose} remaining area today: {self.remaining_m2:,.0f} m² → "
                f"{self.remaining_after_m2:,.0f} m²",
            ]
        if self.outside:
            k = len(self.outside)
            said.append(
                f"{counted(k, 'record')} of land released outside recorded hazards"
                f"{'' if n else f' of submission {self.submission_id}'}: "
                f"{'it' if k == 1 else 'together they'} "
                f"{'counted' if done else ('counts' if k == 1 else 'count')} "
                f"{self.outside_m2:,.0f} m² in Form 1(i), and "
                f"{('counts' if k == 1 else 'count') if done else 'will count'} nothing"
            )
            for year, m2 in sorted(self.outside_later.items()):
                said.append(
                    f"{m2:,.0f} m² of that ground, released again by later records, "
                    f"{'counts' if done else 'will count'} in Form 1(i) of {year} instead"
                )
        one = n + len(self.outside) == 1
        if self.recounted:
            said.append(
                f"{counted(self.recounted, 'later release')} of the same ground "
                f"{'counts' if self.recounted == 1 else 'count'} it instead"
            )
        said.append(f"figures change for {years_said(self.years)}")
        if self.finalised_years:
            years = ", ".join(str(y) for y in self.finalised_years)
            said.append(
                f"finalised reports that will list {'it' if one else 'them'} as "
                f"{'a correction' if one else 'corrections'}: {years}"
            )
        if self.withdrawn_already:
            said.append(
                f"{counted(self.withdrawn_already, 'release')} of it withdrawn one by one "
                f"before {'stays as it is' if self.withdrawn_already == 1 else 'stay as they are'}"
            )
        if self.outside_made:
            k = len(self.outside_made)
            said.append(
                f"{counted(k, 'record')} of it outside recorded hazards made into "
                f"{'a hazard' if k == 1 else 'hazards'} ({', '.join(self.outside_made)}) "
                f"{'is' if k == 1 else 'are'} withdrawn with it: "
                f"{'it counts' if k == 1 else 'they count'} nothing apart, and will not "
                f"again if {'that hazard is' if k == 1 else 'those hazards are'} withdrawn; "
                + (
                    "the hazard stays, and its release counts the land as released"
                    if k == 1
                    else "the hazards stay, and their releases count the land as released"
                )
                + ": withdraw them on the hazard's page if they came from the same error"
            )
        if self.outside_left:
            k = self.outside_left
            said.append(
                f"{counted(k, 'record')} of it outside recorded hazards, withdrawn before, "
                f"{'stays as it is' if k == 1 else 'stay as they are'}"
            )
        return said


def submission_withdrawal_effect(
    session: Session, submission_id: int
) -> SubmissionWithdrawalEffect:
    """What withdrawing every release in force that approved submission ``submission_id``
    recorded would change, computed as the ledger computes (NotFound; Conflict for a
    submission of hazards, one not approved, or one with no release left in force);
    nothing is written."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"submission {submission_id} does not exist")
    if submission.kind != "releases":
        raise Conflict(
            f"submission {submission_id} recorded hazards, not releases: withdraw a hazard "
            "recorded in error from its page (or `ims hazards withdraw`); a boundary recorded "
            "wrong is corrected by a revision"
        )
    if submission.status != SubmissionStatus.APPROVED:
        raise Conflict(
            f"submission {submission_id} is {submission.status}, not approved: nothing of it "
            "is recorded (one awaiting review is rejected or withdrawn instead)"
        )
    rows = session.execute(
        text(
            "SELECT r.id, r.reference, r.hazard_id, r.released,"
            " EXISTS (SELECT 1 FROM release_withdrawal w WHERE w.release_id = r.id) AS gone"
            " FROM release r WHERE r.submission_id = :s ORDER BY r.seq"
        ),
        {"s": submission_id},
    ).all()
    outside = session.execute(
        text(
            "SELECT o.id, o.reference, o.released, o.contam, o.area_m2,"
            " NOT EXISTS (SELECT 1 FROM outside_release_counted n WHERE n.id = o.id) AS gone,"
            " EXISTS (SELECT 1 FROM outside_release_withdrawal w"
            "  WHERE w.outside_release_id = o.id) AS withdrawn"
            " FROM outside_release o WHERE o.submission_id = :s ORDER BY o.seq"
        ),
        {"s": submission_id},
    ).all()
    live = [r for r in rows if not r.gone]
    outside_live = [o for o in outside if not o.gone]
    outside_made = [o for o in outside if o.gone and not o.withdrawn]
    if not live and not outside_live:
        recorded = len(rows) + len(outside)
        raise Conflict(
            f"submission {submission_id} has no release in force: "
            + (
                f"its {counted(recorded, 'release')} {'was' if recorded == 1 else 'were'} "
                "withdrawn already" + (" or made into hazards" if len(outside) > 0 else "")
                if recorded
                else "it recorded none"
            )
        )
    withdrawn = {r.id for r in live}
    hazard_ids = sorted({r.hazard_id for r in live})
    inputs = ledger.load_inputs(session, hazard_ids)
    before = hazard_ledger_states([(i.versions, i.releases) for i in inputs])
    after = hazard_ledger_states(
        [(i.versions, [r for r in i.releases if r.key not in withdrawn]) for i in inputs]
    )
    counted_m2 = remaining = remaining_after = 0.0
    recounted = 0
    years = {r.released.year for r in live}
    for item, (entries, _), (entries_after, _) in zip(inputs, before, after, strict=True):
        was = {e.key: e.released_m2 for e in entries if e.kind.is_release}
        now = {e.key: e.released_m2 for e in entries_after if e.kind.is_release}
        counted_m2 += sum(m2 for key, m2 in was.items() if key in withdrawn)
        remaining += entries[-1].remaining_after_m2 if entries else 0.0
        remaining_after += entries_after[-1].remaining_after_m2 if entries_after else 0.0
        dates = {r.key: r.released for r in item.releases}
        for key, m2 in now.items():
            if abs(was.get(key, 0.0) - m2) >= 0.05:
                recounted += 1
                years.add(dates[key].year)
    contams = session.scalars(
        select(Hazard.contam).where(Hazard.id.in_(hazard_ids)).distinct()
    ).all()
    finalised: set[int] = set()
    if years:
        finalised = {y for c in contams for y in _finalised_since(session, c.value, min(years))}
    changed = (
        years_changed(years, lasting=abs(remaining - remaining_after) >= 0.05) if years else []
    )
    # land released outside hazards counts in its own year's Form 1(i), less what a later
    # record released again of it, which counts it instead once it goes (ims.db.outside)
    outside_apart = apart_of(session, [o.id for o in outside_live]) if outside_live else {}
    outside_years = {o.released.year for o in outside_live} | set(outside_apart)
    for contam in {o.contam for o in outside_live}:
        first = min(o.released.year for o in outside_live if o.contam == contam)
        finalised |= {
            y
            for y in _finalised_since(session, contam, first)
            if any(o.contam == contam and o.released.year == y for o in outside_live)
        }
    return SubmissionWithdrawalEffect(
        submission_id=submission_id,
        releases=[r.reference for r in live],
        release_ids=[r.id for r in live],
        hazard_ids=hazard_ids,
        counted_m2=counted_m2,
        remaining_m2=remaining,
        remaining_after_m2=remaining_after,
        recounted=recounted,
        withdrawn_already=len(rows) - len(live),
        outside=[o.reference for o in outside_live],
        outside_ids=[o.id for o in outside_live],
        outside_m2=sum(m2 for m2 in outside_apart.values() if m2 > 0),
        outside_later={y: -m2 for y, m2 in outside_apart.items() if m2 < 0},
        outside_left=sum(1 for o in outside if o.withdrawn),
        outside_made=[o.reference for o in outside_made],
        outside_made_ids=[o.id for o in outside_made],
        years=sorted(set(changed) | outside_years),
        finalised_years=sorted(finalised),
    )


# One audit row per release withdrawn with its submission, with what it counted until then
# (its ledger entry, read before the ledgers are built again), as a release withdrawn alone.
_WITHDRAWN = text("""
INSERT INTO audit_event (actor, actor_user_id, action, object_type, object_id, hazard_id,
                         submission_id, before, after)
SELECT :actor, :user_id, 'release.withdrawn', 'release', r.reference, r.hazard_id,
       r.submission_id,
       jsonb_build_object('release', r.reference,
           'counted_m2', round(COALESCE(-e.delta_m2, 0)::numeric, 1)),
       jsonb_build_object('reason', CAST(:reason AS text), 'with_submission', r.submission_id)
FROM release r
LEFT JOIN ledger_entry e ON e.release_id = r.id
WHERE r.id = ANY(:ids)
ORDER BY r.seq
""")


# and one per record of land released outside hazards withdrawn with it, as one withdrawn
# alone
_OUTSIDE_WITHDRAWN = text("""
INSERT INTO audit_event (actor, actor_user_id, action, object_type, object_id,
                         submission_id, before, after)
SELECT :actor, :user_id, 'outside_release.withdrawn', 'outside_release', o.reference,
       o.submission_id,
       jsonb_build_object('reference', o.reference, 'area_m2', round(o.area_m2::numeric, 1)),
       jsonb_build_object('reason', CAST(:reason AS text), 'with_submission', o.submission_id)
FROM outside_release o
WHERE o.id = ANY(:ids)
ORDER BY o.seq
""")


def withdraw_submission_releases(
    session: Session,
    submission_id: int,
    *,
    reason: str,
    by: Actor | str | None = None,
    progress: ledger.Progress | None = None,
    expected: int | None = None,
) -> SubmissionWithdrawalEffect:
    """Withdraw every release in force that approved submission ``submission_id``
    recorded, with one reason: each is kept and noted as a release withdrawn alone is,
    and their hazards' ledgers are built again without them, together (in the caller's
    transaction; the caller holds the approval lock).

    ``expected``: how many the reviewer was shown (InvalidRequest if that changed since,
    one withdrawn or made into a hazard meanwhile: a confirmed withdrawal had quietly done
    less than it said, an attack on our own instance)."""
    reason = _reason(reason)
    effect = submission_withdrawal_effect(session, submission_id)
    now = len(effect.releases) + len(effect.outside)
    if expected is not None and expected != now:
        raise InvalidRequest(
            f"the file changed since this page was shown: {counted(expected, 'release')} "
            f"in force then, {now:,} now (withdrawn one by one, or made into a hazard, "
            "meanwhile); read what withdrawing it changes again"
        )
    actor = audit.as_actor(by)
    session.execute(
        _WITHDRAWN,
        {
            "actor": actor.name,
            "user_id": actor.user_id,
            "reason": reason,
            "ids": effect.release_ids,
        },
    )
    session.execute(
        _OUTSIDE_WITHDRAWN,
        {
            "actor": actor.name,
            "user_id": actor.user_id,
            "reason": reason,
            "ids": effect.outside_ids + effect.outside_made_ids,
        },
    )
    session.add_all(
        ReleaseWithdrawal(release_id=rid, reason=reason, withdrawn_by=actor.name)
        for rid in effect.release_ids
    )
    session.add_all(
        OutsideReleaseWithdrawal(outside_release_id=oid, reason=reason, withdrawn_by=actor.name)
        for oid in effect.outside_ids + effect.outside_made_ids
    )
    session.flush()
    if effect.hazard_ids:
        ledger.refresh_many(session, effect.hazard_ids, progress=progress, overlaps=False)
    audit.record(
        session,
        actor,
        "submission.releases_withdrawn",
        "submission",
        submission_id,
        submission_id=submission_id,
        before={
            "releases": len(effect.releases),
            "counted_m2": round(effect.counted_m2, 1),
            "remaining_m2": round(effect.remaining_m2, 1),
            "outside": len(effect.outside),
            "outside_m2": round(effect.outside_m2, 1),
        },
        after={"reason": reason, "remaining_m2": round(effect.remaining_after_m2, 1)},
    )
    return effect
