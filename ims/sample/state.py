"""What one run of the sample generator shares among its stages (``ims.sample.generator``).

The stages are grouped by what they decide: where hazards lie and their shape
(``placement``), what happens to them over time (``history``), and their attribute values
and the tables (``tables``). Each group is a class over `Run`, which declares the arrays
they fill; the generator's run combines the three and calls the stages in order, each
reading what earlier ones set. Arrays run over the hazards (n) or over the release pieces
and releases (m).
"""

from __future__ import annotations

from typing import Final

import numpy as np

from ims.sample.provinces import Provinces
from ims.sample.shapes import F64, I64, Geoms, Mask

HA: Final = 10_000.0  # m² in a hectare
MIN_RELEASE_M2: Final = 10.0  # a release piece holding less of its hazard is no release
CANCEL, REDUCE, CLEAR = 0, 1, 2  # release methods, as the arrays hold them


class Run:
    """The parameters of one generation run and the arrays its stages fill."""

    # The parameters (set before the first stage).
    n: int  # hazards
    rng: np.random.Generator  # every draw, in the order of the stages
    prov: Provinces
    start_year: int
    end_year: int
    end_day: int  # 31 December of end_year, in days since 1970-01-01

    # Placement: where each hazard lies, in the local metre frame.
    province: I64
    x: F64
    y: F64
    local: Geoms  # footprints about the origin (until the hazards are separated)
    placed: Geoms  # footprints in place (until reprojected)
    overlap_pairs: list[tuple[int, int]]  # hazards that overlap, on purpose or not

    # History: each hazard's timeline, its polygons in EPSG:4326, its releases (m).
    recorded: I64  # day numbers since 1970-01-01, as every *_day
    sha0: Mask  # recorded as a suspected area
    bound_rev: Mask  # its boundary is revised
    bound_day: I64
    bound_factor: F64  # how the revision scales the boundary
    final: Geoms  # the boundary after any revision, metres (until releases are cut)
    reclass: Mask  # reclassified from SHA to CHA
    reclass_day: I64
    cha_day: I64  # confirmed from this day
    pieces: I64  # planned release pieces of each hazard
    piece_owner: I64
    piece_order: I64
    piece_method: I64  # CANCEL, REDUCE or CLEAR
    piece_day: I64
    placed_deg: Geoms
    final_deg: Geoms
    final_m2: F64
    rel_deg: Geoms
    rel_area: F64
    rel_owner: I64
    rel_method: I64
    rel_day: I64
    rel_outside: Mask  # extends a little outside its hazard (an anomaly)
    rel_overlap: Mask  # overlaps the previous release of its hazard (an anomaly)

    # Tables: attribute values of hazards and releases.
    contam: Geoms
    estimate: I64  # estimated remnants, (n, munition codes)
    used_from: I64
    used_to: I64
    marked_day: I64  # -1: not marked
    operator: I64  # index into OPERATORS, as every *operator
    reclass_operator: I64
    rel_operator: I64
    rel_items: I64  # items found, (m, munition codes)
    rel_mismatch: Mask  # stated area 10-30 % off (an anomaly)
    rel_stated: F64
