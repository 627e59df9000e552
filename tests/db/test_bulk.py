"""COPY's text form of geometries (ims/db/bulk.py) is read back by PostGIS as written."""

from __future__ import annotations

import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db.bulk import ewkb_hex


def test_geometries_written_for_copy_come_back_the_same_in_4326(session: Session) -> None:
    holed = Polygon(
        [(102, 19), (102.3, 19), (102.3, 19.1), (102, 19.1)],
        [[(102.1, 19.02), (102.12, 19.02), (102.12, 19.04)]],
    )
    geoms = [MultiPolygon([box(103, 18, 103.01, 18.01), box(104, 18, 104.5, 18.2)]), holed]
    for geom, written in zip(geoms, ewkb_hex(geoms), strict=True):
        srid, wkb = session.execute(
            text("SELECT ST_SRID(CAST(:t AS geometry)), ST_AsBinary(CAST(:t AS geometry))"),
            {"t": written},
        ).one()
        assert srid == 4326
        assert shapely.from_wkb(bytes(wkb)).equals_exact(geom, tolerance=0)
