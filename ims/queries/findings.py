"""Every finding of a submission as a file a data manager fixes from: GeoPackage or CSV.

One row a finding, errors first, then warnings, then notes, each in feature order: the
feature number in the file, its reference, the severity, the kind, the field and the
message, and the feature's own geometry (as received where it was not a usable polygon):
in the GeoPackage as geometry, so the findings open in QGIS beside the file they are
about, in the CSV as WKT. The GeoPackage also holds, as a layer named after the kind of
file (``hazards`` or ``releases``), each feature that has a finding with its fields under
the template's names and its own extra columns, its FID the feature's number: fixed in
QGIS, that layer is uploaded again as it is (an upload takes the layer named after its
kind).
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.cells import csv_text
from ims.db.own_columns import RESERVED
from ims.domain.enums import UploadKind
from ims.errors import InvalidRequest
from ims.files import write_whole
from ims.ingest.blank_template import GPKG_OPTIONS
from ims.ingest.field_maps import ATTRIBUTES
from ims.ingest.fields import HAZARD_FIELDS, RELEASE_FIELDS

COLUMNS: Final = ("feature", "reference", "severity", "kind", "field", "message")
CSV_COLUMNS: Final = (*COLUMNS, "wkt")
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


_FEATURES = text(
    "SELECT s.kind, sf.row_number, sf.record, ST_AsBinary(COALESCE(sf.geom, sf.raw_geom)) AS wkb "
    "FROM submission_feature sf JOIN submission s ON s.id = sf.submission_id "
    "WHERE sf.submission_id = :s AND sf.row_number IN"
    " (SELECT row_number FROM finding WHERE submission_id = :s) "
    "ORDER BY sf.row_number"
)


def features_frame(session: Session, submission_id: int) -> tuple[str, gpd.GeoDataFrame]:
    """The kind of the submission and its features that have a finding: the template's
    fields as staged, then the file's own columns, and the geometry (EPSG:4326)."""
    rows = session.execute(_FEATURES, {"s": submission_id}).all()
    kind = (
        rows[0].kind
        if rows
        else str(
            session.scalar(text("SELECT kind FROM submission WHERE id = :s"), {"s": submission_id})
        )
    )
    fields = list(HAZARD_FIELDS if kind == UploadKind.HAZARDS else RELEASE_FIELDS)
    # the file's own columns, each under its name unless a field's or the GeoPackage's
    # ("fid", "geom"), in any case: then numbered, as the register's files do
    taken = {c.casefold() for c in (*fields, *RESERVED)}
    own: dict[str, str] = {}
    for r in rows:
        for key in r.record.get(ATTRIBUTES) or {}:
            if key in own:
                continue
            name, n = key, 0
            while name.casefold() in taken:
                n += 1
                name = f"{key}_{n}"
            taken.add(name.casefold())
            own[key] = name
    data: dict[str, list[object]] = {name: [] for name in (*fields, *own.values())}
    for r in rows:
        extra = r.record.get(ATTRIBUTES) or {}
        for name in fields:
            data[name].append(r.record.get(name))
        for key, name in own.items():
            data[name].append(extra.get(key))
    geoms = [shapely.from_wkb(r.wkb) if r.wkb is not None else None for r in rows]
    columns = {name: _column(values) for name, values in data.items()}
    # each feature's number in the file as the GeoPackage's FID, which QGIS shows: the
    # findings layer's ``feature`` (they had been joined by reference alone: a GIS
    # user's review); an upload reads no FID as a column
    fids = pd.Series([r.row_number for r in rows], dtype="Int64")
    return kind, gpd.GeoDataFrame({"fid": fids, **columns}, geometry=geoms, crs=4326)


def _column(values: list[object]) -> object:
    """A column of staged values as the file had it: numbers where every value it holds is
    one (an area in m² was text in QGIS, sorted "1000" before "20"), text otherwise, so
    that a value that did not read as what its field takes is kept as it was sent, to be
    corrected (a layer's column holds one type; ims reads a field's value from either)."""
    present = [v for v in values if v is not None]
    if present and not any(isinstance(v, bool) for v in present):
        if all(isinstance(v, int) for v in present):
            return pd.Series(values, dtype="Int64")
        if all(isinstance(v, int | float) for v in present):
            return pd.Series(values, dtype="Float64")
    return [None if v is None else str(v) for v in values]


def findings_file(
    frame: gpd.GeoDataFrame,
    fmt: str,
    *,
    layer: str = "findings",
    features: tuple[str, gpd.GeoDataFrame] | None = None,
) -> bytes:
    """The findings in ``fmt``: a GeoPackage layer (and ``features``, a layer named after
    their kind), or CSV with the geometry as WKT."""
    if fmt == "csv":
        wkt = [None if g is None or g.is_empty else g.wkt for g in frame.geometry]
        cells = frame[list(COLUMNS)].itertuples(index=False, name=None)
        rows = [CSV_COLUMNS, *((*row, w) for row, w in zip(cells, wkt, strict=True))]
        return csv_text([["" if _missing(v) else v for v in row] for row in rows]).encode("utf-8")
    if fmt != "gpkg":
        raise InvalidRequest(f"findings come as {' or '.join(FORMATS)}, not {fmt!r}")
    with tempfile.TemporaryDirectory(prefix="ims-findings-") as folder:
        path = Path(folder) / f"{layer}.gpkg"
        pyogrio.write_dataframe(
            frame, path, layer=layer, driver="GPKG", dataset_options=GPKG_OPTIONS, **_typed(frame)
        )
        if features is not None and len(features[1]):
            kind, rows = features
            pyogrio.write_dataframe(
                rows, path, layer=kind, driver="GPKG", append=True, **_typed(rows)
            )
        return path.read_bytes()


def _typed(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """A layer's geometry type: MultiPolygon, the template's, when every feature's is a
    polygon (the layer to fix and send back had been of type Unknown, which some GIS tools
    will not export: a new user's review); Unknown for mixed geometry (a point an unusable
    feature held, say), which QGIS shows as it is."""
    kinds = set(frame.geometry.dropna().geom_type)
    if kinds and kinds <= {"Polygon", "MultiPolygon"}:
        return {"geometry_type": "MultiPolygon", "promote_to_multi": True}
    return {"geometry_type": "Unknown"}


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
    features = features_frame(session, submission_id) if fmt == "gpkg" else None
    write_whole(path, findings_file(frame, fmt, features=features))
    return len(frame)
