"""Reading administrative boundary files (any format GDAL reads, any declared CRS)."""

from __future__ import annotations

from pathlib import Path

import pyogrio

from ims.domain.geometry import repaired_multipolygon
from ims.domain.records import BoundaryFeature
from ims.errors import InvalidUpload
from ims.ingest.crs import checked_crs, to_wgs84
from ims.ingest.layers import list_layers

CODE_FIELDS = ("code", "admin_code", "shapeISO", "ISO", "pcode", "ADM2_PCODE", "ADM1_PCODE")
NAME_FIELDS = ("name", "admin_name", "shapeName", "NAME", "ADM2_EN", "ADM1_EN")


def _pick(columns: list[str], wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
    if wanted:
        if wanted not in columns:
            raise InvalidUpload(
                f"the file has no field {wanted!r} for the {what}; its fields are "
                + ", ".join(columns)
            )
        return wanted
    for name in candidates:
        if name in columns:
            return name
    raise InvalidUpload(
        f"cannot tell which field holds the {what}: give it with --{what}-field "
        f"(the file's fields are {', '.join(columns)})"
    )


def read_boundaries(
    path: Path, *, code_field: str | None = None, name_field: str | None = None
) -> list[BoundaryFeature]:
    """Read admin polygons from ``path``, reprojected to EPSG:4326 and repaired if needed."""
    if not path.exists():
        raise InvalidUpload(f"{path}: no such file")
    if path.suffix.lower() in (".gpkg", ".shp"):
        list_layers(path)  # the checks an upload gets before GDAL opens it (its CRS's)
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # GDAL's errors come in many types
        raise InvalidUpload(f"{path}: cannot read it as a vector file ({exc})") from None
    if frame.crs is None:
        raise InvalidUpload(f"{path}: the file declares no coordinate reference system")
    if checked_crs(frame.crs, str(path)).to_epsg() != 4326:
        frame = to_wgs84(frame, str(path), str(frame.crs.name))
    columns = [c for c in frame.columns if c != "geometry"]
    code_col = _pick(columns, code_field, CODE_FIELDS, "code")
    name_col = _pick(columns, name_field, NAME_FIELDS, "name")
    features = []
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        name = str(getattr(row, name_col) or "").strip()
        code = str(getattr(row, code_col) or "").strip() or None
        where = f"feature {i} ({name or code or 'unnamed'})"
        features.append(
            BoundaryFeature(code, name, repaired_multipolygon(row.geometry, where=where))
        )
    if not features:
        raise InvalidUpload(f"{path}: the file holds no features")
    return features
