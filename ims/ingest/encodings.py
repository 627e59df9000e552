"""The text encoding of a shapefile's attributes: declared by a .cpg or the .dbf, or detected.

GDAL honours a .cpg and the .dbf's language driver id itself; where neither declares an
encoding (or the id only says "ANSI"), it is detected from the records, so that Lao, Thai
and accented Latin names read correctly.
"""

from __future__ import annotations

import codecs
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from ims.errors import InvalidUpload
from ims.ingest.layers import sibling

# dBASE language driver ids (byte 29 of the .dbf header) and the code page each declares,
# for recording which encoding GDAL used. 0x57 is missing on purpose: see shapefile_encoding.
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
_READ_BYTES = 8 << 20  # a .dbf is read this much at a time, and this much of it is scored


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


def dbf_of(shp: Path) -> Path:
    """The .dbf beside a shapefile's .shp (any capitals)."""
    dbf = sibling(shp, ".dbf")
    if dbf is None:  # list_layers checked it; the folder changed since
        raise InvalidUpload(f"{shp.name} has no {shp.stem}.dbf beside it")
    return dbf


def _cpg_encoding(text: str) -> str:
    """The encoding a .cpg names, spelt the usual way (as GDAL reads it)."""
    value = text.strip().upper()
    if value in ("UTF8", "UTF-8", "65001"):
        return "UTF-8"
    if value.isascii() and value.isdigit():
        return {"88591": "ISO-8859-1", "28591": "ISO-8859-1"}.get(value, f"CP{value}")
    if value in ("8859_1", "ISO88591"):
        return "ISO-8859-1"
    return value


def shapefile_encoding(shp: Path) -> tuple[str | None, str, str | None]:
    """(encoding to pass to pyogrio, encoding used, warning) for a shapefile's attributes.

    A .cpg is honoured by GDAL itself, and so is a language driver id in the .dbf header,
    except 0x57 ("ANSI"), which only says "some Windows code page" (GDAL would read it as
    ISO-8859-1 and garble Thai); then, as with no declaration at all, it is detected.
    """
    cpg = sibling(shp, ".cpg")
    if cpg is not None:
        text = cpg.read_text(encoding="ascii", errors="replace").strip()
        if text:
            return None, _cpg_encoding(text), None
    dbf = dbf_of(shp)
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
        while chunk := fh.read(_READ_BYTES):
            if chunk.isascii() and not utf8.getstate()[0]:
                continue
            ascii_only = False
            histogram += np.bincount(np.frombuffer(chunk, dtype=np.uint8), minlength=256)
            if len(sample) < _READ_BYTES:
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
