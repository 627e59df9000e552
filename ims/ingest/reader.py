"""Turn an uploaded file (zipped shapefile, GeoPackage, GeoJSON, KML) into a clean GeoDataFrame.

    unpack()       check the upload and, for a zip, extract it safely (zip bombs, zip slip, links)
    list_layers()  the vector layers in an extracted directory or a single file
    choose_layer() the layer to import: by name, by kind, or the only one
    read_upload()  all of it: the chosen layer in EPSG:4326, 2-D, attributes decoded correctly

Every problem a person can fix is raised as ``InvalidUpload`` naming the file, the entry or the
layer. Geometries are not repaired and rows are never dropped: validation reports them later.

Nothing in an upload may cost more than its size: layers are listed once (never opened one by
one), only the chosen layer is opened, and the limits on layers, features and vertices
(``UploadLimits``) are checked before the work they would multiply. A GeoPackage is a SQLite
database that could hold SQL to run: its structure is read with SQLite itself first (which
runs nothing), SQL views and computed columns are refused, and GDAL opens it listing only
its registered layers, with the options below.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import logging
import os
import re
import shutil
import sqlite3
import stat
import struct
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from ims.config import Settings, get_settings
from ims.errors import InvalidUpload, UploadTooLarge

logger = logging.getLogger(__name__)

ACCEPTED = (
    "a zipped shapefile (.zip holding .shp, .shx, .dbf and .prj), "
    "a GeoPackage (.gpkg), GeoJSON (.geojson) or KML (.kml)"
)

# a zip begins with a local file header, or, when empty, with its end record
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SHP_FILE_CODE = 9994

# Entries this small cannot be a bomb on their own (and the overall limit still bounds them),
# while tiny files such as a .cpg or a blank-padded .dbf can compress far beyond any ratio.
_RATIO_FLOOR_BYTES = 1 << 20
_CHUNK = 1 << 20

# Files that archivers add and that are never data (macOS resource forks, Windows thumbnails).
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}

# Well-known non-spatial formats, so the error says what the file is.
_NOT_SPATIAL = {
    ".csv": "a CSV table",
    ".txt": "a text file",
    ".xls": "an Excel workbook",
    ".xlsx": "an Excel workbook",
    ".ods": "a spreadsheet",
    ".doc": "a Word document",
    ".docx": "a Word document",
    ".odt": "a text document",
    ".pdf": "a PDF document",
    ".png": "an image",
    ".jpg": "an image",
    ".jpeg": "an image",
    ".tif": "a raster image",
    ".tiff": "a raster image",
}
_SHAPEFILE_SIDECARS = {".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx", ".qix", ".qmd"}

_DRIVERS = {
    "ESRI Shapefile": "ESRI Shapefile",
    "GPKG": "GPKG",
    "GeoJSON": "GeoJSON",
    "GeoJSONSeq": "GeoJSON",
    "KML": "KML",
    "LIBKML": "KML",
}

# What GDAL may do when it opens an uploaded GeoPackage (it is read-only, so triggers never
# fire). Listing a GeoPackage's layers makes GDAL prepare a statement over every table and
# view, which runs a view's SQL: LIST_ALL_TABLES=NO keeps it to the registered layers (and
# ims lists those itself, with SQLite, and opens only the chosen one). The configuration
# options keep SQL functions and virtual tables from reaching other files or URLs, load no
# SQLite extension and run no extra PRAGMA (these can only be set by whoever runs ims, but
# an upload is never the place for them).
_GPKG_OPEN_OPTIONS = {"LIST_ALL_TABLES": "NO"}
_GDAL_CONFIG: dict[str, str | None] = {
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "ALLOW_VIRTUAL_OGR_FROM_TRIGGER_AND_VIEW": "NO",
    "OGR_SQLITE_LIST_VIRTUAL_OGR": "NO",
    "OGR_SQLITE_LOAD_EXTENSIONS": None,
    "OGR_SQLITE_PRAGMA": None,
    "OGR_GPKG_FOREIGN_KEY_CHECK": "NO",  # a check over every table, not needed to read one
}
pyogrio.set_gdal_config_options(_GDAL_CONFIG)
_GPKG_SIDECARS = ("-wal", "-journal", "-shm")  # a database still being written
_INSPECT_S = 5.0  # reading a GeoPackage's structure with SQLite takes milliseconds
_LAYER_SUFFIXES = {".shp", ".gpkg", ".kml", ".kmz", ".geojson"}  # .json: often metadata

# dBASE language driver ids (byte 29 of the .dbf header) and the code page each declares,
# for recording which encoding GDAL used. 0x57 is missing on purpose: see _shapefile_encoding.
_LDID_CODEPAGES = {
    0x01: "CP437",
    0x02: "CP850",
    0x03: "CP1252",
    0x4D: "CP936",
    0x4E: "CP949",
    0x4F: "CP950",
    0x50: "CP874",
    0x58: "CP1252",
    0x59: "CP1252",
    0x64: "CP852",
    0x65: "CP866",
    0x7A: "CP936",
    0x7B: "CP932",
    0x7C: "CP874",
    0x7D: "CP1255",
    0x7E: "CP1256",
    0xC8: "CP1250",
    0xC9: "CP1251",
    0xCA: "CP1254",
    0xCB: "CP1253",
    0xCC: "CP1257",
}
_LDID_ANSI = 0x57  # "ANSI": whatever Windows code page the writer had, i.e. not a declaration

_THAI_RUN = re.compile("[\u0e01-\u0e5b]{2,}")
_LATIN_ACCENTED = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ffŠšŒœŽžŸƒ]")

# LIBKML adds these KML bookkeeping fields to every layer; they are dropped when they carry
# nothing so that the frame holds the file's own attributes.
_KML_BOOKKEEPING: dict[str, Any] = {
    "id": None,
    "description": None,
    "timestamp": None,
    "begin": None,
    "end": None,
    "altitudeMode": None,
    "tessellate": -1,
    "extrude": 0,
    "visibility": -1,
    "drawOrder": None,
    "icon": None,
    "snippet": None,
}


def _undefined_bytes(encoding: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which byte values the single-byte ``encoding`` has no character for."""
    undefined = np.zeros(256, dtype=bool)
    for value in range(256):
        try:
            bytes([value]).decode(encoding)
        except UnicodeDecodeError:
            undefined[value] = True
    return undefined


_UNDEFINED = {"CP874": _undefined_bytes("cp874"), "CP1252": _undefined_bytes("cp1252")}


@dataclass(frozen=True)
class UploadLimits:
    """Size limits that protect the server from oversized and hostile uploads."""

    max_bytes: int = 200 * 1024 * 1024  # the uploaded file itself
    max_uncompressed_bytes: int = 2 * 1024**3  # total of a zip's entries
    max_ratio: float = 200.0  # uncompressed/compressed of any entry and overall (zip bombs)
    max_entries: int = 2000
    max_layers: int = 50  # layers and tables of every file in the upload together
    max_features: int = 500_000  # in the chosen layer
    max_vertices_per_feature: int = 100_000
    max_vertices: int = 20_000_000  # of the chosen layer's features together

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> UploadLimits:
        """The limits configured with ``IMS_UPLOAD_MAX_…``."""
        settings = settings or get_settings()
        return cls(
            max_bytes=settings.upload_max_bytes,
            max_layers=settings.upload_max_layers,
            max_features=settings.upload_max_features,
            max_vertices_per_feature=settings.upload_max_vertices_per_feature,
            max_vertices=settings.upload_max_vertices,
        )


@dataclass(frozen=True)
class LayerInfo:
    """One vector layer found in an upload."""

    name: str  # layer name (shapefile stem, gpkg layer name, …)
    path: Path  # what to hand to pyogrio
    layer: str | None  # pyogrio layer argument (gpkg/kml), None for single-layer sources
    driver: str  # "ESRI Shapefile", "GPKG", "GeoJSON", "KML"
    feature_count: int | None = None  # known once the layer is opened (the chosen one only)


@dataclass
class ReadResult:
    """A layer read from an upload, in EPSG:4326, with what was done to it on the way."""

    frame: gpd.GeoDataFrame  # EPSG:4326, 2-D, original attribute columns, 0-based RangeIndex
    layer: str
    source_crs: str  # e.g. "EPSG:32648" or the WKT name if no EPSG code
    crs_was_stated: bool  # the file had no CRS and the caller's `crs` was used
    encoding: str | None  # the attribute encoding used (shapefiles), e.g. "UTF-8", "CP874"
    dropped_z: bool  # Z/M values were present and dropped
    warnings: list[str] = field(default_factory=list)  # human sentences


# --------------------------------------------------------------------------------------------
# unpack


def unpack(upload: Path, workdir: Path, *, limits: UploadLimits = UploadLimits()) -> Path:
    """Check the upload and, for a .zip, extract it safely into workdir; return the directory or file to look for layers in."""  # noqa: E501
    name = upload.name
    if not upload.is_file():
        raise InvalidUpload(f"{name}: the uploaded file was not found")
    size = upload.stat().st_size
    if size > limits.max_bytes:
        raise InvalidUpload(
            f"{name} is {_megabytes(size)}; the upload limit is {_megabytes(limits.max_bytes)}"
        )
    if size == 0:
        raise InvalidUpload(f"{name} is empty (0 bytes): upload it again")
    with upload.open("rb") as fh:
        head = fh.read(4096)
    kind = _sniff(name, head)
    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "zip":
        return _extract_zip(upload, workdir, limits)
    return _readable_file(upload, kind, workdir)


def _megabytes(size: int | float) -> str:
    """A size in the unit a person would use for it."""
    if size < 1e3:
        return f"{size:,.0f} bytes"
    if size < 1e6:
        return f"{size / 1e3:,.0f} KB"
    return f"{size / 1e6:,.1f} MB" if size < 10e6 else f"{size / 1e6:,.0f} MB"


def _sniff(name: str, head: bytes) -> str:
    """The kind of file by its content first, then its extension; raise for anything else."""
    ext = Path(name).suffix.lower()
    if ext in _NOT_SPATIAL:
        # checked before the content because .xlsx and .docx are zips too
        raise InvalidUpload(
            f"{name} is {_NOT_SPATIAL[ext]}, not a map layer: ims accepts {ACCEPTED}"
        )
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if ext in (".zip", ".kmz"):
        raise InvalidUpload(
            f"{name} is not a valid zip archive (it does not begin like one): it may be damaged "
            "or only partly uploaded"
        )
    if head.startswith(_SQLITE_MAGIC):
        return "gpkg"
    if ext == ".gpkg":
        raise InvalidUpload(f"{name} is not a GeoPackage: it does not begin with a SQLite header")
    if ext == ".shp" or (len(head) >= 4 and struct.unpack(">i", head[:4])[0] == _SHP_FILE_CODE):
        return "shp"
    if ext in _SHAPEFILE_SIDECARS:
        raise InvalidUpload(
            f"{name} is only one part of a shapefile: zip the .shp, .shx, .dbf and .prj "
            "together and upload the zip"
        )
    if ext in (".geojson", ".json"):
        return "geojson"
    if ext == ".kml":
        return "kml"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"{") and b'"type"' in head:
        return "geojson"
    if text.startswith(b"<") and b"<kml" in head:
        return "kml"
    if head.startswith(b"%PDF"):
        raise InvalidUpload(f"{name} is a PDF document, not a map layer: ims accepts {ACCEPTED}")
    raise InvalidUpload(f"{name} is not a file ims can read: ims accepts {ACCEPTED}")


_SUFFIX = {"gpkg": ".gpkg", "shp": ".shp", "geojson": ".geojson", "kml": ".kml"}
_SAFE_CHARS = re.compile(r"[!;:\\\x00-\x1f\x7f]")


def _safe_for_gdal(path: Path) -> bool:
    """Whether pyogrio opens ``path`` as the plain local file it is.

    pyogrio parses paths as URIs: "!" starts an archive member, ";" is cut off as URL
    parameters and a name ending in .zip is opened as a zip.
    """
    text = str(path)
    return not _SAFE_CHARS.search(path.name) and "!" not in text and ";" not in text


def _readable_file(upload: Path, kind: str, workdir: Path) -> Path:
    """The upload itself, or a link to it in workdir named so that GDAL recognises it."""
    suffix = upload.suffix.lower()
    right_suffix = suffix == _SUFFIX[kind] or (kind == "geojson" and suffix == ".json")
    if right_suffix and _safe_for_gdal(upload):
        return upload
    stem = _safe_component(upload.stem) or "upload"
    if kind != "shp":
        return _link(upload, workdir / f"{stem}{_SUFFIX[kind]}")
    # a shapefile's parts must keep one stem side by side
    target = workdir / f"{stem}.shp"
    _link(upload, target)
    for sibling in upload.parent.iterdir():
        ext = sibling.suffix.lower()
        if sibling.stem.lower() == upload.stem.lower() and ext in _SHAPEFILE_SIDECARS:
            _link(sibling, workdir / f"{stem}{ext}")
    return target


def _link(source: Path, target: Path) -> Path:
    """Make ``target`` a symbolic link to ``source`` (a copy where links are not allowed)."""
    target.unlink(missing_ok=True)
    try:
        target.symlink_to(source.resolve())
    except OSError:
        shutil.copyfile(source, target)
    return target


def _safe_component(part: str) -> str:
    """One path component with the characters that confuse GDAL's path parsing replaced."""
    cleaned = _SAFE_CHARS.sub("_", part).strip()
    return "_" if cleaned in ("", ".", "..") else cleaned


def member_parts(zip_name: str, entry: str) -> list[str]:
    """The path components of a zip entry, or InvalidUpload if it points outside the zip."""
    raw = entry.replace("\\", "/")
    hostile = (
        raw.startswith("/")
        or re.match(r"^[A-Za-z]:", raw) is not None
        or "\x00" in raw
        or any(part == ".." for part in raw.split("/"))
    )
    if hostile:
        raise InvalidUpload(
            f"{zip_name} holds an entry with an unsafe path ({entry!r}) that points outside "
            "the zip: ims refuses the whole file; zip the layer's files again from their folder"
        )
    return [part for part in raw.split("/") if part not in ("", ".")]


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _is_junk(parts: list[str]) -> bool:
    base = parts[-1].lower()
    return parts[0] == "__MACOSX" or base.startswith("._") or base in _JUNK_NAMES


def _check_entries(zip_name: str, infos: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    """Refuse a hostile or empty zip before anything is written, from its declared sizes."""
    if len(infos) > limits.max_entries:
        raise InvalidUpload(
            f"{zip_name} holds {len(infos):,} entries; the limit is {limits.max_entries:,}"
        )
    files = [info for info in infos if not info.is_dir()]
    if not files:
        raise InvalidUpload(f"{zip_name} is empty: the zip holds no files")
    for info in infos:
        member_parts(zip_name, info.filename)
        if _is_symlink(info):
            raise InvalidUpload(
                f"{zip_name}: entry {info.filename!r} is a symbolic link; ims refuses zips "
                "that contain links"
            )
        if info.flag_bits & 0x1:
            raise InvalidUpload(
                f"{zip_name}: entry {info.filename!r} is password-protected; upload a zip "
                "without a password"
            )
    total = sum(info.file_size for info in files)
    if total > limits.max_uncompressed_bytes:
        raise InvalidUpload(
            f"{zip_name} would expand to {_megabytes(total)}; the limit is "
            f"{_megabytes(limits.max_uncompressed_bytes)}"
        )
    for info in files:
        _check_ratio(zip_name, f"entry {info.filename!r}", info.file_size, info.compress_size,
                     limits)  # fmt: skip
    compressed = sum(info.compress_size for info in files)
    _check_ratio(zip_name, "the zip as a whole", total, compressed, limits)


def _check_ratio(
    zip_name: str, what: str, size: int, compressed: int, limits: UploadLimits
) -> None:
    if size > _RATIO_FLOOR_BYTES and size > limits.max_ratio * max(compressed, 1):
        ratio = size / max(compressed, 1)
        raise InvalidUpload(
            f"{zip_name}: {what} expands {ratio:,.0f}-fold (to {_megabytes(size)}); ims refuses "
            f"more than {limits.max_ratio:,.0f}-fold as a possible zip bomb"
        )


def _fresh_dir(workdir: Path, name: str) -> Path:
    """A new directory in workdir named after the upload, so messages read like zip paths."""
    base = _safe_component(name)
    for n in range(1000):
        candidate = workdir / (base if n == 0 else f"{base}-{n}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise InvalidUpload(f"{name}: cannot make a working folder for it")  # pragma: no cover


def _extract_zip(upload: Path, workdir: Path, limits: UploadLimits) -> Path:
    name = upload.name
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidUpload(
            f"{name} is not a readable zip archive ({exc}): it may be damaged or only partly "
            "uploaded"
        ) from None
    with archive:
        infos = archive.infolist()
        _check_entries(name, infos, limits)
        root = _fresh_dir(workdir, name)
        try:
            _extract_entries(archive, infos, root, name, limits)
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
    _match_shapefile_stems(root)
    logger.debug("extracted %s (%d entries) into %s", name, len(infos), root)
    return root


def _extract_entries(
    archive: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    root: Path,
    name: str,
    limits: UploadLimits,
) -> None:
    """Write the entries under root, counting the bytes really written (headers can lie)."""
    real_root = root.resolve()
    total = 0
    for info in infos:
        parts = member_parts(name, info.filename)
        if not parts or _is_junk(parts):
            continue
        target = root.joinpath(*(_safe_component(part) for part in parts))
        if not target.resolve().is_relative_to(real_root):
            raise InvalidUpload(f"{name}: entry {info.filename!r} points outside the zip")
        try:
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            ratio_cap = max(_RATIO_FLOOR_BYTES, limits.max_ratio * max(info.compress_size, 1))
            written = 0
            with archive.open(info) as src, target.open("xb") as out:
                while chunk := src.read(_CHUNK):
                    written += len(chunk)
                    total += len(chunk)
                    if written > info.file_size or written > ratio_cap:
                        raise InvalidUpload(
                            f"{name}: entry {info.filename!r} expands beyond what its header "
                            "declares: ims refuses it as a possible zip bomb"
                        )
                    if total > limits.max_uncompressed_bytes:
                        raise InvalidUpload(
                            f"{name} expands beyond {_megabytes(limits.max_uncompressed_bytes)}"
                            ": ims refuses it as a possible zip bomb"
                        )
                    out.write(chunk)
        except FileExistsError:
            raise InvalidUpload(
                f"{name} holds {info.filename!r} twice (or two names that differ only in "
                "characters ims replaces): zip the files again"
            ) from None
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise InvalidUpload(
                f"{name}: entry {info.filename!r} cannot be extracted: its data does not "
                f"match its header ({exc}); the zip is damaged or was tampered with"
            ) from None
        except (NotImplementedError, RuntimeError) as exc:
            raise InvalidUpload(
                f"{name}: entry {info.filename!r} cannot be extracted ({exc}): zip it again "
                "with ordinary (deflate) compression"
            ) from None
        except OSError as exc:
            raise InvalidUpload(
                f"{name}: entry {info.filename!r} cannot be extracted ({exc.strerror})"
            ) from None


def _match_shapefile_stems(root: Path) -> None:
    """Rename shapefile parts whose stem differs only in capitals from their .shp's.

    GDAL finds "HAZARDS.SHX" or "hazards.shx" beside "hazards.shp", but not "Hazards.shx".
    """
    for folder, _dirs, files in os.walk(root):
        by_lower = {name.lower(): name for name in files}
        for shp in (name for name in files if name.lower().endswith(".shp")):
            stem = shp[:-4]
            for ext in _SHAPEFILE_SIDECARS:
                actual = by_lower.get((stem + ext).lower())
                if actual is None or actual in (stem + ext, stem + ext.upper()):
                    continue
                os.rename(os.path.join(folder, actual), os.path.join(folder, stem + ext))


# --------------------------------------------------------------------------------------------
# list_layers


@dataclass
class _Found:
    """Layers and non-layers met while scanning a source, counted against the limit."""

    max_layers: int
    layers: list[tuple[LayerInfo, str]] = field(default_factory=list)  # with display path
    tables: list[str] = field(default_factory=list)  # layers without geometry
    others: list[str] = field(default_factory=list)  # files that are not vector layers
    skipped: list[str] = field(default_factory=list)  # .json files that are not GeoJSON
    nested_zips: list[str] = field(default_factory=list)

    def room(self) -> int:
        """How many more layers (or tables) the upload may hold."""
        return self.max_layers - len(self.layers) - len(self.tables)

    def make_room(self, count: int, where: str) -> None:
        """Refuse the upload if ``count`` more layers found at ``where`` are too many."""
        if count > self.room():
            before = len(self.layers) + len(self.tables)
            what = f"brings the upload to {before + count:,}" if before else f"holds {count:,}"
            raise UploadTooLarge(
                f"{where} {what} layers; the limit is {self.max_layers:,} layers in one "
                "upload: send the layer you mean on its own"
            )


def list_layers(source: Path, *, max_layers: int = UploadLimits.max_layers) -> list[LayerInfo]:
    """The vector layers in ``source`` (a directory from unpack, or a single file).

    No layer is opened: their feature counts are left unknown (``None``).
    """
    found = _Found(max_layers)
    if source.is_dir():
        files: list[tuple[Path, str]] = []
        for folder, dirs, names in os.walk(source):
            dirs[:] = sorted(d for d in dirs if d != "__MACOSX")
            for file_name in sorted(names):
                path = Path(folder) / file_name
                files.append((path, f"{source.name}/{path.relative_to(source).as_posix()}"))
        candidates = sum(
            1 for path, _ in files if path.suffix.lower() in _LAYER_SUFFIXES
            and not _is_junk([path.name])
        )  # fmt: skip
        if candidates > max_layers:  # before a single file is opened
            raise UploadTooLarge(
                f"{source.name} holds {candidates:,} map files; the limit is {max_layers:,} "
                "layers in one upload: send the layer you mean on its own"
            )
        for path, display in files:
            _scan_file(path, display, found, in_folder=True)
    elif source.is_file():
        _scan_file(source, source.name, found, in_folder=False)
    else:
        raise InvalidUpload(f"{source.name}: no such file or folder")
    if not found.layers:
        raise _no_layer_error(source.name, found)
    return _unique_names(found.layers)


def _scan_file(path: Path, display: str, found: _Found, *, in_folder: bool) -> None:
    ext = path.suffix.lower()
    if _is_junk([path.name]):
        return
    if ext == ".shp":
        _scan_shapefile(path, display, found)
    elif ext == ".gpkg":
        _scan_geopackage(path, display, found)
    elif ext in (".kml", ".kmz"):
        _scan_gdal(path, display, found, multi=True)
    elif ext in (".geojson", ".json"):
        try:
            _scan_gdal(path, display, found, multi=False)
        except UploadTooLarge:
            raise
        except InvalidUpload:
            if not in_folder or ext == ".geojson":
                raise
            # metadata .json files often travel with the data; they are not layers
            found.skipped.append(display)
    elif not in_folder:
        if ext == ".zip":
            raise InvalidUpload(f"{path.name} is a zip: unpack it first")
        _sniff(path.name, b"")  # raises the error that says what the file is
    elif ext == ".zip":
        found.nested_zips.append(display)
    else:
        found.others.append(display)


def _no_layer_error(name: str, found: _Found) -> InvalidUpload:
    if found.tables:
        return InvalidUpload(
            f"{', '.join(found.tables)} has no geometry column: it is a table, not a map "
            f"layer; ims accepts {ACCEPTED}"
        )
    detail = ""
    listed = found.others + found.skipped
    if listed:
        shown = ", ".join(p.split("/")[-1] for p in listed[:10])
        more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
        detail = f" (it holds {shown}{more})"
    hint = ""
    if found.nested_zips:
        hint = "; a zip inside the zip is not opened: put the layer's files in one zip"
    elif any(Path(p).suffix.lower() in _SHAPEFILE_SIDECARS for p in found.others):
        hint = "; a shapefile needs its .shp as well as its .shx and .dbf"
    return InvalidUpload(f"{name} holds no map layer{detail}: ims accepts {ACCEPTED}{hint}")


def _sibling(shp: Path, ext: str) -> Path | None:
    """The part of a shapefile with extension ``ext`` beside ``shp`` (any capitals)."""
    wanted = (shp.stem + ext).lower()
    for candidate in (shp.with_suffix(ext), shp.with_suffix(ext.upper())):
        if candidate.is_file():
            return candidate
    for candidate in shp.parent.iterdir():
        if candidate.name.lower() == wanted and candidate.is_file():
            return candidate
    return None


def _scan_shapefile(shp: Path, display: str, found: _Found) -> None:
    missing = [shp.stem + ext for ext in (".shx", ".dbf") if _sibling(shp, ext) is None]
    if missing:
        raise InvalidUpload(
            f"{display} has no {' and no '.join(missing)} beside it: a shapefile needs "
            ".shp, .shx and .dbf (with .prj and .cpg when there are some) in the same folder"
        )
    for ext in (".shx", ".dbf"):
        part = _sibling(shp, ext)
        if part is not None and part.name not in (shp.stem + ext, shp.stem + ext.upper()):
            raise InvalidUpload(
                f"{display}: its part {part.name} is named with different capitals; "
                f"rename it {shp.stem + ext}"
            )
    with shp.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or struct.unpack(">i", header[:4])[0] != _SHP_FILE_CODE:
        raise InvalidUpload(
            f"{display} is damaged or is not a shapefile: it does not begin with a shapefile "
            "header; export the layer again"
        )
    found.make_room(1, display)
    if struct.unpack("<i", header[32:36])[0] == 0:  # shape type "null": attributes only
        found.tables.append(display)
        return
    layer = LayerInfo(shp.stem, shp, None, "ESRI Shapefile")
    found.layers.append((layer, display.removesuffix(shp.suffix)))


def _scan_gdal(path: Path, display: str, found: _Found, *, multi: bool) -> None:
    """KML and GeoJSON: their layers listed by GDAL in one pass over the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            listed = pyogrio.list_layers(path)
    except Exception as exc:  # GDAL reports problems as several exception types
        raise InvalidUpload(
            f"{display} cannot be opened as a map layer: {_gdal_message(exc, path, display)}"
        ) from None
    found.make_room(len(listed), display)
    driver = "KML" if path.suffix.lower() in (".kml", ".kmz") else "GeoJSON"
    for layer_name, geometry_type in listed:
        layer_name = str(layer_name)
        where = f"{display}, layer {layer_name!r}" if multi else display
        if geometry_type is None:
            found.tables.append(where)
            continue
        if multi:
            layer = LayerInfo(layer_name, path, layer_name, driver)
            label = f"{display}:{layer_name}"
        else:
            layer = LayerInfo(path.stem, path, None, driver)
            label = display.removesuffix(path.suffix)
        found.layers.append((layer, label))


def _scan_geopackage(path: Path, display: str, found: _Found) -> None:
    for suffix in _GPKG_SIDECARS:
        if path.with_name(path.name + suffix).exists():
            raise InvalidUpload(
                f"{display} comes with {path.name + suffix}: the GeoPackage was still being "
                "written; close it in the program that made it and upload it again"
            )
    for layer_name, has_geometry in _geopackage_layers(path, display, found):
        where = f"{display}, layer {layer_name!r}"
        if not has_geometry:
            found.tables.append(where)
            continue
        layer = LayerInfo(layer_name, path, layer_name, "GPKG")
        found.layers.append((layer, f"{display}:{layer_name}"))


def _geopackage_layers(path: Path, display: str, found: _Found) -> list[tuple[str, bool]]:
    """The layers a GeoPackage registers, (name, has a geometry column), read with SQLite.

    SQLite reads the schema and two small tables here and runs nothing of the file's (the
    database is opened read-only and immutable, untrusted schema, and the whole look is cut
    off after a few seconds). A layer that is an SQL view, a virtual table or has computed
    columns is refused: reading it would run SQL written by whoever made the file.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
    deadline = time.monotonic() + _INSPECT_S
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=0)) as db:
            db.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
            db.execute("PRAGMA trusted_schema = OFF")
            db.execute("PRAGMA query_only = ON")
            return _registered_layers(db, display, found)
    except sqlite3.Error as exc:
        if time.monotonic() > deadline:
            raise InvalidUpload(
                f"{display}: its structure could not be read within {_INSPECT_S:.0f} s; ims "
                "refuses it"
            ) from None
        raise InvalidUpload(
            f"{display} cannot be read as a GeoPackage ({exc}): it may be damaged or only "
            "partly uploaded"
        ) from None


def _registered_layers(
    db: sqlite3.Connection, display: str, found: _Found
) -> list[tuple[str, bool]]:
    objects = {
        str(name).lower(): (str(kind), str(sql or ""))
        for kind, name, sql in db.execute("SELECT type, name, sql FROM sqlite_master")
    }
    if objects.get("gpkg_contents", ("",))[0] != "table":
        raise InvalidUpload(
            f"{display} is an SQLite database but not a GeoPackage (it has no gpkg_contents "
            f"table): ims accepts {ACCEPTED}"
        )
    for name, (kind, _) in sorted(objects.items()):
        if name.startswith("gpkg") and kind == "view":  # GDAL reads these tables on opening
            raise InvalidUpload(
                f"{display}: its GeoPackage table {name} is an SQL view; ims refuses it, as "
                "reading it would run SQL from the file"
            )
    kinds = "lower(data_type) IN ('features', 'attributes')"
    (count,) = db.execute(f"SELECT count(*) FROM gpkg_contents WHERE {kinds}").fetchone()
    found.make_room(int(count), display)
    geometry_tables: set[str] = set()
    if objects.get("gpkg_geometry_columns", ("",))[0] == "table":
        geometry_tables = {
            str(name).lower() for (name,) in db.execute(
                "SELECT table_name FROM gpkg_geometry_columns WHERE column_name IS NOT NULL"
            )
        }  # fmt: skip
    layers = []
    for (table_name,) in db.execute(f"SELECT table_name FROM gpkg_contents WHERE {kinds}"):
        name = str(table_name)
        kind, sql = objects.get(name.lower(), ("", ""))
        where = f"{display}, layer {name!r}"
        if kind == "view":
            raise InvalidUpload(
                f"{where} is an SQL view, not a table: ims does not read views, as reading "
                "one runs SQL from the file; export the layer as a table and upload it again"
            )
        if kind != "table":
            raise InvalidUpload(f"{where} is listed in the GeoPackage but has no table")
        if re.match(r"\s*CREATE\s+VIRTUAL\s+TABLE", sql, re.IGNORECASE):
            raise InvalidUpload(
                f"{where} is a virtual table, not a table of data: ims refuses it; export "
                "the layer as an ordinary table"
            )
        quoted = name.replace('"', '""')
        columns = db.execute(f'PRAGMA table_xinfo("{quoted}")').fetchall()
        computed = [str(c[1]) for c in columns if c[6] == 2]  # generated, computed on read
        if computed:
            raise InvalidUpload(
                f"{where} has computed columns ({', '.join(computed)}): ims refuses them, as "
                "reading one runs SQL from the file; export the layer with plain columns"
            )
        layers.append((name, name.lower() in geometry_tables))
    return layers


def _read_info(
    path: Path, layer: str | None, display: str, options: dict[str, str]
) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            info: dict[str, Any] = pyogrio.read_info(
                path, layer=layer, force_feature_count=True, **options
            )
    except Exception as exc:  # GDAL reports problems as several exception types
        raise InvalidUpload(
            f"{display} cannot be read: {_gdal_message(exc, path, display)}"
        ) from None
    return info


def _gdal_message(exc: BaseException, path: Path, display: str) -> str:
    """GDAL's message without the server's working paths in it."""
    text = str(exc).strip() or type(exc).__name__
    # GDAL's advice on driver prefixes is for programmers, not for the person uploading
    text = re.sub(r"\.?;? ?It might help to specify the correct driver.*$", ".", text, flags=re.S)
    for long, short in ((str(path), display), (str(path.parent) + os.sep, "")):
        text = text.replace(long, short)
    return text


def _unique_names(found: list[tuple[LayerInfo, str]]) -> list[LayerInfo]:
    """The layers, renamed by their path in the upload where two share a name."""
    counts: dict[str, int] = {}
    for layer, _ in found:
        counts[layer.name.lower()] = counts.get(layer.name.lower(), 0) + 1
    result = []
    for layer, label in found:
        if counts[layer.name.lower()] > 1:
            short = label.split("/", 1)[1] if "/" in label else label
            layer = LayerInfo(short, layer.path, layer.layer, layer.driver, layer.feature_count)
        result.append(layer)
    return result


# --------------------------------------------------------------------------------------------
# choose_layer


def choose_layer(
    layers: list[LayerInfo], *, kind: str | None = None, name: str | None = None
) -> LayerInfo:
    """The layer to import: the only one, the one named, or the one whose name fits ``kind``."""
    if not layers:
        raise InvalidUpload("the upload holds no map layer to choose from")
    names = ", ".join(repr(layer.name) for layer in layers)
    if name is not None:
        matches = [layer for layer in layers if layer.name.lower() == name.strip().lower()]
        if len(matches) == 1:
            return matches[0]
        raise InvalidUpload(f"the upload has no layer named {name!r}; its layers are {names}")
    if len(layers) == 1:
        return layers[0]
    if kind:
        keyword = kind.strip().lower().removesuffix("s")
        matches = [layer for layer in layers if keyword in layer.name.lower()]
        if len(matches) == 1:
            return matches[0]
    raise InvalidUpload(
        f"the upload has {len(layers)} layers ({names}): choose one by its name (e.g. --layer NAME)"
    )


# --------------------------------------------------------------------------------------------
# read_upload


def read_upload(
    upload: Path,
    workdir: Path,
    *,
    kind: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    limits: UploadLimits = UploadLimits(),
) -> ReadResult:
    """Read the chosen layer of an upload into a GeoDataFrame in EPSG:4326 (2-D)."""
    stated = _parse_crs(crs) if crs is not None and crs.strip() else None
    source = unpack(upload, workdir, limits=limits)
    chosen = choose_layer(list_layers(source, max_layers=limits.max_layers), kind=kind,
                          name=layer)  # fmt: skip
    where = f"{upload.name}, layer {chosen.name!r}"
    chosen = describe(chosen, where)
    if chosen.feature_count == 0:
        raise InvalidUpload(f"{where} has no features: the layer is empty")
    _check_feature_count(chosen.feature_count or 0, where, limits)
    notes: list[str] = []
    encoding: str | None = None
    if chosen.driver == "ESRI Shapefile":
        frame, encoding, measured = _read_shapefile(chosen, where, notes, limits)
    else:
        frame, measured = _read_frame(chosen, where, None, limits)
        if chosen.driver == "KML":
            frame = _drop_kml_bookkeeping(frame)
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InvalidUpload(f"{where} has no geometry column: it is a table, not a map layer")
    _check_feature_count(len(frame), where, limits)  # the count GDAL gave may be an estimate
    geometries = frame.geometry.to_numpy()
    if len(geometries) and shapely.is_missing(geometries).all():
        raise InvalidUpload(f"{where}: none of its {len(geometries):,} features has a geometry")
    _check_vertices(frame, where, limits)

    dropped = _drop_z_m(frame, measured, notes)
    if dropped is not None:
        frame = dropped
    frame, source_crs, crs_was_stated = _to_wgs84(frame, stated, crs, chosen, where, notes)
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0:
        frame = frame.reset_index(drop=True)
    logger.debug(
        "read %d features from %s (%s, %s%s)",
        len(frame),
        where,
        chosen.driver,
        source_crs,
        f", {encoding}" if encoding else "",
    )
    return ReadResult(
        frame=frame,
        layer=chosen.name,
        source_crs=source_crs,
        crs_was_stated=crs_was_stated,
        encoding=encoding,
        dropped_z=dropped is not None,
        warnings=notes,
    )


def _open_options(layer: LayerInfo) -> dict[str, str]:
    return _GPKG_OPEN_OPTIONS if layer.driver == "GPKG" else {}


def describe(layer: LayerInfo, where: str) -> LayerInfo:
    """The layer with its feature count and GDAL's driver: the one layer that is opened."""
    info = _read_info(layer.path, layer.layer, where, _open_options(layer))
    driver = _DRIVERS.get(str(info["driver"]), layer.driver)
    return dataclasses.replace(layer, driver=driver, feature_count=int(info["features"]))


def _check_feature_count(count: int, where: str, limits: UploadLimits) -> None:
    if count > limits.max_features:
        raise UploadTooLarge(
            f"{where} has {count:,} features; the limit is {limits.max_features:,} features "
            "in one upload: send it in parts"
        )


def _check_vertices(frame: Any, where: str, limits: UploadLimits) -> None:
    """Refuse a feature, or a layer, with more vertices than the limits allow."""
    counts = shapely.get_num_coordinates(frame.geometry.to_numpy())
    over = np.flatnonzero(counts > limits.max_vertices_per_feature)
    if over.size:
        row = int(over[0])
        references = [frame[c].iloc[row] for c in ("hazard_id", "release_id") if c in frame]
        reference = next((str(v) for v in references if not pd.isna(v)), None)
        named = f"feature {row + 1}" + (f" ({reference})" if reference else "")
        raise UploadTooLarge(
            f"{where}: {named} has {int(counts[row]):,} vertices; the limit is "
            f"{limits.max_vertices_per_feature:,} vertices per feature: simplify its outline"
        )
    total = int(counts.sum())
    if total > limits.max_vertices:
        raise UploadTooLarge(
            f"{where} has {total:,} vertices in all; the limit is {limits.max_vertices:,} "
            "in one upload: send it in parts or simplify the outlines"
        )


def _parse_crs(text: str) -> CRS:
    try:
        return CRS.from_user_input(text.strip())
    except CRSError:
        raise InvalidUpload(
            f"the stated coordinate reference system {text!r} is not one ims recognises: "
            "give an EPSG code such as EPSG:32648"
        ) from None


def _read_frame(
    layer: LayerInfo, where: str, encoding: str | None, limits: UploadLimits
) -> tuple[Any, bool]:
    """The layer as read by pyogrio, and whether GDAL dropped M values while reading it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pyogrio.read_dataframe(
                layer.path, layer=layer.layer, encoding=encoding, use_arrow=False,
                max_features=limits.max_features + 1, **_open_options(layer),
            )  # fmt: skip
        except UnicodeDecodeError:
            raise
        except Exception as exc:  # GDAL reports problems as several exception types
            raise InvalidUpload(
                f"{where} cannot be read: {_gdal_message(exc, layer.path, layer.path.name)}"
            ) from None
    measured = False
    for warning in caught:
        text = str(warning.message)
        # pyogrio hands over no M values and reports a layer that had some only in a warning
        if "Measured (M)" in text:
            measured = True
        else:
            logger.info("reading %s: %s", where, text)
    return frame, measured


def _read_shapefile(
    layer: LayerInfo, where: str, notes: list[str], limits: UploadLimits
) -> tuple[Any, str, bool]:
    """Read a shapefile with the right attribute encoding: the frame, encoding and M flag."""
    passed, used, note = _shapefile_encoding(layer.path)
    try:
        frame, measured = _read_frame(layer, where, passed, limits)
    except UnicodeDecodeError:
        # e.g. a .cpg saying UTF-8 over text written in a Windows code page
        detected, _ascii = detect_dbf_encoding(_dbf_of(layer.path))
        if detected == used:
            detected = "ISO-8859-1"
        try:
            frame, measured = _read_frame(layer, where, detected, limits)
        except UnicodeDecodeError:
            raise InvalidUpload(
                f"{where}: its text attributes cannot be decoded as {used} or {detected}; "
                "save the shapefile again as UTF-8"
            ) from None
        note = (
            f"{layer.path.name}: the text attributes are not in {used} as declared; the "
            f"encoding was detected as {detected}: check that names read correctly"
        )
        used = detected
    if note:
        notes.append(note)
    return frame, used, measured


def _dbf_of(shp: Path) -> Path:
    dbf = _sibling(shp, ".dbf")
    if dbf is None:  # list_layers checked it; the folder changed since
        raise InvalidUpload(f"{shp.name} has no {shp.stem}.dbf beside it")
    return dbf


def _cpg_encoding(text: str) -> str:
    """The encoding a .cpg names, spelt the usual way (as GDAL reads it)."""
    value = text.strip().upper()
    if value in ("UTF8", "UTF-8", "65001"):
        return "UTF-8"
    if value.isdigit():
        return {"88591": "ISO-8859-1", "28591": "ISO-8859-1"}.get(value, f"CP{value}")
    if value in ("8859_1", "ISO88591"):
        return "ISO-8859-1"
    return value


def _shapefile_encoding(shp: Path) -> tuple[str | None, str, str | None]:
    """(encoding to pass to pyogrio, encoding used, warning) for a shapefile's attributes.

    A .cpg is honoured by GDAL itself, and so is a language driver id in the .dbf header,
    except 0x57 ("ANSI"), which only says "some Windows code page" (GDAL would read it as
    ISO-8859-1 and garble Thai); then, as with no declaration at all, it is detected.
    """
    cpg = _sibling(shp, ".cpg")
    if cpg is not None:
        text = cpg.read_text(encoding="ascii", errors="replace").strip()
        if text:
            return None, _cpg_encoding(text), None
    dbf = _dbf_of(shp)
    with dbf.open("rb") as fh:
        header = fh.read(32)
    ldid = header[29] if len(header) >= 32 else 0
    if ldid not in (0, _LDID_ANSI):
        return None, _LDID_CODEPAGES.get(ldid, f"LDID {ldid}"), None
    detected, ascii_only = detect_dbf_encoding(dbf)
    if ascii_only:
        return detected, detected, None  # every encoding reads plain ASCII the same
    fallback = detected == "ISO-8859-1"
    note = f"{shp.name} has no .cpg declaring its text encoding: " + (
        "it could not be recognised and was read as ISO-8859-1; check that names read correctly"
        if fallback
        else f"encoding detected as {detected}"
    )
    return detected, detected, note


def detect_dbf_encoding(dbf: Path) -> tuple[str, bool]:
    """Guess a .dbf's text encoding from its records: (encoding, the records are plain ASCII).

    Valid UTF-8 is UTF-8. Otherwise CP874 (Thai) or CP1252 (Western European), whichever
    yields more letters of its script: Thai letters in runs of two or more (a lone "Thai"
    letter is what an accent or a degree sign looks like misread as CP874) against accented
    Latin letters; a tie goes to CP1252.
    """
    with dbf.open("rb") as fh:
        header = fh.read(32)
        header_length = struct.unpack("<H", header[8:10])[0] if len(header) >= 32 else 0
        fh.seek(max(header_length, len(header)))
        utf8 = codecs.getincrementaldecoder("utf-8")()
        utf8_ok = True
        ascii_only = True
        histogram = np.zeros(256, dtype=np.int64)
        sample = bytearray()
        while chunk := fh.read(8 * _CHUNK):
            if chunk.isascii() and not utf8.getstate()[0]:
                continue
            ascii_only = False
            histogram += np.bincount(np.frombuffer(chunk, dtype=np.uint8), minlength=256)
            if len(sample) < 8 * _CHUNK:
                sample += chunk
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
        if utf8_ok:
            try:
                utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
    if ascii_only or utf8_ok:
        return "UTF-8", ascii_only
    data = bytes(sample)
    scores = {
        "CP874": sum(map(len, _THAI_RUN.findall(data.decode("cp874", "replace")))),
        "CP1252": len(_LATIN_ACCENTED.findall(data.decode("cp1252", "replace"))),
    }
    usable = [enc for enc in ("CP1252", "CP874") if not histogram[_UNDEFINED[enc]].any()]
    if not usable:
        return "ISO-8859-1", False
    # ties go to CP1252, listed first: max keeps the first of equal scores
    return max(usable, key=lambda enc: scores[enc]), False


def _drop_kml_bookkeeping(frame: Any) -> Any:
    """Drop LIBKML's standard fields where they hold nothing for any feature."""
    empty = []
    for column, default in _KML_BOOKKEEPING.items():
        if column not in frame.columns:
            continue
        values = frame[column]
        if values.isna().all() or (default is not None and (values == default).all()):
            empty.append(column)
    return frame.drop(columns=empty) if empty else frame


def _drop_z_m(frame: Any, has_m: bool, notes: list[str]) -> Any | None:
    """The frame in 2-D with a note, or None if it had no Z or M values."""
    geometries = frame.geometry.to_numpy()
    has_z = bool(shapely.has_z(geometries).any())
    if not (has_z or has_m):
        return None
    if has_z:
        frame = frame.set_geometry(
            gpd.GeoSeries(
                shapely.force_2d(geometries),
                index=frame.index,
                crs=frame.crs,
                name=frame.geometry.name,
            ),
        )
    what = {
        (True, False): "Z coordinates were dropped",
        (False, True): "M values were dropped",
        (True, True): "Z coordinates and M values were dropped",
    }[(has_z, has_m)]
    notes.append(f"{what}: ims keeps 2-D polygons (no Z or M)")
    return frame


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg is not None else str(crs.name)


def _to_wgs84(
    frame: Any,
    stated: CRS | None,
    stated_text: str | None,
    layer: LayerInfo,
    where: str,
    notes: list[str],
) -> tuple[Any, str, bool]:
    """The frame in EPSG:4326, the source CRS label and whether the stated CRS was used."""
    declared = frame.crs
    was_stated = False
    if declared is None:
        if stated is None:
            why = "no .prj" if layer.driver == "ESRI Shapefile" else "no spatial reference"
            if layer.driver == "ESRI Shapefile" and _sibling(layer.path, ".prj") is not None:
                why = "its .prj cannot be understood"
            raise InvalidUpload(
                f"{where} declares no coordinate reference system ({why}): state it, "
                "e.g. --crs EPSG:32648"
            )
        source = stated
        was_stated = True
        frame = frame.set_crs(stated, allow_override=True)
        notes.append(
            f"the file declares no coordinate reference system: the stated "
            f"{_crs_label(stated)} was used"
        )
    else:
        source = CRS.from_user_input(declared)
        if stated is not None and not _same_crs(source, stated):
            notes.append(
                f"the file declares {_crs_label(source)}, which was used; the stated "
                f"{stated_text} was ignored"
            )
    if source.to_epsg() == 4326:
        frame = frame.set_crs(4326, allow_override=True)
    else:
        frame = frame.to_crs(4326)
    return frame, _crs_label(source), was_stated


def _same_crs(a: CRS, b: CRS) -> bool:
    if a.to_epsg() is not None and a.to_epsg() == b.to_epsg():
        return True
    return bool(a.equals(b, ignore_axis_order=True))
