"""The blank exchange template (docs/design.md §6) as a zipped shapefile, a GeoPackage or a CSV
table (its polygons as WKT).

Its fields, their order and types are those of the table in ``fields``.
"""

from __future__ import annotations

import csv
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Final

import geopandas as gpd
import pandas as pd
import pyogrio

from ims.errors import NotFound
from ims.ingest.fields import TEMPLATES, FieldType

# Field types as operators' GIS should create them; dates are ISO 8601 text (YYYY-MM-DD)
# so that shapefiles, which have no reliable date type, keep them exactly.
_DTYPES = {FieldType.YEAR: "int32", FieldType.NUMBER: "float64"}  # every other type: text
FORMATS = ("zip", "gpkg", "csv")
# GeoPackage 1.2, which every reader of the last years reads: GDAL wrote 1.4, and GDAL 3.6
# (Debian 12's, and its QGIS) warned that such a file "may only be partially supported"
# (reviews as a GIS officer: the register's files, then the templates); ims's files use
# nothing of 1.3 or 1.4.
GPKG_OPTIONS: Final = {"VERSION": "1.2"}


def empty_template(kind: str) -> gpd.GeoDataFrame:
    """An empty frame with the template's fields, MultiPolygon geometry in EPSG:4326."""
    if kind not in TEMPLATES:
        raise NotFound(f"no template for {kind!r}: use hazards or releases")
    columns = {f.name: pd.Series(dtype=_DTYPES.get(f.type, "str")) for f in TEMPLATES[kind]}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=4326), crs=4326)


def template_bytes(kind: str, fmt: str) -> tuple[bytes, str]:
    """The template file's bytes and its file name."""
    if fmt not in FORMATS:
        raise NotFound(f"no template format {fmt!r}: use zip (shapefile), gpkg or csv")
    frame = empty_template(kind)
    if fmt == "csv":
        # for a spreadsheet: the fields as a header, each polygon in a column wkt (a data
        # manager with Excel had no template but the GIS files: a new user's review)
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(
            [*frame.columns.drop(frame.geometry.name), "wkt"]
        )
        return header.getvalue().encode("utf-8"), f"ims_{kind}.csv"
    with tempfile.TemporaryDirectory(prefix="ims-template-") as tmp:
        folder = Path(tmp)
        if fmt == "gpkg":
            path = folder / f"ims_{kind}.gpkg"
            pyogrio.write_dataframe(
                frame,
                path,
                layer=kind,
                driver="GPKG",
                geometry_type="MultiPolygon",
                dataset_options=GPKG_OPTIONS,
            )
            return path.read_bytes(), path.name
        path = folder / f"{kind}.shp"
        pyogrio.write_dataframe(
            frame, path, driver="ESRI Shapefile", encoding="UTF-8", geometry_type="MultiPolygon"
        )
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(folder.iterdir()):
                zf.write(part, part.name)
        return buf.getvalue(), f"ims_{kind}.zip"
