"""The hazard register as files for field teams: GeoPackage, zipped shapefile, KML, GeoJSON,
CSV and XLSX, every hazard the filter matches (no page limit).

The geometries are the remaining ground on the date, in EPSG:4326. Text is UTF-8 in every
format (the shapefile says so in its ``.cpg``), so Lao names survive. A shapefile's column
names are at most 10 characters: the register's are shortened by ``SHAPEFILE_NAMES`` and
the upload's own columns cut and numbered; ``fields.csv`` in the zip lists each with its
full name.
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import pyogrio
from openpyxl import Workbook
from shapely.geometry import mapping

from ims.queries.register import HazardRow
from ims.reports.cells import csv_text, workbook_bytes

FORMATS: Final = ("gpkg", "zip", "kml", "geojson", "csv", "xlsx")
MEDIA_TYPES: Final = {
    "gpkg": "application/geopackage+sqlite3",
    "zip": "application/zip",
    "kml": "application/vnd.google-earth.kml+xml",
    "geojson": "application/geo+json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
COLUMNS: Final = (
    "hazard_id",
    "status",
    "contamination",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
    "remaining_m2",
    "boundary_m2",
    "recorded",
    "operator",
    "marked",
)
# The register's columns as a shapefile names them (at most 10 characters).
SHAPEFILE_NAMES: Final = {
    "hazard_id": "hazard_id",
    "status": "status",
    "contamination": "contam",
    "admin1_code": "adm1_code",
    "admin1_name": "adm1_name",
    "admin2_code": "adm2_code",
    "admin2_name": "adm2_name",
    "remaining_m2": "remain_m2",
    "boundary_m2": "bound_m2",
    "recorded": "recorded",
    "operator": "operator",
    "marked": "marked",
}
LAYER: Final = "hazards"


@dataclass(frozen=True)
class ExportFile:
    """A written file: its bytes, media type and download name."""

    content: bytes
    media_type: str
    filename: str


def _extra_columns(rows: Sequence[HazardRow]) -> list[str]:
    """The upload's own columns the rows hold, in first-seen order, none a register name."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row.attributes:
            if key not in COLUMNS:
                seen.setdefault(key, None)
    return list(seen)


def _text(value: Any) -> Any:
    """An upload's value as one cell: text, a number, or None (lists and objects as JSON)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, ensure_ascii=False)


def _records(rows: Sequence[HazardRow], extra: list[str]) -> list[dict[str, Any]]:
    records = []
    for row in rows:
        props = row.properties()
        record = {c: props[c] for c in COLUMNS}
        for key in extra:
            value = row.attributes.get(key)
            record[key] = None if value is None else str(_text(value))
        records.append(record)
    return records


def shapefile_names(columns: Sequence[str]) -> dict[str, str]:
    """Each column's name in a shapefile: unique, at most 10 characters."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for column in columns:
        name = SHAPEFILE_NAMES.get(column) or column[:10]
        n = 1
        while name.lower() in taken:
            suffix = f"_{n}"
            name = column[: 10 - len(suffix)] + suffix
            n += 1
        taken.add(name.lower())
        names[column] = name
    return names


def _frame(rows: Sequence[HazardRow], extra: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        _records(rows, extra),
        columns=[*COLUMNS, *extra],
        geometry=[row.geometry for row in rows],
        crs="EPSG:4326",
    )


def _point(row: HazardRow) -> tuple[float | None, float | None]:
    if row.geometry is None:
        return None, None
    p = row.geometry.representative_point()
    return round(p.x, 7), round(p.y, 7)


def write(rows: Sequence[HazardRow], fmt: str, stem: str = "hazards") -> ExportFile:
    """The rows as a file of format ``fmt`` (one of FORMATS)."""
    extra = _extra_columns(rows)
    media = MEDIA_TYPES[fmt]
    name = f"{stem}.{fmt}"
    if fmt == "geojson":
        doc = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": row.hazard_id,
                    "geometry": mapping(row.geometry) if row.geometry is not None else None,
                    "properties": row.properties(),
                }
                for row in rows
            ],
        }
        return ExportFile(json.dumps(doc, ensure_ascii=False).encode(), media, name)
    if fmt == "csv":
        header = [*COLUMNS, *extra, "lon", "lat", "wkt"]
        lines: list[list[Any]] = [header]
        for row, record in zip(rows, _records(rows, extra), strict=True):
            lon, lat = _point(row)
            wkt = row.geometry.wkt if row.geometry is not None else None
            lines.append([*record.values(), lon, lat, wkt])
        return ExportFile(("\ufeff" + csv_text(lines)).encode(), media, name)
    if fmt == "xlsx":
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = LAYER
        ws.append([*COLUMNS, *extra, "lon", "lat"])
        for row, record in zip(rows, _records(rows, extra), strict=True):
            ws.append([*record.values(), *_point(row)])
        return ExportFile(workbook_bytes(wb), media, name)
    frame = _frame(rows, extra)
    with tempfile.TemporaryDirectory(prefix="ims-export-") as tmp:
        folder = Path(tmp)
        if fmt == "gpkg":
            path = folder / name
            pyogrio.write_dataframe(frame, path, layer=LAYER, driver="GPKG", promote_to_multi=True)
            return ExportFile(path.read_bytes(), media, name)
        if fmt == "kml":
            path = folder / name
            kml = frame.rename(columns={"hazard_id": "Name"})
            pyogrio.write_dataframe(kml, path, layer=LAYER, driver="KML")
            return ExportFile(path.read_bytes(), media, name)
        if fmt == "zip":
            names = shapefile_names([*COLUMNS, *extra])
            shp = folder / "shp"
            shp.mkdir()
            pyogrio.write_dataframe(
                frame.rename(columns=names),
                shp / f"{LAYER}.shp",
                layer=LAYER,
                driver="ESRI Shapefile",
                promote_to_multi=True,
                encoding="UTF-8",
            )
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for part in sorted(shp.iterdir()):
                    zf.write(part, part.name)
                zf.writestr(
                    "fields.csv",
                    csv_text([("shapefile", "name"), *((v, k) for k, v in names.items())]),
                )
            return ExportFile(buf.getvalue(), media, name)
    raise ValueError(f"unknown format {fmt!r}")
