"""A CRS never makes ims read a file of the server's (ims.ingest.crs).

An attack on our own instance stated the CRS ``+nadgrids=/proc/self/fd/17`` on the upload
form: PROJ read the grid from a pipe every upload worker holds and blocked the worker until
the job's timeout; two such requests stopped every upload. A file's own CRS can name a file
as well: a .prj's ``EXTENSION["PROJ4", …]``, a GeoPackage's WKT2 ``PARAMETERFILE`` or a
remark "PROJ CRS string: …". Each is refused before PROJ or GDAL opens the file it names;
here the file is a FIFO that nothing ever writes until a watchdog does, so that a reader
that opened it is seen (and the test ends either way).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS
from shapely.geometry import box

from ims.errors import InvalidUpload
from ims.ingest.boundaries import read_boundaries
from ims.ingest.crs import checked_crs, file_named, refuse_file_named, stated_crs, to_wgs84
from ims.ingest.reader import read_upload
from tests.ingest.test_reader import hazards_frame, write_shp, zip_shapefile

WGS84_WKT1 = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]'
)
WGS84_WKT2 = (
    'GEOGCRS["WGS 84",DATUM["World Geodetic System 1984",ELLIPSOID["WGS 84",6378137,'
    '298.257223563]],CS[ellipsoidal,2],AXIS["lat",north],AXIS["lon",east],'
    'ANGLEUNIT["degree",0.0174532925199433]'
)


# Opens the FIFO to write whenever something has it open to read (an open without a reader
# fails), notes it, and closes it: the reader sees the end of the file and goes on. A
# process of its own: a thread would wait for the GIL that PROJ holds while it reads.
_WATCHDOG = """
import os, sys, time
fifo, seen = sys.argv[1], sys.argv[2]
while True:
    try:
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        time.sleep(0.05)
        continue
    open(seen, "w").close()
    os.close(fd)
"""


class Pipe:
    """A FIFO that records whether anything opened it to read, unblocked if so."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self._seen = path.with_name("opened")
        self._watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG, path, self._seen])

    @property
    def opened(self) -> bool:
        return self._seen.exists()

    def close(self) -> None:
        self._watchdog.kill()
        self._watchdog.wait()


@pytest.fixture
def pipe(tmp_path: Path) -> Iterator[Pipe]:
    fifo = Pipe(tmp_path / "fd17")
    yield fifo
    fifo.close()


def refused_quickly(upload: Path, workdir: Path, pipe: Pipe, fragment: str, **kw: str) -> str:
    started = time.monotonic()
    with pytest.raises(InvalidUpload) as caught:
        read_upload(upload, workdir, **kw)
    assert time.monotonic() - started < 10
    assert not pipe.opened, "PROJ or GDAL opened the file the CRS named"
    assert fragment in caught.value.detail, caught.value.detail
    assert str(workdir) not in caught.value.detail  # where the server unpacked the upload
    return caught.value.detail


def geopackage_with_crs(path: Path, definition: str, column: str = "definition") -> Path:
    hazards_frame(1).to_file(path, driver="GPKG")
    with sqlite3.connect(path) as db:
        values = {"definition": definition}
        if column != "definition":  # the WKT2 extension's column; WKT1's says "undefined"
            db.execute(f"ALTER TABLE gpkg_spatial_ref_sys ADD COLUMN {column} TEXT")
            values = {"definition": "undefined", column: definition}
        db.execute(
            "INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, "
            f"organization_coordsys_id, {', '.join(values)}) "
            f"VALUES ('x', 99999, 'NONE', 99999, {', '.join('?' * len(values))})",
            tuple(values.values()),
        )
        db.execute("UPDATE gpkg_geometry_columns SET srs_id = 99999")
        db.execute("UPDATE gpkg_contents SET srs_id = 99999")
    return path


def test_a_stated_crs_is_a_code_never_a_proj_string_naming_a_file(
    tmp_path: Path, pipe: Pipe
) -> None:
    shp = write_shp(hazards_frame(1), tmp_path / "src", prj=False)
    upload = zip_shapefile(shp, tmp_path / "hazards.zip")
    for stated in (
        f"+proj=longlat +ellps=WGS84 +nadgrids={pipe.path} +no_defs",
        f"+init={pipe.path}:x",
        f'{WGS84_WKT1},EXTENSION["PROJ4","+proj=longlat +nadgrids={pipe.path}"]]',
        "+proj=longlat +datum=WGS84",  # no file, but a code is what the form asks for
    ):
        detail = refused_quickly(upload, tmp_path / "w", pipe, "is not a code", crs=stated)
        assert "EPSG:32648" in detail
    read = read_upload(upload, tmp_path / "ok", crs="EPSG:4326")
    assert read.source_crs == "EPSG:4326" and len(read.frame) == 1
    assert stated_crs(" urn:ogc:def:crs:EPSG::32648 ").to_epsg() == 32648
    assert stated_crs("OGC:CRS84").name == "WGS 84 (CRS84)"


def test_a_stated_crs_is_one_of_a_maps_coordinates() -> None:
    """helper-109: EPSG:4807, in grads, put a file in degrees 6° off without a word, and a
    geocentric or a vertical CRS failed later, feature by feature. A stated CRS is one in
    degrees or a projection's, as the upload page and a mapping's crs take it."""
    for code, said in (
        ("EPSG:4807", "measures its angles in grad, not degrees"),
        ("EPSG:4978", "is not one of a map's coordinates"),
        ("EPSG:5773", "is not one of a map's coordinates"),
    ):
        with pytest.raises(InvalidUpload, match=said):
            stated_crs(code)
    for code in ("EPSG:4326", "EPSG:32648", "EPSG:3857", "EPSG:2263", "OGC:CRS84"):
        assert stated_crs(code).name


def test_a_prj_whose_proj4_extension_names_a_grid_is_refused_before_gdal(
    tmp_path: Path, pipe: Pipe
) -> None:
    for n, proj4 in enumerate(
        (
            f"+proj=longlat +ellps=WGS84 +nadgrids={pipe.path} +no_defs",
            f"+init={pipe.path}:x",
            f"+proj=pipeline +step +proj=hgridshift +grids={pipe.path}",
        )
    ):
        shp = write_shp(hazards_frame(1), tmp_path / f"src{n}")
        shp.with_suffix(".prj").write_text(f'{WGS84_WKT1},EXTENSION["PROJ4","{proj4}"]]')
        upload = zip_shapefile(shp, tmp_path / f"hazards{n}.zip")
        detail = refused_quickly(upload, tmp_path / f"w{n}", pipe, "names a file for PROJ")
        assert "hazards.shp's .prj" in detail


def test_a_prj_padded_past_what_is_checked_is_refused(tmp_path: Path, pipe: Pipe) -> None:
    shp = write_shp(hazards_frame(1), tmp_path / "src")
    padding = " " * 70_000  # GDAL reads the whole .prj: a check of its head alone is not enough
    proj4 = f"+proj=longlat +nadgrids={pipe.path}"
    shp.with_suffix(".prj").write_text(f'{WGS84_WKT1},{padding}EXTENSION["PROJ4","{proj4}"]]')
    upload = zip_shapefile(shp, tmp_path / "hazards.zip")
    refused_quickly(upload, tmp_path / "w", pipe, "not a CRS definition")


@pytest.mark.parametrize("column", ["definition", "definition_12_063"])
def test_a_geopackage_whose_crs_names_a_file_is_refused_before_gdal_opens_it(
    tmp_path: Path, pipe: Pipe, column: str
) -> None:
    definitions = [
        # WKT2: a bound CRS whose transformation is a grid file (GDAL blocked on opening it)
        f'BOUNDCRS[SOURCECRS[{WGS84_WKT2}]],TARGETCRS[{WGS84_WKT2},ID["EPSG",4326]]],'
        'ABRIDGEDTRANSFORMATION["t",METHOD["NTv2",ID["EPSG",9615]],'
        f'PARAMETERFILE["Latitude and longitude difference file","{pipe.path}"]]]',
        # WKT2 with a remark PROJ takes as the CRS's PROJ string
        f'{WGS84_WKT2},REMARK["PROJ CRS string: +proj=longlat +nadgrids={pipe.path}"]]',
        f'{WGS84_WKT1},EXTENSION["PROJ4","+init={pipe.path}:x"]]',
        # a method that is a PROJ string, its values quoted (a second attack: the quotes
        # had hidden the operation, and the file was named by a key the check did not know)
        f'BOUNDCRS[SOURCECRS[{WGS84_WKT2}]],TARGETCRS[{WGS84_WKT2},ID["EPSG",4326]]],'
        'ABRIDGEDTRANSFORMATION["t",METHOD["PROJ-based operation method: '
        f'+proj=""defmodel"" +model={pipe.path}"]]]',
        # the null grid, then the file (helper-131: the value had been read to the "]" or
        # "\\", and PROJ splits it at the comma and opens the rest)
        f'{WGS84_WKT2},REMARK["+proj=longlat +nadgrids=@null],{pipe.path}"]]',
        f'{WGS84_WKT2},REMARK["+proj=longlat +geoidgrids=@null\\,{pipe.path}"]]',
    ]
    for n, definition in enumerate(definitions):
        upload = geopackage_with_crs(tmp_path / f"h{n}.gpkg", definition, column)
        detail = refused_quickly(upload, tmp_path / f"w{n}", pipe, "names a file for PROJ")
        assert f"h{n}.gpkg (its CRS 99999)" in detail


def test_a_boundary_file_whose_crs_names_a_file_is_refused_before_gdal_opens_it(
    tmp_path: Path, pipe: Pipe
) -> None:
    # a bound CRS with a grid file: GDAL reads the grid as it opens the layer
    definition = (
        f'BOUNDCRS[SOURCECRS[{WGS84_WKT2}]],TARGETCRS[{WGS84_WKT2},ID["EPSG",4326]]],'
        'ABRIDGEDTRANSFORMATION["t",METHOD["NTv2",ID["EPSG",9615]],'
        f'PARAMETERFILE["Latitude and longitude difference file","{pipe.path}"]]]'
    )
    boundaries = geopackage_with_crs(tmp_path / "provinces.gpkg", definition)
    started = time.monotonic()
    with pytest.raises(InvalidUpload, match="names a file for PROJ to read"):
        read_boundaries(boundaries)
    assert time.monotonic() - started < 10 and not pipe.opened


def test_crs_definitions_desktop_gis_write_are_read(tmp_path: Path) -> None:
    # GDAL's WKT1 for Web Mercator carries "+nadgrids=@null" (PROJ's built-in, no file),
    # and an old .prj a +towgs84
    original = hazards_frame(1)
    mercator = write_shp(original.to_crs(3857), tmp_path / "merc")
    mercator.with_suffix(".prj").write_text(CRS.from_epsg(3857).to_wkt("WKT1_GDAL"))
    assert "+nadgrids=@null" in mercator.with_suffix(".prj").read_text()
    towgs84 = "+proj=utm +zone=48 +ellps=WGS84 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
    utm = write_shp(original.to_crs(32648), tmp_path / "utm")
    utm_wkt = CRS.from_epsg(32648).to_wkt("WKT1_GDAL")
    utm.with_suffix(".prj").write_text(f'{utm_wkt[:-1]},EXTENSION["PROJ4","{towgs84}"]]')
    gpkg = tmp_path / "utm.gpkg"
    original.to_crs(32648).to_file(gpkg, driver="GPKG")
    for n, upload in enumerate(
        (zip_shapefile(mercator, tmp_path / "m.zip"), zip_shapefile(utm, tmp_path / "u.zip"), gpkg)
    ):
        read = read_upload(upload, tmp_path / f"w{n}")
        assert shapely.equals_exact(
            shapely.normalize(read.frame.geometry.iloc[0]),
            shapely.normalize(original.geometry.iloc[0]),
            tolerance=1e-7,
        )


def test_what_names_a_file_in_a_crs_definition() -> None:
    assert file_named("+proj=merc +a=6378137 +nadgrids=@null +wktext") is None
    assert file_named("+proj=utm +zone=48 +towgs84=1,2,3") is None
    assert file_named(CRS.from_epsg(32648).to_json()) is None
    assert file_named("+proj=longlat +nadgrids=@null,/x/y.gsb") == "+nadgrids=@null,/x/y.gsb"
    assert file_named("+nadgrids=@null],/x.gsb") == "+nadgrids=@null],/x.gsb"
    assert file_named("+geoidgrids=@null\\,/x.gtx") == "+geoidgrids=@null\\,/x.gtx"
    assert file_named('EXTENSION["PROJ4","+proj=merc +nadgrids=@null"]') is None
    assert file_named('{"a": "+proj=merc +nadgrids=@null", "b": 1}') is None
    assert file_named("+geoidgrids=egm96_15.gtx") == "+geoidgrids=egm96_15.gtx"
    assert file_named("+ PROJ=Pipeline +step +proj=axisswap") == "+proj=Pipeline"
    assert file_named("+proj=tinshift +file=/x.json") == "+proj=tinshift"
    assert file_named('PARAMETERFILE["f","g"]') == "a PARAMETERFILE"
    assert file_named('+proj=""defmodel"" +model=/x.json') == "+proj=defmodel"
    assert file_named('{"remarks": "+proj=\\"tinshift\\" +x=\\"/y\\""}') == "+proj=tinshift"
    assert file_named("+proj=longlat +whatever=/etc/x") == "+whatever=/etc/x"
    bound_wkt2 = (
        f'BOUNDCRS[SOURCECRS[{WGS84_WKT2}]],TARGETCRS[{WGS84_WKT2},ID["EPSG",4326]]],'
        'ABRIDGEDTRANSFORMATION["t",METHOD["NTv2",ID["EPSG",9615]],'
        'PARAMETERFILE["Latitude and longitude difference file","/x.gsb"]]]'
    )
    document = CRS.from_wkt(bound_wkt2).to_json_dict()  # the grid: a parameter's value alone
    assert file_named(json.dumps(document)) is None
    with pytest.raises(InvalidUpload, match=r"the file '/x\.gsb'"):
        refuse_file_named(json.dumps(document), "here")
    bound = CRS.from_user_input("+proj=longlat +ellps=WGS84 +nadgrids=/x.gsb +type=crs")
    with pytest.raises(InvalidUpload, match="names a file for PROJ"):
        checked_crs(bound, "here")
    assert checked_crs(CRS.from_epsg(32648), "here").to_epsg() == 32648


def test_a_crs_proj_cannot_transform_is_a_clear_error_naming_no_path() -> None:
    # what refusing a named file keeps from happening, should PROJ fail another way: a
    # grid PROJ does not have (PROJ's message names it and where it looked)
    missing = "+proj=longlat +ellps=WGS84 +nadgrids=no-such-grid.gsb +type=crs"
    frame = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=missing)
    with pytest.raises(InvalidUpload) as caught:
        to_wgs84(frame, "layer.gpkg", "a CRS of its own")
    detail = caught.value.detail
    assert detail.startswith("layer.gpkg cannot be reprojected from a CRS of its own to WGS 84")
    assert "no-such-grid" not in detail and "EPSG:32648" in detail
