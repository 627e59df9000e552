"""Generated data imports cleanly: the checks `ims import` runs find no error (issue 19).

The national data set holds deliberate oddities (`SampleData.anomalies`): they may give
warnings, each explained by a listed anomaly, and never an error. The examples with
mistakes live apart, in `sample_data/examples/`.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from ims.db.models import PlaceName, Submission
from ims.db.verify import verify_database
from ims.domain.geodesy import geodesic_areas
from ims.domain.place_names import read_place_names
from ims.ingest import approval, submissions
from ims.ingest.boundaries import read_boundaries
from ims.ingest.validate import (
    KnownHazard,
    ValidationContext,
    ValidationResult,
    validate_hazards,
    validate_releases,
)
from ims.queries.places import find
from ims.resources import EXAMPLES_DIR
from ims.sample import SampleData, generate, load_provinces, write
from ims.sample.demo import DEMO_PREFIX, EXAMPLES, NAMES_FILE, DemoLoad, load_demo
from ims.sample.examples import npa_releases
from ims.sample.provinces import BOUNDARIES_DIR

CODES = {
    "BLU-26",
    "BLU-24",
    "BLU-36",
    "BLU-61",
    "BLU-63",
    "BLU-97",
    "M42",
    "BOMB",
    "ROCKET",
    "MORTAR",
    "PROJECTILE",
    "APM",
}
# Which warning each kind of deliberate anomaly may give (hazards, then releases).
EXPLAINED_BY = {
    ("hazards", "overlaps_hazard"): "hazard_overlap",
    ("releases", "area_mismatch"): "area_mismatch",
    ("releases", "largely_outside_hazard"): "release_outside_hazard",
    ("releases", "partly_outside_hazard"): "release_outside_hazard",
    ("releases", "duplicate_geometry"): "duplicate_release",
    ("releases", "overlaps_release"): "release_overlaps_previous",
}


@functools.cache
def provinces() -> gpd.GeoDataFrame:
    return load_provinces()


@functools.cache
def lao_country() -> shapely.Geometry:
    """The national boundary as `ims import` takes it: the union of the provinces."""
    features = read_boundaries(BOUNDARIES_DIR / "LAO_ADM1.geojson")
    country = shapely.union_all([f.geometry for f in features])
    shapely.prepare(country)
    return country


def known_hazards(hazards: pd.DataFrame) -> dict[str, KnownHazard]:
    """Each hazard as the database holds it once the file is applied: its latest revision."""
    frame = hazards.assign(
        effective=hazards["revised"].fillna(hazards["recorded"]), order=range(len(hazards))
    )
    recorded = frame.groupby("hazard_id")["recorded"].min()
    latest = frame.sort_values(["hazard_id", "effective", "order"]).groupby("hazard_id").tail(1)
    return {
        row.hazard_id: KnownHazard(
            0, dt.date.fromisoformat(recorded[row.hazard_id]), row.geometry, True
        )
        for row in latest.itertuples()
    }


def validate(data: SampleData, country: shapely.Geometry) -> dict[str, ValidationResult]:
    """The hazards file, then the releases file against the hazards it recorded.

    An empty file is left out: `ims import` refuses it before validation.
    """
    today = dt.date.today()
    results = {}
    if len(data.hazards):
        ctx = ValidationContext(today, CODES, country)
        results["hazards"] = validate_hazards(data.hazards, ctx)
    if len(data.releases):
        ctx = ValidationContext(today, CODES, country, hazards=known_hazards(data.hazards))
        results["releases"] = validate_releases(data.releases, ctx)
    return results


def assert_imports_cleanly(data: SampleData, country: shapely.Geometry) -> None:
    """No error; every warning names a feature listed with the anomaly that explains it."""
    anomalies = data.anomalies
    copies = anomalies[anomalies["kind"] == "duplicate_release"]
    for kind, result in validate(data, country).items():
        errors = [str(f) for f in result.findings if f.blocking]
        assert errors == [], f"{kind}: {len(errors)} error(s), first {errors[:3]}"
        for finding in result.findings:
            anomaly = EXPLAINED_BY.get((kind, finding.code))
            assert anomaly is not None, f"{kind}: unexpected {finding}"
            listed = anomalies[anomalies["kind"] == anomaly]
            refs = set(listed["hazard_id"] if kind == "hazards" else listed["release_id"])
            refs |= set(copies.loc[copies["detail"].isin(refs), "release_id"])  # and copies
            assert finding.reference in refs, f"{kind}: {finding} is not listed"


@pytest.mark.parametrize(("n", "seed"), [(300, 1), (300, 2), (300, 3), (300, 11), (3000, 11)])
def test_generated_data_passes_the_import_checks(n: int, seed: int) -> None:
    # Seeds 2 and 3 at 300 hazards once gave a release that missed its hazard (a strip of
    # a buffered multipolygon across the gap between its parts) or lay outside the country
    # (cut from a hazard that reached across the border).
    data = generate(n, seed=seed, provinces=provinces())
    assert_imports_cleanly(data, lao_country())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(min_value=1, max_value=400),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    start_year=st.integers(min_value=2005, max_value=2020),
)
def test_any_seed_and_size_passes_the_import_checks(n: int, seed: int, start_year: int) -> None:
    data = generate(n, seed=seed, provinces=provinces(), start_year=start_year, end_year=2024)
    assert_imports_cleanly(data, lao_country())


def test_no_two_releases_of_a_hazard_sharing_ground_are_released_the_same_day() -> None:
    """Of two releases of one hazard released the same day, the file's order says which
    came first, and so which one `overlaps_release` names; the generator listed the one
    it had drawn second, and a back-dated or resubmitted first one came after it in the
    file: a warning went unlisted (one random seed in about 4,000; helper-125). Here two
    cancellations with no day between, the second drawn onto the first."""
    data = generate(267, seed=3845220704, provinces=provinces(), start_year=2013, end_year=2024)
    releases = data.releases
    geoms = np.asarray(releases.geometry.values)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    hazard = releases["hazard_id"].to_numpy()
    pairs = (left < right) & (hazard[left] == hazard[right])
    left, right = left[pairs], right[pairs]
    shared = geodesic_areas(list(shapely.intersection(geoms[left], geoms[right])))
    day = releases["released"].to_numpy()
    same_day = [
        (releases["release_id"].iat[a], releases["release_id"].iat[b])
        for a, b, m2 in zip(left.tolist(), right.tolist(), shared.tolist(), strict=True)
        if m2 >= 1.0 and day[a] == day[b]
    ]
    assert same_day == []
    assert_imports_cleanly(data, lao_country())


def test_a_province_too_small_for_its_hazards_still_holds_them() -> None:
    # 40 hazards of up to ~100 ha in 2 km x 2 km: most find no free spot and are clipped
    # to the border rather than left across it.
    square = box(103.0, 19.0, 103.02, 19.02)
    tiny = gpd.GeoDataFrame({"shapeISO": ["LA-XX"]}, geometry=[square], crs=4326)
    data = generate(40, seed=1, provinces=tiny, end_year=2020)
    assert shapely.contains(square, data.hazards.geometry.values).all()
    assert shapely.contains(square, data.releases.geometry.values).all()
    for kind, result in validate(data, square).items():
        assert result.errors == 0, kind


# The pipeline tests load thousands of features: each has a database of its own, committed
# as `ims import` and `ims demo` commit. (In the shared test database, whose tables were
# analysed while empty after so many rolled-back tests, the planner picks nested loops
# over them, and the demo takes many minutes instead of seconds.)


def test_generated_files_are_staged_and_approved_without_errors(
    committed_engine: Engine, tmp_path: Path
) -> None:
    # The whole pipeline, as `ims import --approve`: the hazards file, then the releases.
    data = generate(300, seed=3, provinces=provinces())
    written = {p.stem: p for p in write(data, tmp_path)}
    with Session(committed_engine) as session:
        load_demo_boundaries(session)
        session.commit()
        for kind in ("hazards", "releases"):
            outcome = submissions.stage(session, written[kind], kind=kind, organisation="UXO Lao")
            errors = [str(f) for f in outcome.findings if f.blocking]
            assert errors == [], errors[:3]
            approval.approve(session, outcome.submission.id, by="tests")
            session.commit()
        counts = session.execute(
            text("SELECT (SELECT count(*) FROM hazard), (SELECT count(*) FROM release)")
        ).one()
    assert tuple(counts) == (data.hazards["hazard_id"].nunique(), len(data.releases))


def test_the_demo_approves_every_generated_file(committed_engine: Engine) -> None:
    # The demo once left the 2020 and 2021 release files unapproved with an error each.
    with Session(committed_engine) as session, session.begin():
        check_demo(session, load_demo(session, hazards=3000))
        # the gazetteer shipped beside the boundaries: every line names an area they hold,
        # and the find box finds a province by a name the boundaries do not give it
        shipped = read_place_names(BOUNDARIES_DIR / NAMES_FILE)
        assert session.scalar(select(func.count()).select_from(PlaceName)) == len(shipped)
        for typed, found in (
            ("Borikhamxay", ["Bolikhamsai (province, also written Borikhamxay)"]),
            ("ຫລວງພະບາງ", ["Luang Prabang (province, also written ຫຼວງພະບາງ)"]),
            ("Xepon", ["Sepone (district of Savannakhet, also written Xepon)"]),
            (
                "Sayaboury",  # the province and its capital's district
                [
                    "Xaignabouli (province, also written Sayaboury)",
                    "Xayabury (district of Xaignabouli, also written Sayaboury)",
                ],
            ),
        ):
            assert [p.label for p in find(session, typed, hazards=False).places] == found
    # and `ims db verify` finds nothing to report on it: it had called the ledgers appended
    # to year by year "tampering", where the ledger replayed whole differed from them by
    # slivers of overlay noise (0.001–0.022 m², 30 of the 3,000 hazards; found by a
    # walk-through following the migration guide to its last check)
    with Session(committed_engine) as session, session.begin():
        report = verify_database(session, workers=1)
        assert report.hazards == 3000
        assert report.clean, [(d.hazard, d.what, d.recomputed) for d in report.differences]


def check_demo(session: Session, loaded: DemoLoad) -> None:
    """Every generated file applied; only the shipped examples are left for review."""
    generated = session.scalars(
        select(Submission).where(Submission.filename.startswith(DEMO_PREFIX))
    ).all()
    assert len(generated) > 10
    assert {s.filename: s.status for s in generated if s.status != "approved"} == {}
    assert loaded.submissions_applied == len(generated)
    # What is left for review is the shipped examples only, the one with mistakes included.
    staged = session.scalars(
        select(Submission.filename).where(Submission.id.in_(loaded.staged_for_review))
    ).all()
    assert sorted(staged) == sorted(name for name, *_ in EXAMPLES)
    # The example with mistakes shows the mistakes it was made with (ims.sample.examples:
    # rows 2-7), and its other four releases fit the demo's hazards: a copy written before
    # the generator changed had every release miss its hazard.
    npa = session.scalar(
        select(Submission.id).where(
            Submission.id.in_(loaded.staged_for_review),
            Submission.filename == "npa_releases_with_errors.zip",
        )
    )
    findings = submissions.findings_of(session, npa)
    by_row: dict[int | None, set[str]] = {}
    for f in findings:
        by_row.setdefault(f.row, set()).add(f.code)
    errors = {f.row for f in findings if f.blocking}
    assert errors == {2, 3, 4, 5, 6}, by_row
    assert "misses_hazard" in by_row[2] and "area_mismatch" in by_row[7], by_row
    assert not {1, 8, 9, 10} & set(by_row), by_row
    made, shipped = npa_releases(), gpd.read_file(EXAMPLES_DIR / "npa_releases_with_errors.zip")
    assert list(shipped["hazard_id"]) == list(made["hazard_id"])  # as the code makes it now
    assert shipped.geometry.normalize().geom_equals_exact(made.geometry.normalize(), 1e-9).all()


def load_demo_boundaries(session: Session) -> None:
    """The Lao provinces, as the demo loads them (the country the checks use)."""
    from ims.db.recording import load_boundaries

    load_boundaries(session, read_boundaries(BOUNDARIES_DIR / "LAO_ADM1.geojson"), level=1)
