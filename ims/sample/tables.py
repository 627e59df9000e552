"""The attribute values of the sample data and the tables they fill (``ims.sample.generator``).

Contamination, estimated remnants, years of use, marking, operators and the items each
release found; then the hazard and release features in the exchange template (the table
of ``ims.ingest.fields``) and the list of deliberate anomalies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from ims.domain.enums import Contamination, HazardStatus, ReleaseMethod
from ims.ingest.fields import HAZARDS, RELEASES, Field, FieldType
from ims.sample.provinces import OPERATORS
from ims.sample.shapes import F64, I64, Geoms, Mask
from ims.sample.state import CLEAR, HA, REDUCE, Run

ANOMALY_FIELDS: Final = ("kind", "hazard_id", "release_id", "detail")

ANOMALY_KINDS: Final = {
    "hazard_overlap": "the hazard overlaps another hazard (detail: the other hazard_id)",
    "boundary_shrunk": "a boundary revision shrank the hazard (an adjustment, docs/design.md §2.3)",
    "release_overlaps_previous": "the release overlaps the previous release of its hazard",
    "release_outside_hazard": "the release extends a little outside its hazard",
    "back_dated": "submitted late: its release_id follows releases with later dates",
    "duplicate_release": "exact copy of another release (detail) under a new release_id",
    "area_mismatch": "the stated area_m2 is 10-30 % off the polygon's area",
}

# Munition codes as in the munition_type reference list (migrations: 0002).
_CMR_TYPES: Final = ("BLU-26", "BLU-24", "BLU-36", "BLU-61", "BLU-63", "M42", "BLU-97")
_CMR_P: Final = (0.62, 0.10, 0.08, 0.08, 0.06, 0.04, 0.02)
_ERW_TYPES: Final = ("BOMB", "ROCKET", "MORTAR", "PROJECTILE")
_CODES: Final = (*_CMR_TYPES, *_ERW_TYPES, "APM")
_N_CMR: Final = len(_CMR_TYPES)
_APM_COL: Final = len(_CODES) - 1
_OTHER_FOUND_COLS: Final = (
    _CODES.index("MORTAR"),
    _CODES.index("ROCKET"),
    _CODES.index("PROJECTILE"),
)

_SHA: Final = HazardStatus.SHA.value
_CHA: Final = HazardStatus.CHA.value
_METHODS: Final = (
    ReleaseMethod.CANCELLED.value,
    ReleaseMethod.REDUCED.value,
    ReleaseMethod.CLEARED.value,
)


@dataclass(frozen=True)
class SampleData:
    """A generated data set: hazard and release features in the ims template (EPSG:4326).

    `hazards` has one row per hazard feature (the fields of `ims.ingest.fields.HAZARDS` +
    geometry): the first feature of each hazard has `revised` None, revisions follow with a
    `revised` date. `releases` has one row per land-release result (the fields of
    `RELEASES` + geometry), ordered by `release_id`. `anomalies` lists the deliberate
    oddities (`ANOMALY_FIELDS`, kinds in `ANOMALY_KINDS`) so checks and tests can tell them
    from mistakes.
    """

    hazards: gpd.GeoDataFrame
    releases: gpd.GeoDataFrame
    anomalies: pd.DataFrame


def _multinomial(rng: np.random.Generator, counts: I64, p: F64) -> I64:
    """One multinomial draw per row (`counts[i]` over the probabilities `p[i]`)."""
    if len(counts) == 0:
        return np.zeros(p.shape, dtype=np.int64)
    return np.asarray(rng.multinomial(counts, p), dtype=np.int64)


def _pick_cdf(rng: np.random.Generator, cdf: F64) -> I64:
    """One draw per row from rows of cumulative probabilities."""
    u = rng.random(len(cdf))
    picked = np.minimum((u[:, None] > cdf).sum(axis=1), cdf.shape[1] - 1)
    return np.asarray(picked, dtype=np.int64)


def _days_to_iso(days: I64) -> list[str]:
    """Day numbers since 1970-01-01 as ISO 8601 date strings."""
    return [str(s) for s in np.datetime_as_string(days.astype("datetime64[D]"), unit="D")]


def _code_strings(counts: I64) -> list[str]:
    """Rows of a (rows, codes) count matrix as `TYPE:QTY;TYPE:QTY` ('' for an empty row)."""
    rows, cols = np.nonzero(counts)
    tokens = [
        f"{_CODES[c]}:{q}" for c, q in zip(cols.tolist(), counts[rows, cols].tolist(), strict=True)
    ]
    ends = np.cumsum(np.bincount(rows, minlength=counts.shape[0])).tolist()
    out: list[str] = []
    start = 0
    for end in ends:
        out.append(";".join(tokens[start:end]))
        start = end
    return out


# The column types of generated data: years as 64-bit integers, numbers as floats, the
# other fields (text, codes, ISO dates) as Python objects.
_DTYPES: Final = {FieldType.YEAR: np.int64, FieldType.NUMBER: np.float64}


def _template_frame(
    fields: Sequence[Field], columns: dict[str, Any], geometry: Any
) -> gpd.GeoDataFrame:
    """The generated columns as the template's fields, in its order (docs/design.md §6).

    A field of the template the generator makes no values for is left blank, as an operator
    would leave it; a column that is not a field of the template is a mistake.
    """
    names = [f.name for f in fields]
    unknown = sorted(set(columns) - set(names))
    if unknown:
        raise ValueError(f"{', '.join(unknown)}: not fields of the template")
    blank = pd.Series([None] * len(geometry), dtype=object)
    return gpd.GeoDataFrame(
        {name: columns.get(name, blank) for name in names}, geometry=geometry, crs=4326
    )


def empty_data() -> SampleData:
    """A data set with no features but the template's columns."""
    hazards, releases = (
        _template_frame(
            fields, {f.name: pd.Series(dtype=_DTYPES.get(f.type, object)) for f in fields}, []
        )
        for fields in (HAZARDS, RELEASES)
    )
    return SampleData(hazards, releases, pd.DataFrame({f: [] for f in ANOMALY_FIELDS}))


class Tables(Run):
    """The stages that draw the attribute values and assemble the tables."""

    # ----------------------------------------------------------------------- attributes

    def _attributes(self) -> None:
        """Contamination, estimated remnants, years of use, marking, operators, items found."""
        rng, n = self.rng, self.n
        contam = rng.choice(3, size=n, p=[0.94, 0.04, 0.02])  # CMR, ERW, APM
        self.contam = np.array(
            [Contamination.CMR.value, Contamination.ERW.value, Contamination.APM.value],
            dtype=object,
        )[contam]
        area_ha = self.final_m2 / HA

        # Estimated remnants: 1-3 cluster munition types, BLU-26 most often the main one.
        estimate = np.zeros((n, len(_CODES)), dtype=np.int64)
        keys = np.log(np.array(_CMR_P)) + rng.gumbel(size=(n, _N_CMR))
        rank = np.argsort(np.argsort(-keys, axis=1), axis=1)
        n_types = rng.choice([1, 2, 3], size=n, p=[0.5, 0.35, 0.15])
        weight = np.where(rank < n_types[:, None], rng.gamma(1.0, size=(n, _N_CMR)), 0.0)
        weight = np.where(rank == 0, weight + 2.0, weight)
        density = rng.lognormal(np.log(6.0), 0.9, n)
        total = np.maximum(1, np.rint(area_ha * density)).astype(np.int64)
        cmr = contam == 0
        estimate[cmr, :_N_CMR] = _multinomial(
            rng, total[cmr], weight[cmr] / weight[cmr].sum(axis=1, keepdims=True)
        )
        erw = np.flatnonzero(contam == 1)
        estimate[erw, _N_CMR + rng.integers(0, len(_ERW_TYPES), erw.size)] = rng.integers(
            1, 15, erw.size
        )
        apm = np.flatnonzero(contam == 2)
        estimate[apm, _APM_COL] = rng.integers(5, 60, apm.size)
        self.estimate = estimate

        # Years of use: the bombing of 1964-1973, most heavily 1968-1970.
        years_p = np.array([2, 4, 6, 8, 12, 14, 13, 10, 7], dtype=np.float64)
        self.used_from = 1964 + rng.choice(9, size=n, p=years_p / years_p.sum())
        self.used_to = np.minimum(
            1973, self.used_from + rng.choice(4, size=n, p=[0.3, 0.3, 0.25, 0.15])
        )

        # Marking (Action 18): mostly confirmed areas, soon after they are confirmed.
        is_cha = (~self.sha0) | (self.reclass & (self.reclass_day <= self.end_day))
        marked = np.where(is_cha, rng.random(n) < 0.4, rng.random(n) < 0.05)
        marked_day = np.where(is_cha, self.cha_day, self.recorded) + rng.integers(0, 365, n)
        self.marked_day = np.where(marked & (marked_day <= self.end_day), marked_day, -1)

        cdf = self.prov.operator_cdf[self.province]
        self.operator = _pick_cdf(rng, cdf)
        self.reclass_operator = np.where(rng.random(n) < 0.8, self.operator, _pick_cdf(rng, cdf))

        # Releases: the hazard's own operator mostly; items found by method.
        owner, m = self.rel_owner, self.rel_owner.size
        self.rel_operator = np.where(
            rng.random(m) < 0.8, self.operator[owner], _pick_cdf(rng, cdf[owner])
        )
        share = estimate / estimate.sum(axis=1, keepdims=True)
        hazard_density = estimate.sum(axis=1) / np.maximum(area_ha, 1e-3)
        expected = (self.rel_area / HA) * hazard_density[owner] * rng.lognormal(0.0, 0.6, m)
        found = np.where(
            self.rel_method == CLEAR,
            rng.poisson(np.minimum(expected, 5000.0)),
            np.where(self.rel_method == REDUCE, np.minimum(rng.poisson(0.4, m), 3), 0),
        ).astype(np.int64)
        items = _multinomial(rng, found, share[owner])
        other = (self.rel_method == CLEAR) & cmr[owner] & (rng.random(m) < 0.1)
        col = np.array(_OTHER_FOUND_COLS)[rng.integers(0, len(_OTHER_FOUND_COLS), m)]
        items[np.flatnonzero(other), col[other]] += 1 + rng.poisson(0.8, np.count_nonzero(other))
        self.rel_items = items

        # Stated area: the polygon's area within ~1 %, a few 10-30 % off (a finding).
        mismatch = rng.random(m) < 0.03
        factor = np.clip(rng.normal(1.0, 0.008, m), 0.98, 1.02)
        off = rng.uniform(0.10, 0.30, m) * np.where(rng.random(m) < 0.5, -1.0, 1.0)
        self.rel_mismatch = mismatch
        self.rel_stated = np.round(self.rel_area * np.where(mismatch, 1.0 + off, factor), 1)

    # ----------------------------------------------------------------------- tables

    def _assemble(self) -> SampleData:
        """Hazard features, release features and the list of deliberate anomalies."""
        rng, n = self.rng, self.n
        # Hazard ids: per province, numbered in the order hazards were recorded.
        order = np.lexsort((np.arange(n), self.recorded, self.province))
        counts = np.bincount(self.province[order], minlength=len(self.prov.codes))
        number = np.empty(n, dtype=np.int64)
        number[order] = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) + 1
        ids = np.array(
            [
                f"{self.prov.prefixes[p]}-{k:06d}"
                for p, k in zip(self.province.tolist(), number.tolist(), strict=True)
            ],
            dtype=object,
        )

        operators = np.array(OPERATORS, dtype=object)
        munitions = np.array(_code_strings(self.estimate), dtype=object)
        recorded = np.array(_days_to_iso(self.recorded), dtype=object)
        marked = np.full(n, None, dtype=object)
        has_mark = self.marked_day >= 0
        marked[has_mark] = _days_to_iso(self.marked_day[has_mark])

        # Rows: first features, boundary revisions, SHA -> CHA reclassifications.
        bound = np.flatnonzero(self.bound_rev & (self.bound_day <= self.end_day))
        recl = np.flatnonzero(self.reclass & (self.reclass_day <= self.end_day))
        row_hazard = np.concatenate([np.arange(n), bound, recl])
        row_kind = np.repeat([0, 1, 2], [n, bound.size, recl.size])
        row_day = np.concatenate([self.recorded, self.bound_day[bound], self.reclass_day[recl]])
        row_status = np.where((row_kind == 2) | ~self.sha0[row_hazard], _CHA, _SHA).astype(object)
        row_geom = np.concatenate([self.placed_deg, self.final_deg[bound], self.final_deg[recl]])
        row_operator = np.concatenate(
            [self.operator, self.operator[bound], self.reclass_operator[recl]]
        )
        revised = np.full(row_hazard.size, None, dtype=object)
        revised[n:] = _days_to_iso(row_day[n:])
        sort = np.lexsort((row_kind, number[row_hazard], self.province[row_hazard], row_day))
        hazards = _template_frame(
            HAZARDS,
            {
                "hazard_id": ids[row_hazard][sort],
                "status": row_status[sort],
                "contam": self.contam[row_hazard][sort],
                "recorded": recorded[row_hazard][sort],
                "revised": pd.Series(revised[sort], dtype=object),
                "used_from": self.used_from[row_hazard][sort].astype(np.int64),
                "used_to": self.used_to[row_hazard][sort].astype(np.int64),
                "munitions": munitions[row_hazard][sort],
                "marked": pd.Series(marked[row_hazard][sort], dtype=object),
                "operator": operators[row_operator][sort],
            },
            row_geom[sort],
        ).reset_index(drop=True)

        # Releases, numbered in the order they were submitted: on the day of the work,
        # except back-dated ones (submitted 6 months to 3 years late) and duplicates
        # (the same result uploaded again later).
        m = self.rel_owner.size
        submitted = self.rel_day.copy()
        back = rng.random(m) < 0.01
        submitted[back] += rng.integers(180, 1100, np.count_nonzero(back))
        np.minimum(submitted, self.end_day, out=submitted)  # all are in by the end date
        n_dup = int(rng.binomial(m, 0.003)) if m else 0
        dup_of = rng.choice(m, size=n_dup, replace=False) if n_dup else np.zeros(0, np.int64)
        src = np.concatenate([np.arange(m), dup_of])
        resubmitted = np.minimum(submitted[dup_of] + rng.integers(1, 400, n_dup), self.end_day)
        sub_day = np.concatenate([submitted, resubmitted])
        rel_order = np.lexsort((np.arange(src.size), sub_day))
        release_ids = np.empty(src.size, dtype=object)
        release_ids[rel_order] = [f"LR-{k:07d}" for k in range(1, src.size + 1)]
        items = np.array(_code_strings(self.rel_items), dtype=object)
        released = np.array(_days_to_iso(self.rel_day), dtype=object)
        methods = np.array(_METHODS, dtype=object)
        releases = _template_frame(
            RELEASES,
            {
                "release_id": release_ids[rel_order],
                "hazard_id": ids[self.rel_owner][src][rel_order],
                "method": methods[self.rel_method][src][rel_order],
                "released": released[src][rel_order],
                "operator": operators[self.rel_operator][src][rel_order],
                "items": items[src][rel_order],
                "area_m2": self.rel_stated[src][rel_order].astype(np.float64),
            },
            self.rel_deg[src][rel_order],
        ).reset_index(drop=True)

        anomalies = self._anomalies(ids, release_ids, submitted, back, dup_of, m)
        return SampleData(hazards, releases, anomalies)

    def _anomalies(
        self,
        ids: Geoms,
        release_ids: Geoms,
        submitted: I64,
        back: Mask,
        dup_of: I64,
        m: int,
    ) -> pd.DataFrame:
        """The deliberate oddities, one row each (kinds in ANOMALY_KINDS)."""
        rows: list[tuple[str, str, str | None, str]] = []
        for a, b in self.overlap_pairs:
            rows.append(("hazard_overlap", str(ids[a]), None, str(ids[b])))
            rows.append(("hazard_overlap", str(ids[b]), None, str(ids[a])))
        shrunk = self.bound_rev & (self.bound_day <= self.end_day) & (self.bound_factor < 1)
        for h in np.flatnonzero(shrunk).tolist():
            rows.append(("boundary_shrunk", str(ids[h]), None, f"x{self.bound_factor[h]:.3f}"))
        hz = ids[self.rel_owner]
        flags: tuple[tuple[str, Mask], ...] = (
            ("release_overlaps_previous", self.rel_overlap),
            ("release_outside_hazard", self.rel_outside),
            ("back_dated", back),
            ("area_mismatch", self.rel_mismatch),
        )
        for kind, mask in flags:
            for r in np.flatnonzero(mask).tolist():
                detail = ""
                if kind == "back_dated":
                    detail = f"submitted {_days_to_iso(submitted[r : r + 1])[0]}"
                if kind == "area_mismatch":
                    detail = (
                        f"stated {self.rel_stated[r]:.1f} m², polygon {self.rel_area[r]:.1f} m²"
                    )
                rows.append((kind, str(hz[r]), str(release_ids[r]), detail))
        for k, r in enumerate(dup_of.tolist()):
            rows.append(
                ("duplicate_release", str(hz[r]), str(release_ids[m + k]), str(release_ids[r]))
            )
        frame = pd.DataFrame(rows, columns=list(ANOMALY_FIELDS))
        return frame.sort_values(
            ["kind", "hazard_id", "release_id"], na_position="first"
        ).reset_index(drop=True)
