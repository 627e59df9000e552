"""Splitting a release polygon among the hazards it lies on (docs/design.md §2.7).

A legacy file's cleared areas rarely name their hazard, and a clearance drawn over two
hazards names one of them. ``split_release`` cuts the polygon by the boundaries in force on
its date: each hazard gets the part inside its boundary; what lies in no hazard is land
released outside recorded hazards, kept as a record of its own and never counted in the
remaining or released figures.

Hazards may overlap (§2.6): the ground two of them share is given to each, as each
hazard's own ledger then counts it once. The pieces and the outside part together cover the
polygon, but for parts under a square metre, and without overlapping hazards their areas
add up to its area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import shapely
from shapely.geometry import MultiPolygon

from ims.domain.geodesy import geodesic_areas
from ims.domain.polygons import EMPTY, clean, difference, intersection, object_array, polygonal

# A piece or an outside part smaller than this is overlay noise, not ground: a release
# drawn along its hazard's edges, both reprojected from UTM, left slivers a fraction of a
# millimetre wide outside it (0.03–0.11 m²), each recorded as land released outside
# hazards and warned of as "0 m² lies in no hazard" (found by a walk-through migrating
# legacy records). A square metre, below which a hazard is closed (§2.5), is no ground.
NOISE_M2: Final = 1.0


@dataclass(frozen=True)
class Piece:
    """The part of a release polygon inside one hazard's boundary."""

    hazard: str
    geometry: MultiPolygon
    area_m2: float


@dataclass(frozen=True)
class ReleaseSplit:
    """A release polygon cut by hazard boundaries: a piece per hazard, and the rest."""

    pieces: tuple[Piece, ...]
    outside: MultiPolygon
    outside_m2: float

    @property
    def whole(self) -> bool:
        """One hazard holds all of it: nothing to split."""
        return len(self.pieces) == 1 and self.outside_m2 == 0.0


def split_release(
    geometry: MultiPolygon, boundaries: Sequence[tuple[str, MultiPolygon]]
) -> ReleaseSplit:
    """Cut ``geometry`` by each (hazard reference, boundary in force on the release date).

    Pieces come in the order of ``boundaries``; a hazard the polygon only touches (no
    area in common) gets none.
    """
    geom = clean(geometry)
    inside = [(ref, intersection(geom, clean(boundary))) for ref, boundary in boundaries]
    areas = geodesic_areas([g for _, g in inside]).tolist() if inside else []
    pieces = tuple(
        Piece(ref, part, area)
        for (ref, part), area in zip(inside, areas, strict=True)
        if area > NOISE_M2
    )
    if not pieces:
        rest = geom
    else:
        cover = polygonal(shapely.union_all(object_array([clean(b) for _, b in boundaries])))
        rest = difference(geom, cover)
    rest_m2 = float(geodesic_areas([rest])[0]) if not rest.is_empty else 0.0
    if rest_m2 <= NOISE_M2:
        rest, rest_m2 = EMPTY, 0.0
    return ReleaseSplit(pieces, rest, rest_m2)
