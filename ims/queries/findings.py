"""Every finding of a submission as a file a data manager fixes from: GeoPackage or CSV.

One row a finding, errors first, then warnings, then notes, each in feature order: the
feature number in the file, its reference, the severity, the kind, the field and the
message, and in the GeoPackage the feature's own geometry (as received where it was not a
usable polygon), so the findings open in QGIS beside the file they are about.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.errors import InvalidRequest
from ims.reports.cells import csv_text

COLUMNS: Final = ("feature", "reference", "severity", "kind", "field", "message")
FORMATS: Final = {
    "gpkg": "application/geopackage+sqlite3",
    "csv": "text/csv; charset=utf-8",
}

_ROWS = text(
    "SELECT f.row_number AS feature, f.reference, f.severity, f.code AS kind, f.field,"
    " f.message, ST_AsBinary(COALESCE(sf.geom, sf.raw_geom)) AS wkb "
    "FROM finding f LEFT JOIN submission_feature sf"
    " ON sf.submission_id = f.submission_id AND sf.row_number = f.row_number "
    "WHERE f.submission_id = :s "
    "ORDER BY CASE f.severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,"
    " f.row_number NULLS FIRST, f.id"
)


def findings_frame(session: Session, submission_id: int) -> gpd.GeoDataFrame:
    """The submission's findings with their features' geometries (EPSG:4326)."""
    rows = session.execute(_ROWS, {"s": submission_id}).all()
    geoms = [shapely.from_wkb(r.wkb) if r.wkb is not None else None for r in rows]
    data = {c: [getattr(r, c) for r in rows] for c in COLUMNS}
    frame = gpd.GeoDataFrame(data, geometry=geoms, crs=4326)
    frame["feature"] = frame["feature"].astype("Int64")  # a feature number, or none (the file)
    return frame


def findings_file(frame: gpd.GeoDataFrame, fmt: str, *, layer: str = "findings") -> bytes:
    """The findings in ``fmt``: a GeoPackage layer, or CSV without the geometry."""
    if fmt == "csv":
        rows = [COLUMNS, *frame[list(COLUMNS)].itertuples(index=False, name=None)]
        return csv_text([["" if _missing(v) else v for v in row] for row in rows]).encode("utf-8")
    if fmt != "gpkg":
        raise InvalidRequest(f"findings come as {' or '.join(FORMATS)}, not {fmt!r}")
    with tempfile.TemporaryDirectory(prefix="ims-findings-") as folder:
        path = Path(folder) / f"{layer}.gpkg"
        # Mixed geometry (polygons, and whatever an unusable feature held): one layer of
        # type Unknown, which QGIS shows as it is.
        pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", geometry_type="Unknown")
        return path.read_bytes()


def _missing(value: object) -> bool:
    """None, or pandas' missing value (a finding about the whole file has no feature, no
    reference and no field: a text column of pandas holds those as NaN, which CSV wrote
    as the word "nan")."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def write_findings(session: Session, submission_id: int, path: Path) -> int:
    """Write every finding of a submission to ``path`` (.gpkg or .csv); how many."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidRequest(f"{path}: the findings file ends in .gpkg or .csv")
    frame = findings_frame(session, submission_id)
    path.write_bytes(findings_file(frame, fmt, layer=path.stem or "findings"))
    return len(frame)
