"""Writing a generated data set as the files an operator would upload.

GeoPackages, or zipped shapefiles with a .prj and a .cpg declaring UTF-8; dates are ISO
8601 text in both (docs/design.md §6).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pyogrio

from ims.sample.tables import SampleData
from ims.words import noun


def write(data: SampleData, out_dir: Path, *, formats: Sequence[str] = ("gpkg",)) -> list[Path]:
    """Write hazards and releases to `out_dir` in each format; return the files written.

    `"gpkg"` writes `hazards.gpkg` and `releases.gpkg` (layers `hazards` and `releases`,
    geometry type MultiPolygon); `"shp"` writes `hazards.zip` and `releases.zip`, zipped
    shapefiles with `.prj` and a `.cpg` that declares UTF-8. Dates are ISO 8601 strings in
    both. Existing files are replaced.
    """
    unknown = [f for f in formats if f not in ("gpkg", "shp")]
    if unknown:
        raise ValueError(
            f"unknown {noun(len(unknown), 'format')} {', '.join(unknown)}: use gpkg or shp"
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in formats:
        for name, frame in (("hazards", data.hazards), ("releases", data.releases)):
            if fmt == "gpkg":
                written.append(_write_gpkg(frame, out_dir / f"{name}.gpkg", name))
            else:
                written.append(write_zipped_shapefile(frame, out_dir / f"{name}.zip", name))
    return written


def _write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str) -> Path:
    """Write one frame as a single-layer GeoPackage, replacing the file."""
    path.unlink(missing_ok=True)
    pyogrio.write_dataframe(
        frame, path, layer=layer, driver="GPKG", promote_to_multi=True, geometry_type="MultiPolygon"
    )
    return path


def write_zipped_shapefile(frame: gpd.GeoDataFrame, path: Path, name: str) -> Path:
    """Write one frame as a UTF-8 shapefile and zip its parts flat into `path`."""
    with tempfile.TemporaryDirectory(prefix="ims-sample-") as tmp:
        shp = Path(tmp) / f"{name}.shp"
        pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="UTF-8")
        cpg = shp.with_suffix(".cpg")
        if not cpg.exists():  # GDAL writes it for UTF-8; make sure whatever the version
            cpg.write_text("UTF-8", encoding="ascii")
        parts = sorted(p for p in Path(tmp).iterdir() if p.stem == name)
        path.unlink(missing_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for part in parts:
                archive.write(part, arcname=part.name)
    return path
