"""The register's columns and the names its records' own columns have in every file.

The register's files (``ims.queries.register_files``) and the OGC API's features give an
upload's own columns one name each, given once among every own column the register's
records hold (``own_names``); an upload of such a file is read back under the register's
own keys (``ims.ingest.submissions``). Both read them here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

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
    "used_from",
    "used_to",
)
RELEASE_COLUMNS: Final = (
    "release_id",
    "hazard_id",
    "contamination",
    "method",
    "released",
    "operator",
    "area_m2",
    "outside_m2",
    "stated_area_m2",
    "items",
    "admin1_code",
    "admin1_name",
    "admin2_code",
    "admin2_name",
)
# The boundaries in force, to revise in a GIS and send back: the register's columns with the
# estimates in force (`munitions`) and an empty `revised` for the day each revision takes
# effect, both template fields.
BOUNDARY_COLUMNS: Final = (*COLUMNS[:10], "revised", *COLUMNS[10:], "munitions")

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
    "used_from": "used_from",
    "used_to": "used_to",
}

BOUNDARY_SHAPEFILE_NAMES: Final = {
    **SHAPEFILE_NAMES,
    "revised": "revised",
    "munitions": "munitions",
}
RELEASE_SHAPEFILE_NAMES: Final = {
    "release_id": "release_id",
    "hazard_id": "hazard_id",
    "contamination": "contam",
    "method": "method",
    "released": "released",
    "operator": "operator",
    "area_m2": "area_m2",
    "outside_m2": "outside_m2",
    "stated_area_m2": "stated_m2",
    "items": "items",
    "admin1_code": "adm1_code",
    "admin1_name": "adm1_name",
    "admin2_code": "adm2_code",
    "admin2_name": "adm2_name",
}


# Names a file keeps for itself: a GeoPackage's feature id and geometry, the CSV's point and
# WKT. An upload's column of that name (QGIS writes "fid") made every GeoPackage export
# fail, for every reader.
RESERVED: Final = ("fid", "geom", "geometry", "ogc_fid", "lon", "lat", "wkt")
# KML's own: the placemark's name (the reference) and its description, which Google Earth
# shows as HTML. An upload's column "Name" made a second column of that name and every KML
# of the register an empty file; its "Description" became each placemark's HTML (found by
# an attack on our own instance).
KML_RESERVED: Final = ("name", "description")


# The names an upload's own column of hazards cannot have as it is, in any case, in any of
# the register's files or the OGC API's features: every column either writes, the names a
# file keeps for itself, and "id" (GDAL and QGIS make a field of each feature's id). The
# same set for every output, so that one column has one name in all of them: QGIS's join
# of the OGC layer to a downloaded GeoPackage had broken on "Village" and "Village_1"
# (a GIS user's review, helper-110).
HAZARD_NAMES_TAKEN: Final = frozenset(
    c.casefold() for c in (*BOUNDARY_COLUMNS, *RESERVED, *KML_RESERVED, "id")
)


RELEASE_NAMES_TAKEN: Final = frozenset(
    c.casefold() for c in (*RELEASE_COLUMNS, *RESERVED, *KML_RESERVED, "id")
)
TAKEN: Final = {"hazard_id": HAZARD_NAMES_TAKEN, "release_id": RELEASE_NAMES_TAKEN}


# Control characters in a column's name (kept from an upload before they were taken out
# there): no file format names a field with them.
_NAME_NOISE = re.compile("[\x00-\x1f\x7f]")


def own_names(
    keys: Sequence[str], taken: Iterable[str], noise: re.Pattern[str] | None = None
) -> dict[str, str]:
    """The upload's own columns ``keys`` by their names in a file or a feature, named in
    the order given (``register_names``: the order the register first recorded them):
    each its own (less the characters ``noise`` matches, control characters by default),
    or, where that is (in any case) a name ``taken`` or an earlier column's, numbered
    ("fid_1"). Each numbering goes on from the last number its name was given, not from 1
    again (16,000 names alike had taken 24 s: helper-113)."""
    noise = noise or _NAME_NOISE
    used = {c.casefold() for c in taken}
    numbered: dict[str, int] = {}  # the last number each plain name was given
    names: dict[str, str] = {}
    for key in dict.fromkeys(keys):
        plain = noise.sub("", key).strip() or "column"
        name, n = plain, numbered.get(plain.casefold(), 0)
        while name.casefold() in used:
            n += 1
            name = f"{plain}_{n}"
        numbered[plain.casefold()] = n
        used.add(name.casefold())
        names[key] = name
    return names


# Every own column the register's records hold, whatever their date or state, in the
# order they were first recorded: the names are given among them all, so that a file of
# one date or one filter names a column as a file of another, and as the OGC API does
# (helper-112: "h112zone" on 2016-01-01 and "h112zone_1" today, once a later hazard
# brought "H112ZONE"); and in that order, so that a column keeps its name when a later
# upload brings one it could be confused with (helper-113: named in the order of their
# characters, "Zq59912" had become "Zq59912_1" in every file once "ZQ59912" came).
# Records are never deleted, a withdrawn one included: a name, once given, stays.
_OWN_KEYS: Final = {
    "hazard_id": (
        "SELECT k FROM hazard_revision r, jsonb_object_keys(r.attributes) k"
        " WHERE r.attributes <> '{}'::jsonb GROUP BY k ORDER BY min(r.id), k"
    ),
    "release_id": (
        "SELECT k FROM (SELECT k, r.recorded_at AS at FROM release r,"
        " jsonb_object_keys(r.attributes) k WHERE r.attributes <> '{}'::jsonb"
        " UNION ALL SELECT k, o.recorded_at FROM outside_release o,"
        " jsonb_object_keys(o.attributes) k WHERE o.attributes <> '{}'::jsonb) x"
        " GROUP BY k ORDER BY min(at), k"
    ),
}


def registered_names(session: Session, id_column: str) -> dict[str, str]:
    """Every own column of the register's hazards (``id_column`` "hazard_id") or releases
    ("release_id") with its name in any file or feature, in the order first recorded."""
    keys = [str(k) for (k,) in session.execute(text(_OWN_KEYS[id_column]))]
    return own_names(keys, TAKEN[id_column])


SHAPEFILE_TEXT_BYTES: Final = 254  # a shapefile's text field holds at most this many bytes


def shapefile_names(
    columns: Sequence[str], short: dict[str, str] = SHAPEFILE_NAMES
) -> dict[str, str]:
    """Each column's name in a shapefile: unique, at most 10 bytes. A name in a script
    other than Latin that does not fit is "f_" and 8 hexadecimal digits of its SHA-1, not
    its first bytes: "ບ້ານ" (village, 12 bytes) had been cut to "ບ້າ", another word (a GIS
    user's review, helper-110). The same column has the same name in every file, whatever
    columns are beside it (numbered by place, a column sorting earlier had renumbered it:
    helper-112). The zip's fields.csv names each column whole."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    # the last number given to the names of each first 10 bytes: those cut alike number
    # on from it rather than from 1 again (8,000 names of one start had taken 12.8 s:
    # helper-117); the names are the same, every lower number being taken already
    numbered: dict[str, int] = {}
    for column in columns:
        if column in short:
            stem = short[column]
        elif len(column.encode("utf-8")) <= 10 or all(ord(c) < 0x250 for c in column):
            stem = column  # (Latin letters, accents too, keep their sense when cut)
        else:
            digest = hashlib.sha1(column.encode("utf-8"), usedforsecurity=False)
            stem = f"f_{digest.hexdigest()[:8]}"
        # (no space at the end: a shapefile's field name keeps none, and "H116 note lao"
        # cut to "H116 note " had come back as a new column "H116 note": helper-116)
        name = bytes_of(stem, 10).rstrip()
        start = name.lower()
        n = numbered.get(start, 0)
        while name.lower() in taken:
            n += 1
            suffix = f"_{n}"
            name = bytes_of(stem, 10 - len(suffix)) + suffix
        numbered[start] = n
        taken.add(name.lower())
        names[column] = name
    return names


def bytes_of(name: str, size: int) -> str:
    """The longest start of ``name`` that is at most ``size`` bytes in UTF-8 (a shapefile's
    field name is 10 bytes: a Lao name cut at 10 characters was cut inside a character, and
    GDAL could not read the file)."""
    return name.encode("utf-8")[:size].decode("utf-8", "ignore")


def shapefile_fixed(id_column: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The register's columns a shapefile of its hazards ("hazard_id") or releases names
    first, whatever file of them it is, and their short names: an own column is never
    given one of them. "munitionsé", cut to "munitions" in the register's shapefile (which
    has no estimates), had been read back as the template's munitions (helper-117)."""
    if id_column == "hazard_id":
        return BOUNDARY_COLUMNS, BOUNDARY_SHAPEFILE_NAMES
    return RELEASE_COLUMNS, RELEASE_SHAPEFILE_NAMES


def names_back(session: Session, id_column: str, *, shapefile: bool = False) -> dict[str, str]:
    """Every name under which the register's files write one of its own columns, with the
    column's key: its name in the GeoPackage, the CSV and the workbook (its own, or
    "Village_1" for a "Village" recorded after "village"), and with ``shapefile`` its name
    in a shapefile, which is at most 10 bytes ("village_na", "f_1a2b3c4d"). A register file sent
    back is read under the keys (``ims.ingest.submissions``): a shapefile's had come back
    as new columns beside the register's own. Names are given once and in the order the
    register first recorded its columns, so a file names each column as when it was
    written; each name is one column's."""
    registered = registered_names(session, id_column)
    back = {name: key for key, name in registered.items()}
    if shapefile:
        fixed, short = shapefile_fixed(id_column)
        # as the shapefile is written (ims.queries.register_files): the register's columns
        # first, then every own column by its name in the other files
        cut = shapefile_names(list(dict.fromkeys([*fixed, *registered.values()])), short)
        back.update({cut[name]: key for key, name in registered.items()})
    return back
