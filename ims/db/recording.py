"""Recording hazards, revisions, releases and boundaries: the one service every path uses.

The upload pipeline, the API and the CLI all record through these functions, which keep
the area ledger up to date for the hazards they touch. Nothing here overwrites a record:
a revision is a new row in force from its date, a release is a new row.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Integer, String, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ims.db import audit, ledger
from ims.db.audit import Actor
from ims.db.bulk import copy_rows, ewkb_hex, identity_values, next_values
from ims.db.models import (
    AdminArea,
    Hazard,
    HazardRevision,
    HazardWithdrawal,
    MunitionType,
    Organisation,
    OutsideRelease,
    OutsideReleaseConversion,
    OutsideReleaseWithdrawal,
    Release,
)
from ims.db.outside import SAME_GROUND_SHARE, SHARED_GROUND_M2, sharing
from ims.domain.enums import HazardStatus
from ims.domain.geodesy import geodesic_areas
from ims.domain.geometry import as_multipolygon, as_multipolygons, repaired_multipolygon
from ims.domain.records import (
    NONE_TEXT,
    BoundaryFeature,
    HazardChange,
    NewHazard,
    NewOutsideRelease,
    NewRelease,
    says_none,
    slug,
)
from ims.domain.references import reference_problem, skeleton, twins
from ims.errors import Conflict, InvalidRequest, NotFound, UnknownCode
from ims.words import noun

log = logging.getLogger(__name__)


def any_of(column: Any, values: Iterable[str]) -> Any:
    """``column = ANY(array)``: one parameter however many values (IN lists hit limits)."""
    return column == any_(bindparam(None, list(values), type_=ARRAY(String)))


def organisation_ids(session: Session, names: Iterable[str | None]) -> dict[str, int]:
    """Ids of the named operators, creating those not seen before."""
    wanted = {n.strip() for n in names if n and n.strip()}
    if not wanted:
        return {}
    known = dict(
        session.execute(
            select(Organisation.name, Organisation.id).where(any_of(Organisation.name, wanted))
        ).all()
    )
    for name in sorted(wanted - known.keys()):
        org = Organisation(name=name, kind="operator")
        session.add(org)
        session.flush()
        known[name] = org.id
    return known


def check_munition_codes(session: Session, codes: Iterable[str], *, where: str) -> None:
    """Raise UnknownCode naming any code that is not in the munition-type list."""
    wanted = set(codes)
    if not wanted:
        return
    known = set(session.scalars(select(MunitionType.code).where(any_of(MunitionType.code, wanted))))
    unknown = sorted(wanted - known)
    if unknown:
        raise UnknownCode(
            f"{where}: unknown munition type {noun(len(unknown), 'code')}: {', '.join(unknown)}"
        )


def record_hazards(
    session: Session,
    hazards: Sequence[NewHazard],
    *,
    submission_id: int | None = None,
    recorded_by: str | None = None,
    refresh_ledger: bool = True,
) -> list[int]:
    """Record new hazards (each with its first revision); return their ids."""
    if not hazards:
        return []
    refs = [h.reference for h in hazards]
    if len(set(refs)) != len(refs):
        raise Conflict("the same hazard reference appears twice in one batch")
    taken = list(session.scalars(select(Hazard.reference).where(any_of(Hazard.reference, refs))))
    if taken:
        raise Conflict(
            f"hazard {noun(len(taken), 'reference')} already recorded: "
            f"{', '.join(sorted(taken)[:10])}"
        )
    check_munition_codes(
        session, (c for h in hazards for c in h.estimates), where="estimated remnants"
    )
    orgs = organisation_ids(session, (h.operator for h in hazards))
    geoms = as_multipolygons(
        [h.geometry for h in hazards], lambda i: f"hazard {hazards[i].reference}"
    )
    hazard_ids = identity_values(session, "hazard", len(hazards))
    copy_rows(
        session,
        "hazard",
        ("id", "reference", "contam"),
        [(hid, h.reference, h.contam.value) for hid, h in zip(hazard_ids, hazards, strict=True)],
    )
    ids = dict(zip(refs, hazard_ids, strict=True))
    revisions = [
        {
            "hazard_id": ids[h.reference],
            "effective": h.recorded,
            "status": h.status.value,
            "geom": geom,
            "used_from": h.used_from,
            "used_to": h.used_to,
            "marked": h.marked,
            "operator_id": orgs.get((h.operator or "").strip()),
            "submission_id": submission_id,
            "recorded_by": recorded_by,
            "note": None,
            "attributes": h.attributes,
        }
        for h, geom in zip(hazards, geoms, strict=True)
    ]
    _insert_revisions(session, revisions, [h.estimates for h in hazards])
    hazard_ids = [ids[r] for r in refs]
    if refresh_ledger:
        ledger.refresh(session, hazard_ids)
    return hazard_ids


RELEASE_COLUMNS = (
    "id",
    "reference",
    "hazard_id",
    "method",
    "released",
    "seq",
    "geom",
    "operator_id",
    "stated_area_m2",
    "submission_id",
    "recorded_by",
    "attributes",
)
REVISION_COLUMNS = (
    "id",
    "hazard_id",
    "effective",
    "seq",
    "status",
    "geom",
    "used_from",
    "used_to",
    "marked",
    "operator_id",
    "submission_id",
    "recorded_by",
    "note",
    "attributes",
    "map_area_m2",
)


_T = TypeVar("_T")


def _kept(name: str, given: _T | None, in_force: _T | None, cleared: frozenset[str]) -> _T | None:
    """A revision's value of a field: the one it gives, else none if it empties the field
    on purpose, else the one in force."""
    if given is not None:
        return given
    return None if name in cleared else in_force


def _merged(
    in_force: Mapping[str, Any] | None, given: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """A revision's own columns: those given over those of the revision in force, one
    named in other capitals under the name in force ("Notes" over "notes"): both had been
    kept, the hazard's page showing "Notes" and "notes" (helper-122)."""
    if given is None:
        return in_force
    merged = dict(in_force or {})
    named = {name.casefold(): name for name in merged}
    for name, value in given.items():
        merged[named.get(name.casefold(), name)] = value
    return merged


def _json(attributes: Mapping[str, Any] | None) -> str | None:
    """Attributes as COPY takes a jsonb value (None when there are none)."""
    return json.dumps(dict(attributes), ensure_ascii=False) if attributes else None


def _insert_revisions(
    session: Session, revisions: Sequence[Mapping[str, Any]], estimates: Sequence[Mapping[str, int]]
) -> None:
    """COPY revisions (ids and recording order reserved first) and their estimates."""
    n = len(revisions)
    rev_ids = identity_values(session, "hazard_revision", n)
    seqs = next_values(session, "recording_seq", n)
    hexes = ewkb_hex([r["geom"] for r in revisions])
    # the boundary's area as the ledger measures it (models.HazardRevision.map_area_m2)
    areas = geodesic_areas([r["geom"] for r in revisions]).tolist()
    copy_rows(
        session,
        "hazard_revision",
        REVISION_COLUMNS,
        [
            (
                rid,
                r["hazard_id"],
                r["effective"],
                seq,
                r["status"],
                geom_hex,
                r["used_from"],
                r["used_to"],
                r["marked"],
                r["operator_id"],
                r["submission_id"],
                r["recorded_by"],
                r["note"],
                _json(r["attributes"]),
                area,
            )
            for rid, seq, geom_hex, area, r in zip(
                rev_ids, seqs, hexes, areas, revisions, strict=True
            )
        ],
    )
    copy_rows(
        session,
        "hazard_estimate",
        ("revision_id", "munition_code", "quantity"),
        [
            (rid, code, qty)
            for rid, est in zip(rev_ids, estimates, strict=True)
            for code, qty in est.items()
        ],
    )


@dataclass
class _RevisionState:
    """What a revision carries over to the next: its values, and where its boundary and
    estimates are (in hand, or in the database under a revision id, fetched once at the end).
    """

    effective: dt.date
    order: tuple[int, int]  # (0, seq) for a stored revision, (1, n) for the batch's n-th
    status: str
    used_from: int | None
    used_to: int | None
    marked: dt.date | None
    operator_id: int | None
    attributes: Mapping[str, Any] | None
    geometry: BaseGeometry | None
    geometry_of: int | None  # the stored revision whose boundary this is
    estimates: Mapping[str, int] | None
    estimates_of: int | None  # the stored revision whose estimates these are


def _stored_states(session: Session, hazard_ids: Iterable[int]) -> dict[int, list[_RevisionState]]:
    """Every stored revision of the hazards, without boundaries or estimates."""
    states: dict[int, list[_RevisionState]] = defaultdict(list)
    rows = session.execute(
        select(
            HazardRevision.hazard_id,
            HazardRevision.id,
            HazardRevision.effective,
            HazardRevision.seq,
            HazardRevision.status,
            HazardRevision.used_from,
            HazardRevision.used_to,
            HazardRevision.marked,
            HazardRevision.operator_id,
            HazardRevision.attributes,
        ).where(
            HazardRevision.hazard_id
            == any_(bindparam(None, list(hazard_ids), type_=ARRAY(Integer)))
        )
    )
    for hid, rid, effective, seq, status, used_from, used_to, marked, operator_id, attrs in rows:
        states[hid].append(
            _RevisionState(
                effective,
                (0, seq),
                status.value,
                used_from,
                used_to,
                marked,
                operator_id,
                attrs,
                None,
                rid,
                None,
                rid,
            )
        )
    return states


def revise_hazards(
    session: Session,
    changes: Sequence[HazardChange],
    *,
    submission_id: int | None = None,
    recorded_by: str | None = None,
    refresh_ledger: bool = True,
) -> list[int]:
    """Record revisions (reclassification, boundary change…); return the hazards' ids.

    Values a change leaves as None are carried over from the revision in force at its
    effective date, so a back-dated revision builds on the state at that date; that may be
    a revision earlier in the same batch. The batch costs a handful of statements however
    many revisions it holds (a national file has tens of thousands).
    """
    if not changes:
        return []
    ids = dict(
        session.execute(
            select(Hazard.reference, Hazard.id).where(
                any_of(Hazard.reference, {c.reference for c in changes})
            )
        ).all()
    )
    for change in changes:
        if change.reference not in ids:
            raise NotFound(f"hazard {change.reference!r} is not recorded")
    wanted = {code for c in changes if c.estimates for code in c.estimates}
    if wanted:
        known = set(
            session.scalars(select(MunitionType.code).where(any_of(MunitionType.code, wanted)))
        )
        for change in changes:
            check = set(change.estimates or ()) - known
            if check:
                check_munition_codes(session, check, where=f"hazard {change.reference}")
    orgs = organisation_ids(session, (c.operator for c in changes))
    states = _stored_states(session, set(ids.values()))
    new: list[tuple[int, _RevisionState, str | None]] = []
    for n, change in enumerate(changes):
        hid = ids[change.reference]
        in_force = [s for s in states[hid] if s.effective <= change.effective]
        if not in_force:
            raise InvalidRequest(
                f"hazard {change.reference!r}: a revision dated {change.effective} is before "
                "the hazard was recorded"
            )
        base = max(in_force, key=lambda s: (s.effective, s.order))
        geometry = (
            as_multipolygon(change.geometry, where=f"hazard {change.reference}")
            if change.geometry is not None
            else None
        )
        state = _RevisionState(
            change.effective,
            (1, n),
            (change.status.value if change.status else base.status),
            _kept("used_from", change.used_from, base.used_from, change.cleared),
            _kept("used_to", change.used_to, base.used_to, change.cleared),
            _kept("marked", change.marked, base.marked, change.cleared),
            orgs.get((change.operator or "").strip(), base.operator_id),
            # the record's own columns, a revision's added to those in force (a revision
            # from the revise form, its reason alone, had dropped a file's village: an
            # attack on our own instance); as the fields, none is dropped by leaving it out
            _merged(base.attributes, change.attributes),
            geometry if geometry is not None else base.geometry,
            None if geometry is not None else base.geometry_of,
            {}
            if "munitions" in change.cleared
            else (change.estimates if change.estimates is not None else base.estimates),
            None
            if change.estimates is not None or "munitions" in change.cleared
            else base.estimates_of,
        )
        states[hid].append(state)
        new.append((hid, state, change.note))

    stored_geometries = _stored_boundaries(session, {s.geometry_of for _, s, _ in new})
    stored_estimates = _stored_estimates(session, {s.estimates_of for _, s, _ in new})
    _insert_revisions(
        session,
        [
            {
                "hazard_id": hid,
                "effective": s.effective,
                "status": s.status,
                "geom": s.geometry if s.geometry_of is None else stored_geometries[s.geometry_of],
                "used_from": s.used_from,
                "used_to": s.used_to,
                "marked": s.marked,
                "operator_id": s.operator_id,
                "submission_id": submission_id,
                "recorded_by": recorded_by,
                "note": note,
                "attributes": s.attributes,
            }
            for hid, s, note in new
        ],
        [
            (s.estimates or {}) if s.estimates_of is None else stored_estimates[s.estimates_of]
            for _, s, _ in new
        ],
    )
    touched = [hid for hid, _, _ in new]
    if refresh_ledger:
        ledger.refresh(session, touched)
    return touched


def _stored_boundaries(session: Session, revision_ids: set[int | None]) -> dict[int, Any]:
    """The boundaries of stored revisions, by revision id."""
    wanted = [r for r in revision_ids if r is not None]
    if not wanted:
        return {}
    rows = session.execute(
        text("SELECT id, ST_AsBinary(geom) FROM hazard_revision WHERE id = ANY(:ids)"),
        {"ids": wanted},
    ).all()
    geoms = shapely.from_wkb([bytes(wkb) for _, wkb in rows])
    return {rid: geom for (rid, _), geom in zip(rows, geoms, strict=True)}


def _stored_estimates(session: Session, revision_ids: set[int | None]) -> dict[int, dict[str, int]]:
    """The estimates of stored revisions, by revision id (empty for those without)."""
    wanted = [r for r in revision_ids if r is not None]
    estimates: dict[int, dict[str, int]] = {r: {} for r in wanted}
    if wanted:
        rows = session.execute(
            text(
                "SELECT revision_id, munition_code, quantity FROM hazard_estimate "
                "WHERE revision_id = ANY(:ids)"
            ),
            {"ids": wanted},
        )
        for rid, code, quantity in rows:
            estimates[rid][code] = quantity
    return estimates


def record_releases(
    session: Session,
    releases: Sequence[NewRelease],
    *,
    submission_id: int | None = None,
    recorded_by: str | None = None,
    refresh_ledger: bool = True,
    converting: bool = False,
) -> list[int]:
    """Record land-release results; return the ids of the hazards they touch.

    Only the touched hazards' ledgers are rebuilt, once per hazard however many releases.
    A reference is unique among releases and land released outside hazards, but for
    ``converting`` (the release that takes over an outside record's reference).
    """
    if not releases:
        return []
    refs = [r.reference for r in releases]
    if len(set(refs)) != len(refs):
        raise Conflict("the same release reference appears twice in one batch")
    _refuse_taken(session, refs, converting=converting)
    hazard_refs = {r.hazard_reference for r in releases}
    hazard_ids = dict(
        session.execute(
            select(Hazard.reference, Hazard.id).where(any_of(Hazard.reference, hazard_refs))
        ).all()
    )
    missing = sorted(hazard_refs - hazard_ids.keys())
    if missing:
        raise NotFound(
            f"releases refer to unknown {noun(len(missing), 'hazard')}: {', '.join(missing[:10])}"
        )
    check_munition_codes(session, (c for r in releases for c in r.items), where="items destroyed")
    orgs = organisation_ids(session, (r.operator for r in releases))
    geoms = as_multipolygons(
        [r.geometry for r in releases], lambda i: f"release {releases[i].reference}"
    )
    release_ids = identity_values(session, "release", len(releases))
    seqs = next_values(session, "recording_seq", len(releases))
    copy_rows(
        session,
        "release",
        RELEASE_COLUMNS,
        [
            (
                rid,
                r.reference,
                hazard_ids[r.hazard_reference],
                r.method.value,
                r.released,
                seq,
                geom_hex,
                orgs.get((r.operator or "").strip()),
                r.stated_area_m2,
                submission_id,
                recorded_by,
                _json(r.attributes),
            )
            for rid, seq, geom_hex, r in zip(
                release_ids, seqs, ewkb_hex(geoms), releases, strict=True
            )
        ],
    )
    copy_rows(
        session,
        "release_item",
        ("release_id", "munition_code", "quantity"),
        [
            (rid, code, qty)
            for rid, r in zip(release_ids, releases, strict=True)
            for code, qty in r.items.items()
        ],
    )
    touched = sorted({hazard_ids[r.hazard_reference] for r in releases})
    if refresh_ledger:
        ledger.update_after_releases(session, touched)
    return touched


def _refuse_taken(session: Session, refs: Sequence[str], *, converting: bool = False) -> None:
    """Conflict if any reference is recorded already, as a release or outside release."""
    taken = set(session.scalars(select(Release.reference).where(any_of(Release.reference, refs))))
    if not converting:
        taken |= set(
            session.scalars(
                select(OutsideRelease.reference).where(any_of(OutsideRelease.reference, refs))
            )
        )
    if taken:
        raise Conflict(
            f"release {noun(len(taken), 'reference')} already recorded: "
            f"{', '.join(sorted(taken)[:10])}"
        )


def record_outside_releases(
    session: Session,
    releases: Sequence[NewOutsideRelease],
    *,
    submission_id: int | None = None,
    recorded_by: str | None = None,
) -> list[int]:
    """Record land released outside every recorded hazard (docs/design.md §2.7); their ids.

    Their area is fixed now (geodesic, as every figure); they touch no hazard's ledger.
    """
    if not releases:
        return []
    refs = [r.reference for r in releases]
    if len(set(refs)) != len(refs):
        raise Conflict("the same release reference appears twice in one batch")
    _refuse_taken(session, refs)
    check_munition_codes(session, (c for r in releases for c in r.items), where="items destroyed")
    orgs = organisation_ids(session, (r.operator for r in releases))
    geoms = as_multipolygons(
        [r.geometry for r in releases], lambda i: f"release {releases[i].reference}"
    )
    areas = geodesic_areas(geoms).tolist()
    ids = identity_values(session, "outside_release", len(releases))
    seqs = next_values(session, "recording_seq", len(releases))
    copy_rows(
        session,
        "outside_release",
        (
            "id",
            "reference",
            "method",
            "released",
            "contam",
            "seq",
            "geom",
            "area_m2",
            "operator_id",
            "stated_area_m2",
            "items",
            "submission_id",
            "recorded_by",
            "attributes",
        ),
        [
            (
                oid,
                r.reference,
                r.method.value,
                r.released,
                r.contam.value,
                seq,
                geom_hex,
                area,
                orgs.get((r.operator or "").strip()),
                r.stated_area_m2,
                _json(dict(r.items)) if r.items else None,
                submission_id,
                recorded_by,
                _json(r.attributes),
            )
            for oid, seq, geom_hex, area, r in zip(
                ids, seqs, ewkb_hex(geoms), areas, releases, strict=True
            )
        ],
    )
    return ids


@dataclass(frozen=True)
class Conversion:
    """An outside record turned into a retrospective hazard and its release."""

    outside_reference: str
    hazard_id: int
    hazard_reference: str
    release_id: int
    # the ground it shares with other records of such land, which they go on counting
    # apart: the hazard and its release leave it out
    left_apart_m2: float = 0.0


def convert_outside_release(
    session: Session,
    reference: str,
    *,
    hazard_reference: str,
    status: HazardStatus,
    by: Actor | str | None = None,
) -> Conversion:
    """Turn land released outside hazards into a retrospective hazard (§2.7).

    The hazard is recorded on the release date with the released polygon as its boundary,
    then released by the same method on the same date, with the outside record's reference,
    operator and items: remaining ground is unchanged (added, then released, the same
    day), the released figures gain the area, and the outside record no longer counts
    apart. The outside record itself is kept, with the conversion beside it.
    """
    outside = session.scalars(
        select(OutsideRelease).where(OutsideRelease.reference == reference)
    ).first()
    if outside is None:
        raise NotFound(f"no land released outside hazards is recorded as {reference!r}")
    made = session.get(OutsideReleaseConversion, outside.id)
    if made is not None:
        made_into = session.get(Hazard, made.hazard_id)
        called = made_into.reference if made_into else str(made.hazard_id)
        if session.get(HazardWithdrawal, made.hazard_id) is None:
            raise Conflict(f"{reference} was already made into hazard {called}")
        # its release took the record's reference, which a withdrawn release keeps
        raise Conflict(
            f"{reference} was made into hazard {called}, withdrawn since as recorded in error:"
            " it counts apart again, and is not made into a hazard twice. If the land lies in"
            " a hazard after all, send it as a release of that hazard under a reference of"
            f" its own, then withdraw {reference}"
        )
    if session.get(OutsideReleaseWithdrawal, outside.id) is not None:
        raise Conflict(f"{reference} was withdrawn as recorded in error: it is no hazard's")
    shared = sharing(session, outside.id, to_shape(outside.geom))
    if shared.shared_m2 >= SAME_GROUND_SHARE * outside.area_m2:
        # the other records would go on counting that ground apart while the hazard's
        # release counts it too: released twice (a review of our own change)
        named = ", ".join(f"{ref} released {day}" for ref, day in shared.records[:3])
        raise Conflict(
            f"{shared.shared_m2:,.0f} m² of the {outside.area_m2:,.0f} m² of {reference} was also "
            f"recorded as released outside hazards by {named}"
            f"{' and more' if len(shared.records) > 3 else ''}: the same land recorded twice? "
            "Made a hazard, that ground would count twice, apart and as the hazard's. "
            "Withdraw the record sent twice first, then make the other a hazard"
        )
    hazard_reference = hazard_reference.strip()
    if not hazard_reference or len(hazard_reference) > 100:
        raise InvalidRequest("give the new hazard a reference of 1 to 100 characters")
    # as validation checks an upload's (it had let "AT-1/." and invisible characters in)
    problem = reference_problem(hazard_reference, "the hazard's reference")
    if says_none(hazard_reference):  # as validation's: "(none)" empties a revision's field
        problem = f'"{hazard_reference}" is not a reference: "{NONE_TEXT}" empties a field'
    if problem is None:  # as validation's: no reference that reads as a recorded one
        near = session.scalars(
            text(
                "SELECT reference FROM hazard WHERE lower(reference) = :s"
                " OR reference !~ '^[ -~]*$'"
            ),
            {"s": skeleton(hazard_reference)},
        ).all()
        other = twins([hazard_reference], near).get(hazard_reference)
        if other is not None:
            problem = (
                f'"{hazard_reference}" reads as hazard "{other}", recorded: give the new '
                "hazard a reference that cannot be mistaken for another"
            )
    if problem is not None:
        raise InvalidRequest(problem, field="hazard_id")
    wkb = session.scalar(
        select(func.ST_AsBinary(OutsideRelease.geom)).where(OutsideRelease.id == outside.id)
    )
    assert wkb is not None
    geom = shapely.from_wkb(bytes(wkb))
    left_apart = 0.0
    if shared.ground is not None and shared.shared_m2 >= SHARED_GROUND_M2:
        # neighbouring clearances sharing a strip: the hazard takes the record's ground but
        # the strip, which the other records go on counting apart, once (a review of our
        # own change had refused them, and the only way on was to withdraw a right record)
        geom = as_multipolygon(repaired_multipolygon(geom.difference(shared.ground)))
        left_apart = shared.shared_m2
    operator = session.get(Organisation, outside.operator_id) if outside.operator_id else None
    name = operator.name if operator else None
    actor = audit.as_actor(by).name
    [hazard_id] = record_hazards(
        session,
        [
            NewHazard(
                hazard_reference,
                status,
                geom,
                outside.released,
                outside.contam,
                operator=name,
                attributes={"made_from_outside_release": reference},
            )
        ],
        recorded_by=actor,
    )
    record_releases(
        session,
        [
            NewRelease(
                reference,
                hazard_reference,
                outside.method,
                outside.released,
                geom,
                name,
                dict(outside.items or {}),
                outside.stated_area_m2,
                dict(outside.attributes or {}),
            )
        ],
        recorded_by=actor,
        converting=True,
    )
    release_id = session.scalar(select(Release.id).where(Release.reference == reference))
    assert release_id is not None
    session.add(
        OutsideReleaseConversion(
            outside_release_id=outside.id,
            hazard_id=hazard_id,
            release_id=release_id,
            converted_by=actor,
        )
    )
    session.flush()
    audit.record(
        session,
        by,
        "outside_release.converted",
        "outside_release",
        outside.id,
        hazard_id=hazard_id,
        before={"reference": reference, "area_m2": outside.area_m2},
        after={
            "hazard": hazard_reference,
            "status": status.value,
            "release": reference,
            "left_apart_m2": round(left_apart, 1),
        },
    )
    return Conversion(reference, hazard_id, hazard_reference, release_id, left_apart)


# A district is said to lie outside its province when more than this share of it does:
# simplified boundaries of two sources differ by slivers along every shared line.
NOT_NESTED_SHARE = 0.01


@dataclass(frozen=True)
class Nesting:
    """How far the districts loaded lie outside their provinces (docs/design.md §2.5)."""

    districts: int  # districts with a province
    outside: int  # of them, those with more than NOT_NESTED_SHARE of their ground outside it
    outside_m2: float  # all districts' ground outside their province, on the ellipsoid
    worst: tuple[tuple[str, str, float, float], ...]  # (district, province, m², share)

    def sentence(self) -> str | None:
        """What a reader of district figures needs told, or None when they nest."""
        if not self.outside:
            return None
        named = "; ".join(
            f"{d} ({m2 / 1e6:,.0f} km², {share:.0%} of it, outside {p})"
            for d, p, m2, share in self.worst
        )
        return (
            f"{self.outside} of the {self.districts} districts lie partly outside the province "
            f"they belong to ({self.outside_m2 / 1e6:,.0f} km² of district ground in all; most: "
            f"{named}): the boundaries loaded do not nest, so a province's figures are not "
            "the sum of its districts'. Each level counts a hazard where the largest share "
            "of it lies, and splits its area by that level's own boundaries."
        )


def nesting(session: Session, worst: int = 3) -> Nesting:
    """How far the districts lie outside their provinces, from what each load measured."""
    rows = session.execute(
        text(
            "SELECT d.name, p.name, d.outside_parent_m2, "
            "d.outside_parent_m2 / NULLIF(ST_Area(d.geom::geography), 0) AS share "
            "FROM admin_area d JOIN admin_area p ON p.id = d.parent_id "
            "WHERE d.level = 2 AND d.outside_parent_m2 IS NOT NULL "
            "ORDER BY d.outside_parent_m2 DESC"
        )
    ).all()
    apart = [r for r in rows if (r.share or 0) > NOT_NESTED_SHARE]
    return Nesting(
        districts=len(rows),
        outside=len(apart),
        outside_m2=float(sum(r.outside_parent_m2 for r in rows)),
        worst=tuple((r[0], r[1], float(r[2]), float(r[3])) for r in apart[:worst]),
    )


@dataclass(frozen=True)
class BoundaryLoad:
    """What a boundary load did, and how far the districts nest in their provinces."""

    added: int
    updated: int
    nesting: Nesting | None = None


def load_boundaries(
    session: Session,
    features: Sequence[BoundaryFeature],
    *,
    level: int,
    source: str | None = None,
    progress: ledger.Progress | None = None,
    by: Actor | str | None = None,
) -> BoundaryLoad:
    """Add or update admin areas of one level, matched by code; rebuild the ledger.

    Districts (level 2) get their province as parent: the level-1 area that holds the
    largest share of them. A district without a code gets ``<province code>-<name>``.
    """
    if level not in (1, 2):
        raise InvalidRequest("the admin level must be 1 (province) or 2 (district)")
    added = updated = 0
    changed: list[dict[str, Any]] = []
    for feature in features:
        wkb = shapely.to_wkb(feature.geometry)
        parent_id = None
        if level == 2:
            parent_id = session.scalar(
                text(
                    "SELECT id FROM admin_area WHERE level = 1 "
                    "AND ST_Intersects(geom, ST_GeomFromWKB(:wkb, 4326)) "
                    "ORDER BY ST_Area(ST_Intersection(geom, ST_GeomFromWKB(:wkb, 4326))) DESC "
                    "LIMIT 1"
                ),
                {"wkb": wkb},
            )
        code = feature.code
        if code is None:
            if level == 1 or parent_id is None:
                raise InvalidRequest(f"admin area {feature.name!r} has no code (give --code-field)")
            parent_code = session.scalar(select(AdminArea.code).where(AdminArea.id == parent_id))
            code = f"{parent_code}-{slug(feature.name)}"
        existing = session.scalars(
            select(AdminArea).where(AdminArea.level == level, AdminArea.code == code)
        ).first()
        geom = func.ST_GeomFromWKB(wkb, 4326)
        if existing is None:
            session.add(
                AdminArea(
                    level=level,
                    code=code,
                    name=feature.name,
                    geom=geom,
                    parent_id=parent_id,
                    source=source,
                )
            )
            added += 1
        else:
            changed.append({"code": code, "name": existing.name})
            existing.name = feature.name
            existing.geom = geom
            existing.parent_id = parent_id
            existing.source = source
            updated += 1
    session.flush()
    audit.record(
        session,
        by,
        "boundaries.loaded",
        "admin_area",
        f"level {level}",
        before={"replaced": changed[:500]} if changed else None,
        after={"source": source, "added": added, "updated": updated},
    )
    # each district's ground outside its province, kept (design §2.5): measured again for
    # all of them, as either level's load moves the line between them
    session.execute(
        text(
            "UPDATE admin_area d SET outside_parent_m2 = CASE WHEN p.id IS NULL THEN NULL "
            "ELSE ST_Area(ST_Difference(d.geom, p.geom)::geography) END "
            "FROM admin_area d2 LEFT JOIN admin_area p ON p.id = d2.parent_id "
            "WHERE d2.id = d.id AND d.level = 2"
        )
    )
    ledger.refresh_all(session, progress=progress)
    return BoundaryLoad(added=added, updated=updated, nesting=nesting(session))
