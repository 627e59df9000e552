"""The first look at an upload: its size and kind, and a zip extracted safely.

    unpack()  check the upload and, for a zip, extract it (zip bombs, zip slip, links)

A zip is refused from its declared sizes before anything is written (too many entries,
paths outside it, links, passwords, ratios of a zip bomb), and again while extracting,
counting the bytes really written, as headers can lie. Names are made safe for GDAL's
path parsing. Every problem a person can fix is raised as ``InvalidUpload``.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import string
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from ims.errors import InvalidUpload
from ims.ingest.limits import UploadLimits

logger = logging.getLogger(__name__)

# What ims reads, as the messages refusing anything else say it.
ACCEPTED = (
    "a zipped shapefile (.zip holding .shp, .shx, .dbf and .prj), "
    "a GeoPackage (.gpkg), GeoJSON (.geojson), KML (.kml), or a table (.csv, .xlsx) with "
    "coordinates, WKT or a form's geoshape"
)

# a zip begins with a local file header, or, when empty, with its end record
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_SQLITE_MAGIC = b"SQLite format 3\x00"
SHP_FILE_CODE = 9994  # a .shp begins with it (big-endian)

# Entries this small cannot be a bomb on their own (and the overall limit still bounds them),
# while tiny files such as a .cpg or a blank-padded .dbf can compress far beyond any ratio.
_RATIO_FLOOR_BYTES = 1 << 20
_CHUNK = 1 << 20

# Files that archivers add and that are never data (macOS resource forks, Windows thumbnails).
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}

# Well-known non-spatial formats, so the error says what the file is.
_NOT_SPATIAL = {
    ".txt": "a text file",
    ".xls": "an Excel workbook",
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
# The parts of a shapefile besides its .shp: they must lie beside it, with the same stem.
SHAPEFILE_SIDECARS = {".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx", ".qix", ".qmd"}


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
    kind = sniff(name, head)
    workdir.mkdir(parents=True, exist_ok=True)
    if kind == "zip":
        return _extract_zip(upload, workdir, limits)
    return _readable_file(upload, kind, workdir)


def check_workbook(workbook: Path, limits: UploadLimits) -> None:
    """Refuse an Excel workbook that would expand past the limits as it is read.

    A .xlsx is a zip of XML, which openpyxl reads whole: 650 kB of repeated cells
    expanded to 500 MB of XML and half a gigabyte of memory. It is held to the limits of
    a zip, by its declared sizes, before a cell is read; what is not a zip is left to the
    reader to refuse.
    """
    try:
        with zipfile.ZipFile(workbook) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError):
        return
    name = workbook.name
    _check_entries(name, infos, limits)
    total = sum(info.file_size for info in infos)
    if total > limits.max_workbook_bytes:
        raise InvalidUpload(
            f"{name} would expand to {_megabytes(total)} as it is read; the limit for a "
            f"workbook is {_megabytes(limits.max_workbook_bytes)}: save it as CSV or a "
            "GeoPackage"
        )
    for info in infos:
        # every part, not those named as sheets: the workbook's relationships may name any
        # part a sheet (an attack on our own instance moved one to xl/data/s1.xml)
        if not info.is_dir():
            _check_sheet(workbook, info, limits)


# A cell's reference ("XFD1") or a sheet's declared size's far corner ("A1:XFD1048576").
_CELL = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
MAX_WORKBOOK_COLUMNS = 2_000  # a form platform's widest exports have a few hundred


class _Over(Exception):
    """A sheet is past a limit: the rest of it is not read."""


@dataclass
class _SheetSize:
    """What the reader would make of a sheet: its rows and its widest row, counted as its
    XML streams by."""

    rows: int = 0  # the highest row number, or the rows counted, whichever is more
    counted: int = 0
    widest: int = 0
    column: int = 0  # the last cell's column in the row being read

    def element(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]  # "namespace local" as expat gives it
        if local == "row":
            self.counted += 1
            self.column = 0
            row = _row_number(attributes.get("r"))
            self.counted = max(self.counted, row or 0)  # a row without a number follows
            self.rows = max(self.rows, self.counted)
        elif local == "c":
            reference = attributes.get("r")
            # as openpyxl reads it: the letters up to the first digit, then a number as
            # int() or float() reads one ("XFD1_0" is column 16,384, row 10)
            cut = next((i for i, ch in enumerate(reference or "") if ch in string.digits), None)
            if reference and cut is None:
                cut = len(reference) - 1
            letters = (reference or "")[:cut] if reference else ""
            if letters.isascii() and letters.isalpha() and len(letters) <= 3:
                self.column = _column_number(letters)
                self.rows = max(self.rows, _row_number(reference[cut:] if reference else None) or 0)
            else:
                self.column += 1
            self.widest = max(self.widest, self.column)
        elif local == "dimension":
            corner = _CELL.fullmatch(attributes.get("ref", "").strip().rsplit(":", 1)[-1])
            if corner:
                self.widest = max(self.widest, _column_number(corner.group(1)))
                self.rows = max(self.rows, int(corner.group(2)))

    def over(self, limits: UploadLimits) -> bool:
        return (
            self.widest > MAX_WORKBOOK_COLUMNS
            or self.rows > limits.max_features + 1
            or self.rows * self.widest > limits.max_vertices
        )


def _check_sheet(workbook: Path, info: zipfile.ZipInfo, limits: UploadLimits) -> None:
    """Refuse a sheet the reader would make far larger than its XML: it pads each row to
    the column furthest right in it, so one cell in column XFD a row made 2,000 rows of a
    23 kB file 32 million cells (800 MB of the server's memory); and it makes the rows a
    row's number skips, so two rows numbered 1 and 1,048,576 made a million (a 5 kB file
    held 52 million cells: an attack on our own instance). Its rows (the count, or the
    highest number, whichever is more) and its widest cell, or the size it declares, are
    counted as the XML streams by, read by an XML parser as the reader reads it (a pattern
    over the text had missed attributes in single quotes: the same attack again), with
    no document type read. A part that is not XML is left to the reader."""
    size = _SheetSize()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = size.element

    def no_document_type(*_: object) -> None:
        raise expat.ExpatError("a document type")  # openpyxl (defusedxml) refuses it too

    parser.StartDoctypeDeclHandler = no_document_type
    parser.EntityDeclHandler = no_document_type
    stopped = False
    with zipfile.ZipFile(workbook) as z, z.open(info) as part:
        try:
            while block := part.read(_CHUNK):
                parser.Parse(block, False)
                if size.over(limits):
                    stopped = True  # the rest is not counted
                    break
            else:
                parser.Parse(b"", True)
        except expat.ExpatError:
            pass  # not XML, or broken: what was counted is held to the limits below
    where = f"{workbook.name}: sheet {info.filename.rsplit('/', 1)[-1]}"
    if size.widest > MAX_WORKBOOK_COLUMNS:
        raise InvalidUpload(
            f"{where} has a cell in column {size.widest:,}; ims reads at most "
            f"{MAX_WORKBOOK_COLUMNS:,} columns: save the table as CSV or a GeoPackage"
        )
    if size.over(limits):
        raise InvalidUpload(
            f"{where} holds {'at least ' if stopped else ''}{size.rows:,} rows of up to "
            f"{size.widest:,} columns, counting the empty rows its row numbers skip (and the "
            "size it declares); ims reads at most "
            f"{limits.max_features:,} rows and {limits.max_vertices:,} cells from a workbook"
        )


def _row_number(text: str | None) -> int | None:
    """A row number as openpyxl reads it: int(), then float() ("1_000", "+5", "1e6")."""
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() and abs(number) < 1e18 else None


def _column_number(letters: str) -> int:
    """A column's number from its letters: A is 1, Z 26, AA 27, XFD 16,384."""
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def _megabytes(size: int | float) -> str:
    """A size in the unit a person would use for it."""
    if size < 1e3:
        return f"{size:,.0f} bytes"
    if size < 1e6:
        return f"{size / 1e3:,.0f} KB"
    return f"{size / 1e6:,.1f} MB" if size < 10e6 else f"{size / 1e6:,.0f} MB"


def sniff(name: str, head: bytes) -> str:
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
    if ext == ".shp" or (len(head) >= 4 and struct.unpack(">i", head[:4])[0] == SHP_FILE_CODE):
        return "shp"
    if ext in SHAPEFILE_SIDECARS:
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


_NAME_BYTES = 150  # a file system's names hold 255 bytes; a few are left for ims's own


def upload_name(filename: str | None) -> str:
    """The name to keep an uploaded file under: its last part, without control characters,
    cut to ``_NAME_BYTES`` of UTF-8 (its extension kept), or "upload".

    A name of 300 characters answered 500 ("File name too long"), and one holding a NUL
    byte too ("embedded null byte"): found by an attack on our own instance.
    """
    name = re.sub(r"[\x00-\x1f\x7f]", "", (filename or "").replace("\\", "/")).split("/")[-1]
    name = name.strip()
    if name in ("", ".", ".."):
        return "upload"
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode()) > 16:
        stem, dot, ext = name, "", ""
    room = _NAME_BYTES - len(dot + ext)
    stem = stem.encode()[:room].decode(errors="ignore").strip() or "upload"
    return f"{stem}{dot}{ext}"


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
        if sibling.stem.lower() == upload.stem.lower() and ext in SHAPEFILE_SIDECARS:
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


def is_junk(parts: list[str]) -> bool:
    """Whether a path (its components) is a file archivers add that is never data."""
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
        _check_ratio(
            zip_name, f"entry {info.filename!r}", info.file_size, info.compress_size, limits
        )
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
        if not parts or is_junk(parts):
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
            for ext in SHAPEFILE_SIDECARS:
                actual = by_lower.get((stem + ext).lower())
                if actual is None or actual in (stem + ext, stem + ext.upper()):
                    continue
                os.rename(os.path.join(folder, actual), os.path.join(folder, stem + ext))
