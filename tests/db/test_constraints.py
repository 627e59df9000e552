"""The database itself refuses invalid geometry and keeps every revision."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from sqlalchemy import select, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from ims.db.models import Hazard, HazardRevision
from ims.db.recording import record_hazards
from ims.domain.enums import HazardStatus
from ims.domain.geodesy import geodesic_area
from ims.domain.records import NewHazard

SQUARE = "SRID=4326;MULTIPOLYGON(((102.5 19.5,102.51 19.5,102.51 19.51,102.5 19.51,102.5 19.5)))"
BOWTIE = "SRID=4326;MULTIPOLYGON(((102.5 19.5,102.51 19.51,102.51 19.5,102.5 19.51,102.5 19.5)))"
SQUARE_M2 = geodesic_area(shapely.from_wkt(SQUARE.split(";")[1]))  # as recording writes it


def _hazard(session: Session, reference: str = "XK-1") -> Hazard:
    hazard = Hazard(reference=reference)
    session.add(hazard)
    session.flush()
    return hazard


def test_invalid_polygon_is_refused_by_check_constraint(session: Session) -> None:
    hazard = _hazard(session)
    session.add(
        HazardRevision(
            hazard_id=hazard.id,
            effective=dt.date(2020, 1, 1),
            status=HazardStatus.SHA,
            geom=BOWTIE,
            map_area_m2=0.0,
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
            map_area_m2=SQUARE_M2,
        )
    )
    with pytest.raises(DataError, match="SRID"):
        session.flush()


def test_revisions_are_numbered_in_recording_order(session: Session) -> None:
    hazard = _hazard(session)
    first = HazardRevision(
        hazard_id=hazard.id,
        effective=dt.date(2020, 1, 1),
        status=HazardStatus.SHA,
        geom=SQUARE,
        map_area_m2=SQUARE_M2,
    )
    session.add(first)
    session.flush()
    second = HazardRevision(
        hazard_id=hazard.id,
        effective=dt.date(2019, 6, 1),
        status=HazardStatus.CHA,
        geom=SQUARE,
        map_area_m2=SQUARE_M2,
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
                "INSERT INTO hazard_revision (hazard_id, effective, status, geom, map_area_m2) "
                "VALUES (:h, '2020-01-01', 'MAYBE', ST_GeomFromEWKT(:g), :a)"
            ),
            {"h": hazard.id, "g": SQUARE, "a": SQUARE_M2},
        )


@pytest.mark.parametrize("area", [0.0, SQUARE_M2 * 10_000, SQUARE_M2 / 10_000])
def test_a_boundary_area_that_is_not_the_polygons_is_refused(session: Session, area: float) -> None:
    """The area is written by ims (the ledger's measure); the database holds it to PostGIS's
    within 1 %, so that a wrong unit or another polygon's area cannot be stored."""
    hazard = _hazard(session)
    session.add(
        HazardRevision(
            hazard_id=hazard.id,
            effective=dt.date(2020, 1, 1),
            status=HazardStatus.SHA,
            geom=SQUARE,
            map_area_m2=area,
        )
    )
    with pytest.raises(IntegrityError, match="ck_hazard_revision_map_area"):
        session.flush()


def test_the_boundary_area_recorded_is_the_ledgers_measure(session: Session) -> None:
    """A hazard nothing was released from: its remaining area equals its boundary's."""
    record_hazards(
        session,
        [
            NewHazard(
                "XK-AREA",
                HazardStatus.CHA,
                shapely.from_wkt(SQUARE.split(";")[1]),
                dt.date(2020, 1, 1),
            )
        ],
    )
    boundary, remaining, postgis = session.execute(
        text(
            "SELECT r.map_area_m2, m.remaining_m2, ST_Area(r.geom::geography) "
            "FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id "
            "JOIN hazard_remaining m ON m.hazard_id = h.id WHERE h.reference = 'XK-AREA'"
        )
    ).one()
    assert boundary == remaining  # exactly: one measure
    assert boundary == pytest.approx(postgis, rel=1e-6)  # PostGIS's, independently
