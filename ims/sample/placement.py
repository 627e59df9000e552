"""Where the sample hazards lie and what shape they have (stages of ``ims.sample.generator``).

Hazards are placed in provinces by weight, many around strike hot spots; their footprints
are jittered ellipses, merged strings of them, multipolygons and polygons with a hole,
built about the origin in the metre frame; then they are moved off each other and inside
the border, but for a few that overlap a neighbour on purpose.
"""

from __future__ import annotations

import logging
from typing import Final

import numpy as np
import shapely

from ims.sample.provinces import BORDER_MARGIN_M
from ims.sample.shapes import F64, I64, Geoms, Mask, ellipses, in_threads, polygonal, translated
from ims.sample.state import HA, MIN_RELEASE_M2, Run

log = logging.getLogger(__name__)

_SEPARATION_ROUNDS: Final = 20


class Placement(Run):
    """The stages that place hazards and give them their footprints."""

    # ----------------------------------------------------------------------- locations

    def _uniform_points(self, which: I64) -> tuple[F64, F64]:
        """Points uniformly (by area) inside the given province of each row."""
        x = np.empty(which.size)
        y = np.empty(which.size)
        for p in np.unique(which).tolist():
            rows = np.flatnonzero(which == p)
            x[rows], y[rows] = self._points_in(p, rows.size)
        return x, y

    def _points_in(self, p: int, count: int) -> tuple[F64, F64]:
        """`count` points inside province `p` by bulk rejection sampling."""
        minx, miny, maxx, maxy = self.prov.bounds[p]
        xs: list[F64] = []
        ys: list[F64] = []
        need = count
        while need > 0:
            k = int(need / self.prov.fill[p] * 1.3) + 16
            x = self.rng.uniform(minx, maxx, k)
            y = self.rng.uniform(miny, maxy, k)
            inside = shapely.contains_xy(self.prov.geoms[p], x, y)
            xs.append(x[inside][:need])
            ys.append(y[inside][:need])
            need -= xs[-1].size
        return np.concatenate(xs), np.concatenate(ys)

    def _place(self) -> None:
        """Province of each hazard and its centre; ~60 % gathered around strike hot spots."""
        rng, n = self.rng, self.n
        self.province = rng.choice(len(self.prov.codes), size=n, p=self.prov.weights).astype(
            np.int64
        )
        x, y = self._uniform_points(self.province)
        clustered = rng.random(n) < 0.6
        for p in np.unique(self.province).tolist():
            rows = np.flatnonzero(clustered & (self.province == p))
            if rows.size == 0:
                continue
            n_spots = max(1, round(np.count_nonzero(self.province == p) / 120))
            sx, sy = self._points_in(p, n_spots)
            sigma = rng.uniform(1500.0, 6000.0, n_spots)
            spot = rng.integers(0, n_spots, rows.size)
            cx = sx[spot] + rng.normal(0.0, 1.0, rows.size) * sigma[spot]
            cy = sy[spot] + rng.normal(0.0, 1.0, rows.size) * sigma[spot]
            inside = shapely.contains_xy(self.prov.geoms[p], cx, cy)
            x[rows[inside]] = cx[inside]
            y[rows[inside]] = cy[inside]
        self.x, self.y = x, y

    # ----------------------------------------------------------------------- footprints

    def _footprints(self) -> None:
        """Strike footprints at the origin: ellipses, merged strings, multipolygons, holes."""
        rng, n = self.rng, self.n
        # 0 single ellipse, 1 merged string of 2-4 ellipses, 2 separate parts, 3 with a hole
        kind = rng.choice(4, size=n, p=[0.56, 0.30, 0.10, 0.04])
        u = rng.random(n)
        lo = np.where(u < 0.05, 0.25, np.where(u > 0.97, 40.0, 0.6)) * HA
        hi = np.where(u < 0.05, 0.6, np.where(u > 0.97, 120.0, 40.0)) * HA
        area = np.exp(rng.uniform(np.log(lo), np.log(hi)))
        parts = np.ones(n, dtype=np.int64)
        parts[kind == 1] = rng.integers(2, 5, np.count_nonzero(kind == 1))
        parts[kind == 2] = rng.integers(2, 4, np.count_nonzero(kind == 2))
        part_area = np.where(kind == 1, area / (parts * 0.7), area / parts)
        heading = rng.uniform(0.0, np.pi, n)

        # Component layers: layer L holds the L-th part of every hazard with more than L.
        px = np.zeros(n)
        py = np.zeros(n)
        prev_a = np.zeros(n)
        owners: list[I64] = []
        cxs: list[F64] = []
        cys: list[F64] = []
        axes_a: list[F64] = []
        axes_b: list[F64] = []
        rots: list[F64] = []
        for layer in range(int(parts.max())):
            own = np.flatnonzero(parts > layer)
            aspect = rng.uniform(1.5, 4.0, own.size)
            a = np.sqrt(part_area[own] * aspect / np.pi)
            b = a / aspect
            rot = np.where(
                kind[own] == 2,
                rng.uniform(0.0, np.pi, own.size),
                heading[own] + rng.normal(0.0, 0.15, own.size),
            )
            if layer > 0:
                merged = kind[own] == 1
                # A string of strikes overlaps along the flight line; separate parts do not
                # (parts fit in circles of 1.1 a, so 1.25 (a + a') apart never touch).
                gap = np.where(
                    merged, rng.uniform(0.35, 0.6, own.size), rng.uniform(1.25, 2.0, own.size)
                ) * (prev_a[own] + a)
                direction = heading[own] + np.where(merged, 0.0, rng.uniform(-0.6, 0.6, own.size))
                lateral = np.where(merged, rng.normal(0.0, 0.3, own.size) * b, 0.0)
                px[own] += gap * np.cos(direction) - lateral * np.sin(direction)
                py[own] += gap * np.sin(direction) + lateral * np.cos(direction)
            prev_a[own] = a
            owners.append(own)
            cxs.append(px[own].copy())
            cys.append(py[own].copy())
            axes_a.append(a)
            axes_b.append(b)
            rots.append(rot)
        owner = np.concatenate(owners)
        cx, cy = np.concatenate(cxs), np.concatenate(cys)
        # About 24-40 vertices a hazard once merged: fewer per part when there are several.
        per_part = np.where(kind == 1, 1.5 / parts, np.where(kind == 2, 0.65, 1.0))[
            owner
        ] * rng.uniform(24, 36, owner.size)
        vertices = np.maximum(12, np.rint(per_part)).astype(np.int64)
        # Centre every hazard on the mean of its parts' centres.
        mean_x = np.bincount(owner, weights=cx, minlength=n) / parts
        mean_y = np.bincount(owner, weights=cy, minlength=n) / parts
        comps = ellipses(
            rng,
            cx - mean_x[owner],
            cy - mean_y[owner],
            np.concatenate(axes_a),
            np.concatenate(axes_b),
            np.concatenate(rots),
            vertices=vertices,
        )
        local = comps[:n].copy()  # layer 0 is every hazard in order
        offset = n
        for own in owners[1:]:
            local[own] = in_threads(shapely.union, local[own], comps[offset : offset + own.size])
            offset += own.size
        holed = np.flatnonzero(kind == 3)
        if holed.size:
            a0, b0 = axes_a[0][holed], axes_b[0][holed]
            shift = rng.uniform(-0.2, 0.2, holed.size) * a0
            hole_a = b0 * rng.uniform(0.15, 0.3, holed.size)
            holes = ellipses(
                rng,
                shift * np.cos(rots[0][holed]),
                shift * np.sin(rots[0][holed]),
                hole_a,
                hole_a / rng.uniform(1.0, 1.8, holed.size),
                rng.uniform(0.0, np.pi, holed.size),
                vertices=(12, 18),
                jitter=0.02,
            )
            local[holed] = shapely.difference(local[holed], holes)
        self.local = local

    # ----------------------------------------------------------------------- overlaps

    def _separate(self) -> None:
        """Move hazards off each other and inside the border; ~2 % overlap a neighbour on purpose.

        A footprint centred near the border may reach across it, and `ims import` refuses a
        polygon outside the country (a release cut from such a hazard can lie wholly
        outside): such hazards move, like overlapping ones, to a free spot in their
        province at least BORDER_MARGIN_M inside the border.
        """
        rng, n, inside = self.rng, self.n, self.prov.inside
        placed = translated(self.local, self.x, self.y)
        anchored = np.zeros(n, dtype=bool)
        n_pairs = round(0.02 * n)
        if n_pairs and n >= 2 * n_pairs:
            chosen = rng.choice(n, size=2 * n_pairs, replace=False)
            movers, partners = chosen[:n_pairs], chosen[n_pairs:]
            coords, index = shapely.get_coordinates(placed[partners], return_index=True)
            counts = np.bincount(index, minlength=n_pairs)
            vertex = np.cumsum(counts) - counts + rng.integers(0, counts)
            # Centred on a vertex of its partner's boundary: the two overlap in part.
            self.x[movers], self.y[movers] = coords[vertex, 0], coords[vertex, 1]
            self.province[movers] = self.province[partners]
            placed[movers] = translated(self.local[movers], self.x[movers], self.y[movers])
            overlapping = (
                shapely.intersects(placed[movers], placed[partners])
                & inside(placed[movers])
                & inside(placed[partners])
            )
            anchored[movers[overlapping]] = True
            anchored[partners[overlapping]] = True
        moving = np.union1d(
            self._conflicts(placed, anchored, None), np.flatnonzero(~inside(placed))
        )
        for _ in range(_SEPARATION_ROUNDS):
            if moving.size == 0:
                break
            self._relocate(placed, moving, tries=8 if moving.size > 1000 else 64)
            moving = np.union1d(
                self._conflicts(placed, anchored, moving), moving[~inside(placed[moving])]
            )
        if moving.size:
            log.debug("%d hazards still overlap another after separation", moving.size)
        self._pull_inside(placed)
        # Report every overlap there is: the planned pairs, and any other contact among them.
        i, j = shapely.STRtree(placed).query(placed, predicate="intersects")
        self.overlap_pairs = [(a, b) for a, b in zip(i.tolist(), j.tolist(), strict=True) if a < b]
        self.placed = placed
        del self.local  # only needed to move hazards about

    def _relocate(self, placed: Geoms, moving: I64, tries: int) -> None:
        """Move each hazard to the first of a few random spots in its province that is free.

        Where the priority provinces are crowded a random spot is often taken; trying
        several at once settles nearly every hazard in one round. A hazard with no free
        spot among its tries stays put (and is tried again next round).
        """
        rep = np.repeat(moving, tries)
        x, y = self._uniform_points(self.province[rep])
        candidates = translated(self.local[rep], x, y)
        hit, other = shapely.STRtree(placed).query(candidates, predicate="intersects")
        taken = ~self.prov.inside(candidates)
        taken[hit[other != rep[hit]]] = True  # its own old place is no obstacle
        free = ~taken.reshape(moving.size, tries)
        settled = free.any(axis=1)
        pick = (np.arange(moving.size) * tries + free.argmax(axis=1))[settled]
        rows = moving[settled]
        self.x[rows], self.y[rows] = x[pick], y[pick]
        placed[rows] = candidates[pick]

    def _pull_inside(self, placed: Geoms) -> None:
        """Clip to the country's inner part what found no free spot inside it (rare).

        A footprint with nothing left becomes a small disc at a point of its province well
        inside the border (it may overlap another hazard: the overlap is then listed).
        """
        out = np.flatnonzero(~self.prov.inside(placed))
        if out.size == 0:
            return
        log.debug("clipping %d hazards that found no free spot inside the border", out.size)
        clipped = polygonal(shapely.intersection(placed[out], self.prov.inner))
        empty = shapely.is_missing(clipped) | (shapely.area(clipped) < 100 * MIN_RELEASE_M2)
        for i in np.flatnonzero(empty).tolist():
            p = self.province[out[i]]
            deeper = shapely.buffer(self.prov.inner, -BORDER_MARGIN_M)
            room = shapely.intersection(self.prov.geoms[p], deeper)
            centre = shapely.point_on_surface(room if not room.is_empty else self.prov.inner)
            clipped[i] = shapely.buffer(centre, 0.8 * BORDER_MARGIN_M, quad_segs=8)
        placed[out] = clipped

    @staticmethod
    def _conflicts(placed: Geoms, anchored: Mask, subset: I64 | None) -> I64:
        """Hazards to move: one of each intersecting pair (the smaller), never an anchored one."""
        tree = shapely.STRtree(placed)
        if subset is None:
            i, j = tree.query(placed, predicate="intersects")
            keep = i > j
        else:
            k, j = tree.query(placed[subset], predicate="intersects")
            i = subset[k]
            in_subset = np.zeros(len(placed), dtype=bool)
            in_subset[subset] = True
            keep = (i != j) & (~in_subset[j] | (i > j))  # a pair of movers moves one
        i, j = i[keep], j[keep]
        # Move the smaller of the two: a small footprint finds a free spot more easily.
        area = shapely.area(placed[i]), shapely.area(placed[j])
        small, large = np.where(area[0] <= area[1], i, j), np.where(area[0] <= area[1], j, i)
        mover = np.where(~anchored[small], small, np.where(~anchored[large], large, -1))
        return np.unique(mover[mover >= 0]).astype(np.int64)
