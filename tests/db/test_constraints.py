"""The database itself refuses invalid geometry and keeps every revision."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from ims.db.models import Hazard, HazardRevision
from ims.domain.enums import HazardStatus

SQUARE = "SRID=4326;MULTIPOLYGON(((102.5 19.5,102.51 19.5,102.51 19.51,102.5 19.51,102.5 19.5)))"
BOWTIE = "SRID=4326;MULTIPOLYGON(((102.5 19.5,102.51 19.51,102.51 19.5,102.5 19.51,102.5 19.5)))"


def _hazard(session: Session, reference: str = "XK-1") -> Hazard:
    hazard = Hazard(reference=reference)
    session.add(hazard)
    session.flush()
    return hazard


def test_invalid_polygon_is_refused_by_check_constraint(session: Session) -> None:
    hazard = _hazard(session)
    session.add(
        HazardRevision(
            hazard_id=hazard.id, effective=dt.date(2020, 1, 1), status=HazardStatus.SHA, geom=BOWTIE
        )
    )
    with pytest.raises(IntegrityError, match="ck_hazard_revision_geom_valid"):
        session.flush()


def test_wrong_srid_is_refused(session: Session) -> None:
    hazard = _hazard(session)
    session.add(
        HazardRevision(
            hazard_id=hazard.id,
            effective=dt.date(2020, 1, 1),
            status=HazardStatus.SHA,
            geom=SQUARE.replace("4326", "3857"),
        )
    )
    with pytest.raises(DataError, match="SRID"):
        session.flush()


def test_revisions_are_numbered_in_recording_order(session: Session) -> None:
    hazard = _hazard(session)
    first = HazardRevision(
        hazard_id=hazard.id, effective=dt.date(2020, 1, 1), status=HazardStatus.SHA, geom=SQUARE
    )
    session.add(first)
    session.flush()
    second = HazardRevision(
        hazard_id=hazard.id, effective=dt.date(2019, 6, 1), status=HazardStatus.CHA, geom=SQUARE
    )
    session.add(second)
    session.commit()
    rows = session.scalars(select(HazardRevision).order_by(HazardRevision.seq)).all()
    assert [r.status for r in rows] == [HazardStatus.SHA, HazardStatus.CHA]
    assert rows[0].seq < rows[1].seq


def test_unknown_status_is_refused(session: Session) -> None:
    hazard = _hazard(session)
    with pytest.raises(IntegrityError, match="ck_hazard_revision_status"):
        session.execute(
            text(
                "INSERT INTO hazard_revision (hazard_id, effective, status, geom) "
                "VALUES (:h, '2020-01-01', 'MAYBE', ST_GeomFromEWKT(:g))"
            ),
            {"h": hazard.id, "g": SQUARE},
        )
