"""Recording hazards, revisions, releases and boundaries: the one service every path uses.

The upload pipeline, the API and the CLI all record through these functions, which keep
the area ledger up to date for the hazards they touch. Nothing here overwrites a record:
a revision is a new row in force from its date, a release is a new row.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import shapely
from sqlalchemy import String, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ims.db import audit, ledger
from ims.db.audit import Actor
from ims.db.bulk import copy_rows, ewkb_hex, identity_values, next_values
from ims.db.models import (
    AdminArea,
    Hazard,
    HazardRevision,
    MunitionType,
    Organisation,
    Release,
)
from ims.domain.geometry import as_multipolygon
from ims.domain.records import (
    BoundaryFeature,
    HazardChange,
    NewHazard,
    NewRelease,
    slug,
)
from ims.errors import Conflict, InvalidRequest, NotFound, UnknownCode

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
        raise UnknownCode(f"{where}: unknown munition type code(s): {', '.join(unknown)}")


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
        raise Conflict(f"hazard reference(s) already recorded: {', '.join(sorted(taken)[:10])}")
    check_munition_codes(
        session, (c for h in hazards for c in h.estimates), where="estimated remnants"
    )
    orgs = organisation_ids(session, (h.operator for h in hazards))
    geoms = [as_multipolygon(h.geometry, where=f"hazard {h.reference}") for h in hazards]
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
)


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
            )
            for rid, seq, geom_hex, r in zip(rev_ids, seqs, hexes, revisions, strict=True)
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


def _revision_in_force(session: Session, hazard_id: int, on: dt.date) -> HazardRevision | None:
    return session.scalars(
        select(HazardRevision)
        .where(HazardRevision.hazard_id == hazard_id, HazardRevision.effective <= on)
        .order_by(HazardRevision.effective.desc(), HazardRevision.seq.desc())
        .limit(1)
    ).first()


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
    effective date, so a back-dated revision builds on the state at that date.
    """
    touched: list[int] = []
    for change in changes:
        hazard = session.scalars(select(Hazard).where(Hazard.reference == change.reference)).first()
        if hazard is None:
            raise NotFound(f"hazard {change.reference!r} is not recorded")
        base = _revision_in_force(session, hazard.id, change.effective)
        if base is None:
            raise InvalidRequest(
                f"hazard {change.reference!r}: a revision dated {change.effective} is before "
                "the hazard was recorded"
            )
        if change.estimates is not None:
            check_munition_codes(session, change.estimates, where=f"hazard {change.reference}")
        orgs = organisation_ids(session, [change.operator])
        geom = (
            as_multipolygon(change.geometry, where=f"hazard {change.reference}")
            if change.geometry is not None
            else shapely.from_wkb(
                bytes(
                    session.execute(
                        select(func.ST_AsBinary(HazardRevision.geom)).where(
                            HazardRevision.id == base.id
                        )
                    ).scalar_one()
                )
            )
        )
        estimates = (
            change.estimates
            if change.estimates is not None
            else {e.munition_code: e.quantity for e in base.estimates}
        )
        _insert_revisions(
            session,
            [
                {
                    "hazard_id": hazard.id,
                    "effective": change.effective,
                    "status": (change.status or base.status).value,
                    "geom": geom,
                    "used_from": change.used_from
                    if change.used_from is not None
                    else base.used_from,
                    "used_to": change.used_to if change.used_to is not None else base.used_to,
                    "marked": change.marked if change.marked is not None else base.marked,
                    "operator_id": orgs.get((change.operator or "").strip(), base.operator_id),
                    "submission_id": submission_id,
                    "recorded_by": recorded_by,
                    "note": change.note,
                    "attributes": change.attributes
                    if change.attributes is not None
                    else base.attributes,
                }
            ],
            [estimates],
        )
        touched.append(hazard.id)
    if refresh_ledger:
        ledger.refresh(session, touched)
    return touched


def record_releases(
    session: Session,
    releases: Sequence[NewRelease],
    *,
    submission_id: int | None = None,
    recorded_by: str | None = None,
    refresh_ledger: bool = True,
) -> list[int]:
    """Record land-release results; return the ids of the hazards they touch.

    Only the touched hazards' ledgers are rebuilt, once per hazard however many releases.
    """
    if not releases:
        return []
    refs = [r.reference for r in releases]
    if len(set(refs)) != len(refs):
        raise Conflict("the same release reference appears twice in one batch")
    taken = list(session.scalars(select(Release.reference).where(any_of(Release.reference, refs))))
    if taken:
        raise Conflict(f"release reference(s) already recorded: {', '.join(sorted(taken)[:10])}")
    hazard_refs = {r.hazard_reference for r in releases}
    hazard_ids = dict(
        session.execute(
            select(Hazard.reference, Hazard.id).where(any_of(Hazard.reference, hazard_refs))
        ).all()
    )
    missing = sorted(hazard_refs - hazard_ids.keys())
    if missing:
        raise NotFound(f"release(s) refer to unknown hazard(s): {', '.join(missing[:10])}")
    check_munition_codes(session, (c for r in releases for c in r.items), where="items destroyed")
    orgs = organisation_ids(session, (r.operator for r in releases))
    geoms = [as_multipolygon(r.geometry, where=f"release {r.reference}") for r in releases]
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


@dataclass(frozen=True)
class BoundaryLoad:
    """What a boundary load did."""

    added: int
    updated: int


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
    ledger.refresh_all(session, progress=progress)
    return BoundaryLoad(added=added, updated=updated)
