"""A deterministic, plausible national Lao PDR cluster-munition data set in the ims template.

`generate` makes hazards (with their revisions) and land-release results in the canonical
exchange template of docs/design.md §6; `write` (in ``files``) saves them as GeoPackages or
zipped shapefiles, the files an operator would upload.

A run's stages are grouped by what they decide: ``placement`` (where, and what shape),
``history`` (when) and ``tables`` (the attribute values, and the tables), over the arrays
that ``state`` declares; ``provinces`` and ``shapes`` serve them.

How the picture is built:

- **Where.** Hazards lie inside the province polygons, ~85 % in the historically most
  bombed provinces (Xiangkhouang, Savannakhet, Salavan, Xekong, Attapeu, Houaphan,
  Khammouane, Champasak), many of them in clusters around strike hot spots, and wholly
  inside the country (50 m from its border at least), as `ims import` requires.
- **Shape.** Cluster-munition strike footprints: elongated jittered ellipses (24–36
  vertices), merged strings of 2–4 overlapping ellipses, a few multipolygons and a few
  polygons with a hole; mostly 0.5–50 ha. Shapes are built in metres, in bulk, in one
  Lambert azimuthal equal-area frame centred on the country (planar areas there equal
  geodesic areas to ~1e-6) and reprojected to EPSG:4326 in one vectorised pass. Release
  polygons are cut from the EPSG:4326 hazards, so they share the hazard's vertices and
  their neighbours' cut lines exactly.
- **When.** Most hazards are recorded in the baseline survey year (`start_year`), more are
  discovered every later year. Suspected areas (SHA) are cancelled by non-technical survey
  in whole or in part, many are reclassified to CHA (a revision with the same boundary), a
  few get a boundary revision (grown or shrunk); confirmed areas are reduced by technical
  survey and cleared in successive strips. Releases dated after 31 December `end_year`
  have not happened and are left out, so the data set ends with work in progress.
- **Findings on purpose**, listed in `SampleData.anomalies` (see `ANOMALY_KINDS`): a few
  hazards overlap another; a few percent of releases overlap the previous release of the
  same hazard or extend a little outside it; a few are back-dated (submitted late, so
  their `release_id` comes after releases with later dates); a very few are exact
  duplicates under a new `release_id`; a few stated areas are 10–30 % off. Every release
  is dated on or after its hazard's `recorded` date, a cancellation always falls while the
  hazard is an SHA and a reduction or clearance while it is a CHA.

Everything is drawn from one `numpy.random.default_rng(seed)`, so a seed always gives the
same data set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Final

import geopandas as gpd
import numpy as np

from ims.sample.history import History
from ims.sample.placement import Placement
from ims.sample.provinces import Provinces, load_provinces
from ims.sample.tables import SampleData, Tables, empty_data

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""Progress callback: (what is being done, stages done, number of stages)."""

_EPOCH: Final = date(1970, 1, 1)


def generate(
    n_hazards: int,
    *,
    seed: int = 1,
    provinces: gpd.GeoDataFrame | None = None,
    start_year: int = 2010,
    end_year: int | None = None,
    progress: Progress | None = None,
) -> SampleData:
    """Generate `n_hazards` hazards and their land-release history from `start_year` to `end_year`.

    `provinces` are the level-1 polygons to place hazards in (default: `load_provinces()`);
    their code is read from `shapeISO` (or `code` / `admin_code`), and its part after the
    dash prefixes the hazard ids (`XI-000123`). `end_year` defaults to last year; nothing is
    dated after 31 December of it. `progress`, if given, is called after each stage with
    (stage description, stages done, number of stages).
    """
    if n_hazards < 0:
        raise ValueError("n_hazards must be zero or more")
    end_year = date.today().year - 1 if end_year is None else end_year
    if end_year < start_year:
        raise ValueError(f"end_year {end_year} is before start_year {start_year}")
    if provinces is None:
        provinces = load_provinces()
    if n_hazards == 0:
        return empty_data()

    return _Generator(
        n_hazards,
        rng=np.random.default_rng(seed),
        provinces=Provinces.from_frame(provinces),
        start_year=start_year,
        end_year=end_year,
        progress=progress,
    ).run()


_STAGES: Final = (
    "placing hazards",
    "building footprints",
    "separating hazards",
    "drawing the timeline",
    "reprojecting to EPSG:4326",
    "cutting release polygons",
    "remnants and attributes",
    "assembling tables",
)


class _Generator(Placement, History, Tables):
    """One generation run: the stages of each group in order, over the arrays of `Run`."""

    def __init__(
        self,
        n: int,
        *,
        rng: np.random.Generator,
        provinces: Provinces,
        start_year: int,
        end_year: int,
        progress: Progress | None,
    ) -> None:
        """Keep the run's parameters; nothing is drawn yet."""
        self.n = n
        self.rng = rng
        self.prov = provinces
        self.start_year = start_year
        self.end_year = end_year
        self.end_day = (date(end_year, 12, 31) - _EPOCH).days
        self.progress = progress
        self.stage = 0

    def _done(self) -> None:
        """Report the stage just finished."""
        self.stage += 1
        log.debug("sample generation: %s done", _STAGES[self.stage - 1])
        if self.progress is not None:
            self.progress(_STAGES[self.stage - 1], self.stage, len(_STAGES))

    def run(self) -> SampleData:
        """Run every stage and return the data set."""
        for stage in (
            self._place,
            self._footprints,
            self._separate,
            self._timeline,
            self._reproject,
            self._cut_releases,
            self._attributes,
        ):
            stage()
            self._done()
        data = self._assemble()
        self._done()
        log.debug(
            "generated %d hazards (%d features) and %d releases",
            self.n,
            len(data.hazards),
            len(data.releases),
        )
        return data
