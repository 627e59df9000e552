"""Finding a place on the national map: a hazard by its reference, a province or a
district by its name (docs/design.md §5.5).

A person reading the map knows a hazard's reference from a report or a district from a
field visit, not its coordinates; the map's find box answers with where to look. Under
location privacy hazards are not found (where one lies is what is withheld); provinces
and districts are.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.domain.place_names import search_key
from ims.queries.register import like

MOST = 8  # answers listed; a search that matches more asks for more of the name
LONGEST = 100  # characters searched: a reference or a name is shorter
# An area found is outlined on the map: without it, a district (which the map does not
# draw) or a province among its neighbours was not told from them (a walk-through).
# Simplified to about 100 m (a province, seen whole, to 300 m): some 10 KB an area.
OUTLINE_TOLERANCE = 0.001
ALIKE = 0.4  # pg_trgm similarity of a name found when none holds what was typed


@dataclass(frozen=True)
class Place:
    """One answer: what it is, its name as shown and where it lies."""

    kind: str  # "hazard", "province" or "district"
    label: str
    bounds: list[list[float]]  # [[south, west], [north, east]]
    reference: str | None = None  # a hazard's, for its page
    outline: dict[str, Any] | None = None  # an area's boundary (GeoJSON), simplified to draw
    code: str | None = None  # an area's code, for its figures (/map/figures?province=…)
    # a hazard's status, remaining_m2 and area_m2 on the map's date, as a click on it shows
    # them; None where it was not recorded by then
    state: dict[str, Any] | None = None
    # the other name (a gazetteer's) an area was found by: the map says it when it goes
    # straight to the one area found, or "Sayaboury" showed Xaignabouli unexplained
    also: str | None = None


def _bounds(row: object) -> list[list[float]]:
    west, south, east, north = (float(v) for v in row)  # type: ignore[attr-defined]
    return [[south, west], [north, east]]


# Each area's names as the find box compares them (ims.domain.place_names.search_key): its
# own, and those a gazetteer gave (migration 0041); ``own`` tells them apart. An area found
# by several is listed once, by the one that matches best.
# Its code too ("LA-XI", as `ims boundaries list` shows it), matched only whole: "LA"
# would be every area. ``how`` tells them apart, the area's own name preferred.
_NAMES = (
    "SELECT id AS area_id, name, lower(name) AS key, 'name' AS how FROM admin_area"
    " UNION ALL SELECT id, code, lower(code), 'code' FROM admin_area"
    " UNION ALL SELECT admin_area_id, name, key, 'other' FROM place_name"
)
_PREFERRED = "CASE n.how WHEN 'name' THEN 0 WHEN 'code' THEN 1 ELSE 2 END"
# Words that say what kind of area is meant ("Sayaboury province", "Muang Xay", ແຂວງ…):
# the name is the rest, and only that kind is listed
_KIND_WORDS = {
    # not "khouang": it is the end of Xiangkhouang, and alone it had listed every province
    1: ("province", "prov.", "khoueng", "ແຂວງ"),
    2: ("district", "dist.", "muang", "mueang", "meuang", "ເມືອງ"),
}
_AREAS = (
    "SELECT a.level, a.code, a.name, p.name, m.name, m.how,"
    " ST_AsGeoJSON(ST_SimplifyPreserveTopology(a.geom,"
    "  CASE WHEN a.level = 1 THEN 3 * :tolerance ELSE :tolerance END), 5),"
    " ST_XMin(a.geom), ST_YMin(a.geom), ST_XMax(a.geom), ST_YMax(a.geom)"
)
_AREA_JOIN = "JOIN admin_area a ON a.id = m.area_id LEFT JOIN admin_area p ON p.id = a.parent_id"


@dataclass(frozen=True)
class Found:
    """What the find box found: the places, whether more matched, and whether they are
    areas whose names only read like what was typed (none holds it)."""

    places: list[Place]
    more: bool
    alike: bool = False


def find(session: Session, q: str, *, hazards: bool, on: dt.date | None = None) -> Found:
    """Up to ``MOST`` places whose reference or name, or another name a gazetteer gave an
    area (``ims boundaries names``), holds ``q`` (any case): exact matches first, then
    those that begin with it, then the rest; within each, hazards, provinces, then
    districts; and whether more matched. If none does, the provinces and
    districts whose names read most like it (``alike``).

    ``hazards`` false leaves hazards out (location privacy). A hazard's state is the one
    in force ``on`` (today by default): the map's date.
    """
    q = q.strip()[:LONGEST]
    if not q:
        return Found([], False)
    anywhere = like(q.lower())  # %q%, its wildcards taken literally
    params = {
        "q": anywhere,
        "exact": q.lower(),
        "start": anywhere[1:],
        "n": MOST + 1,
        "on": on or dt.date.today(),
    }
    name, level = _kind_said(q)
    key = search_key(name)
    # the whole of what was typed, kind word and all, is a name too: "Vientiane Province"
    # is a gazetteer's name for Vientiane, apart from Vientiane Prefecture
    whole = search_key(q)
    keyed = {
        "key": like(key),
        "exact_key": key,
        "start_key": like(key)[1:],
        "level": level,
        "whole": whole,
    }
    rank = "CASE WHEN lower({c}) = :exact THEN 0 WHEN lower({c}) LIKE :start THEN 1 ELSE 2 END"
    key_rank = (
        "CASE WHEN {c} IN (:exact_key, :whole) THEN 0 WHEN {c} LIKE :start_key THEN 1 ELSE 2 END"
    )
    found: list[tuple[int, Place]] = []  # (how well the name matches, place)
    alike = False

    def closeness(name: str) -> int:
        low = search_key(name)
        return 0 if low in (key, whole) else 1 if low.startswith(key) else 2

    if hazards:
        rows = session.execute(
            text(
                "SELECT h.reference, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e),"
                " s.status, s.remaining_m2, s.area_m2 FROM ("
                " SELECT h.id, h.reference FROM hazard_in_force h"
                " WHERE lower(h.reference) LIKE :q"
                f" ORDER BY {rank.format(c='h.reference')}, h.reference LIMIT :n) h"
                " CROSS JOIN LATERAL (SELECT ST_Extent(r.geom)::geometry AS e"
                "  FROM hazard_revision r WHERE r.hazard_id = h.id) x"
                # the map's own state of it on the date (migration 0016's periods)
                " LEFT JOIN LATERAL (SELECT p.status, p.remaining_m2, p.area_m2"
                "  FROM hazard_period p WHERE p.hazard_id = h.id"
                "  AND p.during @> CAST(:on AS date) ORDER BY p.entry_no DESC LIMIT 1) s ON true"
                f" ORDER BY {rank.format(c='h.reference')}, h.reference"
            ),
            params,
        ).all()
        found += [
            (
                closeness(r[0]),
                Place(
                    "hazard",
                    f"{r[0]} (hazard)",
                    _bounds(r[1:5]),
                    r[0],
                    state=None
                    if r[5] is None
                    else {"status": r[5], "remaining_m2": r[6], "area_m2": r[7]},
                ),
            )
            for r in rows
            if r[1] is not None
        ]
    rows = session.execute(
        text(
            f"{_AREAS} FROM (SELECT DISTINCT ON (n.area_id) n.* FROM ({_NAMES}) n"
            " WHERE (n.key LIKE :key AND (n.how <> 'code' OR n.key = :exact_key)"
            "  OR n.key = :whole)"
            f" ORDER BY n.area_id, {key_rank.format(c='n.key')}, {_PREFERRED}) m {_AREA_JOIN}"
            " WHERE (a.level = coalesce(CAST(:level AS smallint), a.level) OR m.key = :whole)"
            f" ORDER BY {key_rank.format(c='m.key')}, a.level, a.name, p.name LIMIT :n"
        ),
        {**params, **keyed, "tolerance": OUTLINE_TOLERANCE},
    ).all()
    if not rows and not found:
        # Lao names are written many ways (Xieng Khouang, Xiangkhouang; Sekong, Xekong;
        # Saravane, Salavan): nothing by name, so the names that read most like it,
        # spaces left out (pg_trgm's similarity; 0.4 keeps Sekong → Xekong, not noise)
        rows = session.execute(
            text(
                f"{_AREAS} FROM (SELECT * FROM (SELECT DISTINCT ON (n.area_id) n.*,"
                "  similarity(replace(n.key, ' ', ''), replace(:exact_key, ' ', '')) AS alike"
                f"  FROM ({_NAMES}) n WHERE n.how <> 'code'"
                f"  ORDER BY n.area_id, alike DESC, {_PREFERRED}) n"
                " WHERE n.alike >= :alike) m"
                # of any kind, the kind said first: "Savannakhet district" found nothing
                # where Savannakhet is a province, and said nothing of it
                f" {_AREA_JOIN}"
                " ORDER BY a.level = coalesce(CAST(:level AS smallint), a.level) DESC,"
                " m.alike DESC, a.level, a.name LIMIT :n"
            ),
            {**params, **keyed, "tolerance": OUTLINE_TOLERANCE, "alike": ALIKE},
        ).all()
        alike = bool(rows)
    for area_level, code, area_name, parent, via, how, outline, *box in rows:
        kind = "province" if area_level == 1 else "district"
        said = f"district of {parent}" if area_level == 2 and parent else kind
        # found by another name: say which, or "Sayaboury" listed Xaignabouli unexplained
        also = f", also written {via}" if how == "other" else ""
        label = f"{area_name} ({said}{also})"
        shape = json.loads(outline) if outline else None
        other = via if how == "other" else None
        place = Place(kind, label, _bounds(box), outline=shape, code=code, also=other)
        found.append((closeness(via), place))
    if not alike:  # those alike keep their order: the kind said first, then the likest
        found.sort(key=lambda c: c[0])  # stable: hazards, provinces, districts within a rank
    if level is not None and not alike and found and found[0][0] == 0:
        # a name given whole with its kind ("Muang Xay", "Vientiane Province") is that
        # place: the others beginning with it had been listed, "type more of the name"
        found = [c for c in found if c[0] == 0]
    return Found([p for _, p in found[:MOST]], len(found) > MOST, alike)


def _kind_said(q: str) -> tuple[str, int | None]:
    """The name in ``q`` and the level of area its other words name, if they do:
    "Sayaboury province" → ("Sayaboury", 1), "Muang Sepone district" → ("Sepone", 2),
    "ແຂວງຊຽງຂວາງ" → ("ຊຽງຂວາງ", 1), "province" → ("", 1): every province. A first-time
    user's review found them finding nothing, and "province" alone finding Vientiane (by
    its other name "Vientiane Province"). Words naming both kinds name neither."""
    words = q.split()
    levels: set[int] = set()

    def kind_of(word: str) -> int | None:
        return next((lv for lv, said in _KIND_WORDS.items() if word.lower() in said), None)

    while words and (level := kind_of(words[-1])) is not None:
        levels.add(level)
        words.pop()
    while words and (level := kind_of(words[0])) is not None:
        levels.add(level)
        words.pop(0)
    if words and not levels:
        for lv, said in _KIND_WORDS.items():
            for word in said:  # Lao writes the word before the name, without a space
                if not word.isascii() and words[0].startswith(word) and len(words[0]) > len(word):
                    words[0] = words[0][len(word) :]
                    levels.add(lv)
    if not levels:
        return q, None
    return " ".join(words), next(iter(levels)) if len(levels) == 1 else None


@dataclass(frozen=True)
class AreaListed:
    """A province or district as ``ims boundaries list`` shows it."""

    level: int
    code: str
    name: str
    province: str | None  # a district's
    also: list[str]  # its other names, a gazetteer's


def areas_listed(session: Session) -> list[AreaListed]:
    """Every admin area held, provinces first, by code, with its other names."""
    rows = session.execute(
        text(
            "SELECT a.level, a.code, a.name, p.name,"
            " coalesce(array_agg(n.name ORDER BY n.name) FILTER (WHERE n.id IS NOT NULL), '{}')"
            " FROM admin_area a LEFT JOIN admin_area p ON p.id = a.parent_id"
            " LEFT JOIN place_name n ON n.admin_area_id = a.id"
            " GROUP BY a.id, p.name ORDER BY a.level, a.code"
        )
    ).all()
    return [
        AreaListed(level, code, name, parent, list(also))
        for level, code, name, parent, also in rows
    ]
