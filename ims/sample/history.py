"""What happens to the sample hazards over time (stages of ``ims.sample.generator``).

The timeline of each hazard (recording, reclassification, boundary revisions and the
dates of its release pieces), its polygons in EPSG:4326, and the release polygons cut
from them.
"""

from __future__ import annotations

import logging
from typing import Final

import numpy as np
import shapely

from ims.ingest.validate import SLIVER_COMPACTNESS
from ims.sample.shapes import (
    F64,
    I64,
    Geoms,
    ellipses,
    ellipsoidal_area,
    in_threads,
    polygonal,
    reproject,
    scaled,
)
from ims.sample.state import CANCEL, CLEAR, MIN_RELEASE_M2, REDUCE, Run

log = logging.getLogger(__name__)

_M_PER_DEGREE: Final = 111_320.0  # a degree of latitude, near enough for a buffer margin


def _group_cumsum(values: F64, counts: I64) -> F64:
    """Cumulative sums restarting at each group of consecutive `counts` elements."""
    total = np.cumsum(values)
    starts = np.cumsum(counts) - counts
    before = np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0.0)
    return np.asarray(total - np.repeat(before, counts), dtype=np.float64)


def _repair(geoms: Geoms, what: str) -> None:
    """Make the invalid geometries valid in place, keeping their polygonal part."""
    broken = np.flatnonzero(~shapely.is_valid(geoms))
    if broken.size:
        log.debug("repairing %d %s", broken.size, what)
        geoms[broken] = polygonal(shapely.make_valid(geoms[broken]))


def _year_start(years: I64) -> I64:
    """Day number of 1 January of each year."""
    return (years - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)


class History(Run):
    """The stages that draw each hazard's timeline and cut its releases."""

    # ----------------------------------------------------------------------- timeline

    def _timeline(self) -> None:
        """Recording dates, status, boundary revisions, reclassifications and release plans."""
        rng, n = self.rng, self.n
        years = np.arange(self.start_year, self.end_year + 1)
        later = years[1:]
        baseline = rng.random(n) < 0.65 if later.size else np.ones(n, dtype=bool)
        year = np.full(n, self.start_year, dtype=np.int64)
        if later.size:
            w = 1.0 + 0.5 * (later - self.start_year).astype(np.float64)
            year[~baseline] = rng.choice(later, size=np.count_nonzero(~baseline), p=w / w.sum())
        first = _year_start(year)
        length = _year_start(year + 1) - first
        self.recorded = first + (rng.random(n) * length).astype(np.int64)

        sha = rng.random(n) < np.where(baseline, 0.78, 0.45)
        self.sha0 = sha
        # Boundary revisions: ~5 %, grown (60 %) or shrunk, soon after recording.
        self.bound_rev = rng.random(n) < 0.05
        self.bound_day = self.recorded + rng.integers(15, 300, n)
        grow = rng.random(n) < 0.6
        self.bound_factor = np.where(grow, rng.uniform(1.04, 1.15, n), rng.uniform(0.85, 0.96, n))
        self.final = self.placed.copy()
        rev = np.flatnonzero(self.bound_rev)
        self.final[rev] = scaled(self.placed[rev], self.bound_factor[rev])
        # A revised boundary that would reach across the border is not made.
        across = rev[~self.prov.inside(self.final[rev])]
        self.bound_rev[across] = False
        self.final[across] = self.placed[across]
        t0 = np.where(self.bound_rev, self.bound_day, self.recorded) + 1

        # Fates. SHA: cancel whole | cancel part then confirm | confirm then work |
        # confirm only | untouched. CHA: work | untouched.
        u = rng.random(n)
        n_cancel = np.zeros(n, dtype=np.int64)
        reclass = np.zeros(n, dtype=bool)
        worked = np.zeros(n, dtype=bool)
        cancel_all = sha & (u < 0.25)
        cancel_part = sha & (u >= 0.25) & (u < 0.55)
        confirm_work = sha & (u >= 0.55) & (u < 0.77)
        confirm_only = sha & (u >= 0.77) & (u < 0.87)
        n_cancel[cancel_all] = np.where(rng.random(np.count_nonzero(cancel_all)) < 0.75, 1, 2)
        n_cancel[cancel_part] = rng.integers(1, 3, np.count_nonzero(cancel_part))
        reclass[cancel_part | confirm_work | confirm_only] = True
        worked[cancel_part | confirm_work] = True
        worked[~sha & (u < 0.8)] = True
        n_work = np.where(worked, 1 + rng.poisson(5.5, n), 0).clip(0, 12)
        n_reduce = np.minimum(rng.choice(3, size=n, p=[0.55, 0.35, 0.10]), n_work)

        # One row per planned release piece, in cutting order along the hazard.
        pieces = n_cancel + n_work
        owner = np.repeat(np.arange(n), pieces)
        order = np.arange(owner.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        cancelling = order < n_cancel[owner]
        method = np.where(
            cancelling,
            CANCEL,
            np.where(order - n_cancel[owner] < n_reduce[owner], REDUCE, CLEAR),
        )
        phase_first = (order == 0) | (order == n_cancel[owner])
        gap = rng.integers(0, 45, owner.size).astype(np.float64)
        gap = np.where(cancelling, gap, gap * 2 + 3)  # clearance moves slower than survey
        gap[phase_first] = 0.0
        # Days after the start of each phase (cancellations, then survey and clearance).
        phase_id = owner * 2 + (~cancelling).astype(np.int64)
        phase_counts = np.bincount(np.unique(phase_id, return_inverse=True)[1]).astype(np.int64)
        offset = _group_cumsum(gap, phase_counts).astype(np.int64)

        # Capacity, not backlog, sets the pace: the clearance of each hazard starts at a day
        # drawn uniformly between its recording and a horizon some years past end_year (so
        # every year sees a similar amount of work, and some is still to come); its survey
        # (cancellations, reclassification) falls between recording and that start.
        def between(lo: I64, hi: I64 | int) -> I64:
            return np.asarray(lo + (rng.random(n) * np.maximum(hi - lo, 0)), dtype=np.int64)

        survey_horizon = self.end_day + 365
        planned_work = between(t0, self.end_day + 4 * 365)
        last_cancel = np.zeros(n, dtype=np.int64)
        np.maximum.at(last_cancel, owner[cancelling], offset[cancelling])
        cancel_start = np.where(
            worked, between(t0, t0 + (planned_work - t0) * 3 // 5), between(t0, survey_horizon)
        )
        survey_end = np.where(n_cancel > 0, cancel_start + last_cancel + 10, t0)
        self.reclass = reclass
        self.reclass_day = np.where(
            worked,
            between(survey_end, planned_work),
            between(survey_end, np.maximum(survey_end, survey_horizon)),
        )
        self.cha_day = np.where(sha, self.reclass_day, self.recorded)  # CHA from this day
        work_start = np.maximum(planned_work, np.where(reclass, self.reclass_day, t0)) + 1
        day = np.where(cancelling, cancel_start[owner], work_start[owner]) + offset
        self.pieces = pieces
        self.piece_owner = owner
        self.piece_order = order
        self.piece_method = method.astype(np.int64)
        self.piece_day = day.astype(np.int64)

    # ----------------------------------------------------------------------- reprojection

    def _reproject(self) -> None:
        """Hazard polygons to EPSG:4326 in one pass; anything the transform broke is repaired."""
        rev = np.flatnonzero(self.bound_rev)
        every = reproject(np.concatenate([self.placed, self.final[rev]]), self.prov.to_degrees)
        _repair(every, "hazard polygons after reprojection")
        n = self.n
        self.placed_deg = every[:n]
        self.final_deg = every[:n].copy()
        self.final_deg[rev] = every[n:]
        self.final_m2 = np.asarray(shapely.area(self.final), dtype=np.float64)
        del self.placed  # the final boundary in metres is still needed to lay out cuts

    # ----------------------------------------------------------------------- releases

    def _cut_releases(self) -> None:
        """Release polygons: strips across the hazard, a sub-ellipse and the rest, or whole.

        Cuts are laid out in the metre frame and applied to the EPSG:4326 hazards, so a
        release shares its hazard's vertices and its neighbours' cut lines exactly, as the
        area accounting sees them (cutting in metres and reprojecting would leave slivers).
        """
        rng, n = self.rng, self.n
        owner, order, pieces = self.piece_owner, self.piece_order, self.pieces
        m = owner.size
        final, hazard = self.final, self.final_deg
        base = hazard[owner]

        outside = rng.random(m) < 0.02
        if outside.any():
            margin = rng.uniform(5.0, 25.0, np.count_nonzero(outside)) / _M_PER_DEGREE
            base[outside] = shapely.buffer(base[outside], margin, quad_segs=2)

        ellipse_mode = (pieces == 2) & (rng.random(n) < 0.35)
        strip_mode = (pieces >= 2) & ~ellipse_mode
        overlap = (order > 0) & strip_mode[owner] & (rng.random(m) < 0.03)
        # only onto a piece released before it: of two released the same day (two
        # cancellations with no gap between) the file's order, not the cutting order, says
        # which came first, so which one `overlaps_release` names; a back-dated or sent
        # again first piece comes after it in the file, and a warning went unlisted
        # (helper-125; the property test over random seeds found one in about 4,000)
        overlap[1:] &= self.piece_day[1:] > self.piece_day[:-1]
        geoms = base.copy()  # whole-hazard pieces stay as they are

        # Strips: cut the hazard across a random direction at spaced positions.
        strips = np.flatnonzero(strip_mode[owner])
        if strips.size:
            hz = np.flatnonzero(strip_mode)
            phi = rng.uniform(0.0, np.pi, n)
            coords, index = shapely.get_coordinates(final[hz], return_index=True)
            cos, sin = np.cos(phi[hz])[index], np.sin(phi[hz])[index]
            p = coords[:, 0] * cos + coords[:, 1] * sin
            q = coords[:, 1] * cos - coords[:, 0] * sin
            starts = np.cumsum(np.bincount(index, minlength=hz.size))
            starts = np.concatenate([[0], starts[:-1]])
            pmin = np.full(n, np.nan)
            pmax = np.full(n, np.nan)
            qmin = np.full(n, np.nan)
            qmax = np.full(n, np.nan)
            pmin[hz] = np.minimum.reduceat(p, starts)
            pmax[hz] = np.maximum.reduceat(p, starts)
            qmin[hz] = np.minimum.reduceat(q, starts) - 200.0
            qmax[hz] = np.maximum.reduceat(q, starts) + 200.0
            o = owner[strips]
            width = rng.uniform(1.0, 2.0, strips.size)
            frac = _group_cumsum(width, pieces[strip_mode]) / np.repeat(
                np.bincount(o, weights=width, minlength=n)[strip_mode], pieces[strip_mode]
            )
            span = pmax[o] - pmin[o]
            hi = pmin[o] + span * (0.06 + 0.88 * frac)
            lo = np.concatenate([[0.0], hi[:-1]])
            first = order[strips] == 0
            last = order[strips] == pieces[o] - 1
            lo = np.where(first, pmin[o] - 200.0, lo)
            hi = np.where(last, pmax[o] + 200.0, hi)
            lo = np.where(overlap[strips], lo - rng.uniform(0.1, 0.3, strips.size) * (hi - lo), lo)
            c, s = np.cos(phi[o]), np.sin(phi[o])
            corners_p = np.column_stack([lo, hi, hi, lo])
            corners_q = np.column_stack([qmin[o], qmin[o], qmax[o], qmax[o]])
            xy = np.stack(
                [
                    corners_p * c[:, None] - corners_q * s[:, None],
                    corners_p * s[:, None] + corners_q * c[:, None],
                ],
                axis=-1,
            )
            # Neighbouring strips share their corner points, hence their edge after
            # reprojection too.
            rects = reproject(np.asarray(shapely.polygons(xy), dtype=object), self.prov.to_degrees)
            geoms[strips] = in_threads(shapely.intersection, base[strips], rects)
            del rects

        # Sub-ellipse: the first piece is the hazard inside it, the second the rest.
        sub = np.flatnonzero(ellipse_mode[owner])
        if sub.size:
            hz = np.flatnonzero(ellipse_mode)
            centre = shapely.get_coordinates(shapely.centroid(final[hz]))
            radius = np.sqrt(shapely.area(final[hz]) / np.pi)
            a = radius * rng.uniform(0.6, 1.0, hz.size)
            cut = ellipses(
                rng,
                centre[:, 0] + rng.normal(0.0, 0.2, hz.size) * radius,
                centre[:, 1] + rng.normal(0.0, 0.2, hz.size) * radius,
                a,
                a / rng.uniform(1.0, 1.8, hz.size),
                rng.uniform(0.0, np.pi, hz.size),
            )
            cut = reproject(cut, self.prov.to_degrees)
            where = np.searchsorted(hz, owner[sub])
            inner = order[sub] == 0
            geoms[sub[inner]] = shapely.intersection(base[sub[inner]], cut[where[inner]])
            geoms[sub[~inner]] = shapely.difference(base[sub[~inner]], cut[where[~inner]])
        del self.final, base

        geoms = polygonal(geoms)
        area = np.zeros(m)
        present = ~shapely.is_missing(geoms)
        area[present] = ellipsoidal_area(geoms[present])
        # What a piece of a buffered hazard holds of the hazard itself: a strip across the
        # gap between two parts of a hazard holds nothing but buffer, a release that would
        # miss its hazard (an error `ims import` refuses), so it is no release at all.
        inside = area.copy()
        rows = np.flatnonzero(outside & present)
        inside[rows] = ellipsoidal_area(shapely.intersection(geoms[rows], hazard[owner[rows]]))
        keep = (inside >= MIN_RELEASE_M2) & (self.piece_day <= self.end_day)
        # A piece cut as a thin strip (what a hazard's last clearance left of it, 15 m² in
        # a 1:300 strip) is what `ims import` warns of as a digitising slip: no operator
        # draws one, and a clean file must raise no warning the anomalies do not explain
        # (a property test found seed 6015)
        with np.errstate(divide="ignore", invalid="ignore"):
            length = shapely.length(geoms)
            thin = 4 * np.pi * shapely.area(geoms) / (length * length) < SLIVER_COMPACTNESS
        keep &= ~(present & thin)
        geoms, area, inside, owner = geoms[keep], area[keep], inside[keep], owner[keep]
        outside, overlap = outside[keep], overlap[keep]
        # Flag only what really happened: a piece inside the hazard anyway, or whose
        # predecessor was empty, is no anomaly.
        outside &= area - inside > 1.0
        rows = np.flatnonzero(overlap & (np.arange(owner.size) > 0))
        prev = rows - 1
        same = owner[prev] == owner[rows]
        common = np.zeros(rows.size)
        common[same] = ellipsoidal_area(shapely.intersection(geoms[rows[same]], geoms[prev[same]]))
        overlap[:] = False
        overlap[rows] = common > 1.0
        _repair(geoms, "release polygons")
        self.rel_deg = geoms
        self.rel_area = area
        self.rel_owner = owner
        self.rel_method = self.piece_method[keep]
        self.rel_day = self.piece_day[keep]
        self.rel_outside = outside
        self.rel_overlap = overlap
