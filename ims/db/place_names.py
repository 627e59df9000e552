"""Loading a gazetteer's other names of the admin areas (docs/design.md §5.5).

The names are search aids, not records: a gazetteer file is the whole list, and loading
it again replaces what was loaded before (a name taken out of the file is taken out of
the find box). The audit keeps each load's names added and removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ims.db import audit
from ims.db.audit import Actor
from ims.db.models import AdminArea, PlaceName
from ims.domain.place_names import PlaceNameRow, search_key
from ims.errors import InvalidUpload

AUDITED = 500  # names listed in an audit event at most; the counts are whole


@dataclass(frozen=True)
class NamesLoad:
    """What a load changed: names added and removed, kept as they were, and left out as
    the area's own name or a repeat of one listed."""

    added: int
    removed: int
    kept: int
    ignored: int
    areas: int
    removed_names: list[str]  # "LA-XA Xaignabouli: Sainyabuli"
    # another area's own name given as an other name: the find box lists both areas for it
    clashes: list[str]


def load_place_names(
    session: Session,
    rows: Sequence[PlaceNameRow],
    *,
    source: str,
    by: Actor | str | None,
) -> NamesLoad:
    """Make the areas' other names those of ``rows`` (in the caller's transaction).
    InvalidUpload, and nothing changed, if a line names an area ims does not hold."""
    held_areas = session.execute(
        select(AdminArea.id, AdminArea.level, AdminArea.code, AdminArea.name, AdminArea.parent_id)
    ).all()
    areas = {(level, code): (area_id, name) for area_id, level, code, name, _ in held_areas}
    # a district and its province often share a name (Luang Prabang, Champasak): one
    # given the other's is no slip, and the shipped gazetteer warned of six on every load
    kin = {(a, p) for a, *_, p in held_areas if p is not None}
    kin |= {(p, a) for a, p in kin}
    unknown = [r for r in rows if (r.level, r.code) not in areas]
    if unknown:
        said = "; ".join(
            f"line {r.line}, code: no {'province' if r.level == 1 else 'district'} {r.code!r}"
            for r in unknown[:20]
        )
        more = f"; and {len(unknown) - 20} more" if len(unknown) > 20 else ""
        raise InvalidUpload(
            f"{source}: nothing was loaded: {said}{more} (ims boundaries list gives the "
            "codes of the areas held)"
        )
    wanted: dict[tuple[int, str], str] = {}  # (area, key) → name, first written kept
    owners = {
        search_key(name): (level, code, area_id) for (level, code), (area_id, name) in areas.items()
    }
    clashes: list[str] = []
    ignored = 0
    for r in rows:
        area_id, own = areas[(r.level, r.code)]
        key = search_key(r.name)
        if key == search_key(own) or (area_id, key) in wanted:
            ignored += 1
            continue
        wanted[(area_id, key)] = r.name
        if key in owners and (area_id, owners[key][2]) not in kin:
            level, code, _ = owners[key]
            clashes.append(
                f"line {r.line}: {r.name!r}, given to {r.code}, is the name of "
                f"{'province' if level == 1 else 'district'} {code}: the find box lists both"
            )
    held = {
        (area_id, key): (row_id, name)
        for row_id, area_id, key, name in session.execute(
            select(PlaceName.id, PlaceName.admin_area_id, PlaceName.key, PlaceName.name)
        )
    }
    gone = [k for k in held if k not in wanted]
    new = [k for k in wanted if k not in held]
    names = {area_id: f"{code} {name}" for (_, code), (area_id, name) in areas.items()}
    if gone:
        session.execute(delete(PlaceName).where(PlaceName.id.in_([held[k][0] for k in gone])))
    if new:
        session.execute(
            insert(PlaceName),
            [
                {"admin_area_id": a, "name": wanted[(a, k)], "key": k, "source": source}
                for a, k in new
            ],
        )
    audit.record(
        session,
        by,
        "place_names.loaded",
        "admin_area",
        "other names",
        before={"removed": [f"{names[a]}: {held[(a, k)][1]}" for a, k in gone][:AUDITED]}
        if gone
        else None,
        after={
            "source": source,
            "added": [f"{names[a]}: {wanted[(a, k)]}" for a, k in new][:AUDITED],
            "names": len(wanted),
        },
    )
    return NamesLoad(
        added=len(new),
        removed=len(gone),
        kept=len(wanted) - len(new),
        ignored=ignored,
        areas=len({a for a, _ in wanted}),
        removed_names=[f"{names[a]}: {held[(a, k)][1]}" for a, k in gone],
        clashes=clashes,
    )
