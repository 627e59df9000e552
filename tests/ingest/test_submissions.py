"""Submissions end to end: upload, findings, approval applied atomically, rejection."""

from __future__ import annotations

import datetime as dt
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db.models import Hazard, Organisation, Release, Submission, SubmissionFeature
from ims.db.recording import load_boundaries
from ims.db.reference import add_organisation
from ims.domain.records import BoundaryFeature
from ims.errors import Conflict, InvalidRequest, InvalidUpload, NotFound
from ims.ingest import approval, field_maps, submissions, validate
from ims.reports.article7 import ReportScope, article7
from tests.utils import ClientAs

LAOS = box(100.0, 13.9, 107.7, 22.5)


def write_zip(
    frame: gpd.GeoDataFrame,
    folder: Path,
    name: str,
    *,
    crs: int | None = None,
    keep_prj: bool = True,
) -> Path:
    """A zipped shapefile of ``frame`` (reprojected to ``crs`` first)."""
    shp_dir = folder / f"{name}_shp"
    shp_dir.mkdir()
    (frame.to_crs(crs) if crs else frame).to_file(shp_dir / f"{name}.shp", encoding="UTF-8")
    if not keep_prj:
        (shp_dir / f"{name}.prj").unlink()
    path = folder / f"{name}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, part.name)
    return path


def hazard_frame(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:  # type: ignore[type-arg]
    base = {"status": "SHA", "recorded": "2020-01-01", "munitions": "BLU-26:5"}
    return gpd.GeoDataFrame([{**base, **r} for r in rows], geometry=geoms, crs=4326)


@pytest.fixture
def country(session: Session) -> None:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )


def test_utm_shapefile_is_staged_then_approved(
    session: Session, country: None, tmp_path: Path
) -> None:
    frame = hazard_frame(
        [{"hazard_id": "H1"}, {"hazard_id": "H2", "status": "confirmed"}],
        [box(103.1, 19.4, 103.11, 19.41), box(103.2, 19.4, 103.21, 19.41)],
    )
    path = write_zip(frame, tmp_path, "hazards", crs=32648)
    outcome = submissions.stage(session, path, kind="hazards", organisation="MAG")
    assert outcome.errors == 0
    sub = outcome.submission
    assert (sub.status, sub.feature_count, sub.crs) == ("validated", 2, "EPSG:32648")
    assert session.scalar(select(func.count()).select_from(Hazard)) == 0  # not applied yet
    approval.approve(session, sub.id, by="reviewer")
    assert sub.status == "approved"
    refs = set(session.scalars(select(Hazard.reference)))
    assert refs == {"H1", "H2"}
    report = article7(session, 2020, ReportScope())
    assert report["remaining"][-1]["sha_count"] == 1
    assert report["remaining"][-1]["cha_count"] == 1
    # approval is idempotent
    approval.approve(session, sub.id, by="reviewer")
    assert session.scalar(select(func.count()).select_from(Hazard)) == 2


def test_a_munition_code_in_other_capitals_is_read_as_the_code(
    session: Session, country: None, tmp_path: Path
) -> None:
    """A file's "Blu-26" was an unknown type, "did you mean BLU-26", and the upload page maps no
    munition codes (a legacy migration's review, helper-99): read as BLU-26, as "sha" is
    SHA. A code that is not one in any capitals is still told."""
    frame = hazard_frame(
        [
            {"hazard_id": "CAP-1", "munitions": "Blu-26:7;m42:2;BLU-26:1"},
            {"hazard_id": "CAP-2", "munitions": "BLU26:4"},
        ],
        [box(103.1, 19.4, 103.11, 19.41), box(103.2, 19.4, 103.21, 19.41)],
    )
    outcome = submissions.stage(
        session, write_zip(frame, tmp_path, "caps"), kind="hazards", organisation="MAG"
    )
    found = [(f.row, f.code, f.message) for f in outcome.findings if f.code != "file_note"]
    assert [(row, code) for row, code, _ in found] == [
        (1, "repeated_munition"),
        (2, "unknown_munition"),
    ], found
    assert "BLU-26:8" in found[0][2] and "'BLU26'; did you mean BLU-26" in found[1][2]
    clean = session.scalar(
        text(
            "SELECT clean->'munitions' FROM submission_feature WHERE submission_id = :s"
            " AND row_number = 1"
        ),
        {"s": outcome.submission.id},
    )
    assert clean == {"BLU-26": 8, "M42": 2}


def test_errors_block_approval_and_nothing_is_applied(
    session: Session, country: None, tmp_path: Path
) -> None:
    bowtie = Polygon([(103.1, 19.4), (103.11, 19.41), (103.11, 19.4), (103.1, 19.41)])
    frame = hazard_frame(
        [{"hazard_id": "H1"}, {"hazard_id": "H2"}], [box(103.1, 19.4, 103.11, 19.41), bowtie]
    )
    outcome = submissions.stage(session, write_zip(frame, tmp_path, "hazards"), kind="hazards")
    assert outcome.errors == 1
    (error,) = [f for f in outcome.findings if f.blocking]
    assert (error.code, error.row, error.reference) == ("invalid_geometry", 2, "H2")
    with pytest.raises(Conflict, match="1 error"):
        approval.approve(session, outcome.submission.id)
    assert session.scalar(select(func.count()).select_from(Hazard)) == 0
    # the broken feature is kept for the review map, as it came
    raw = session.scalar(
        select(func.ST_IsValid(SubmissionFeature.raw_geom)).where(
            SubmissionFeature.submission_id == outcome.submission.id,
            SubmissionFeature.row_number == 2,
        )
    )
    assert raw is False


def test_field_mapping_is_applied_and_remembered_per_organisation(
    session: Session, country: None, tmp_path: Path
) -> None:
    frame = gpd.GeoDataFrame(
        [{"HAZ_REF": "H1", "TYPE": "suspected", "DATE_REC": "2021-03-04"}],
        geometry=[box(103.1, 19.4, 103.11, 19.41)],
        crs=4326,
    )
    path = write_zip(frame, tmp_path, "own_names")
    with pytest.raises(InvalidUpload, match=r"no hazard_id field.*--map"):
        submissions.stage(session, path, kind="hazards", organisation="NPA")
    mapping = field_maps.parse_field_map("hazard_id=HAZ_REF,status=TYPE,recorded=DATE_REC")
    first = submissions.stage(session, path, kind="hazards", organisation="NPA", field_map=mapping)
    assert first.errors == 0
    second = submissions.stage(session, path, kind="hazards", organisation="NPA")
    assert second.errors == 0, "the stored mapping is reused"
    assert "same_file" in [f.code for f in second.findings]
    # A file in the template's own names is not held up by the remembered mapping.
    template_named = hazard_frame([{"hazard_id": "H2"}], [box(103.2, 19.4, 103.21, 19.41)])
    third = submissions.stage(
        session,
        write_zip(template_named, tmp_path, "template_named"),
        kind="hazards",
        organisation="NPA",
    )
    assert third.errors == 0
    # nor warned of it: it needs none (every such upload of an organisation's had carried
    # a warning of the mapping its register was once sent with: a new user's review)
    assert not [f for f in third.findings if "remembered" in f.message], third.findings
    assert third.remembered is not None and third.mapping_origin is None  # said apart
    with pytest.raises(InvalidRequest, match="not field=source"):
        field_maps.parse_field_map("hazard_id")


def test_an_organisations_mapping_is_remembered_for_each_layout_of_its_files(
    session: Session, country: None, tmp_path: Path
) -> None:
    """One mapping was remembered per organisation and kind: a data manager sending both
    their database's export and their field forms' export had each upload's mapping put
    in the place of the other's, and every other file needed its mapping again."""
    export = gpd.GeoDataFrame(
        [{"HAZ_REF": "E1", "TYPE": "suspected", "DATE_REC": "2021-03-04"}],
        geometry=[box(103.1, 19.4, 103.11, 19.41)],
        crs=4326,
    )
    forms = gpd.GeoDataFrame(
        [{"area_ref": "F1", "area_type": "confirmed", "srv_date": "2022-05-06"}],
        geometry=[box(103.2, 19.4, 103.21, 19.41)],
        crs=4326,
    )
    by_export = field_maps.parse_field_map("hazard_id=HAZ_REF,status=TYPE,recorded=DATE_REC")
    by_forms = field_maps.parse_field_map("hazard_id=area_ref,status=area_type,recorded=srv_date")
    for frame, name, mapping in [(export, "export", by_export), (forms, "forms", by_forms)]:
        given = submissions.stage(
            session,
            write_zip(frame, tmp_path, name),
            kind="hazards",
            organisation="NPA",
            new_organisation=True,
            field_map=mapping,
        )
        assert given.errors == 0 and given.remembered_now
    npa = session.scalars(select(Organisation).where(Organisation.name == "NPA")).one()
    assert [m.mapping.fields for m in field_maps.list_mappings(session, npa)] == [
        by_forms,
        by_export,
    ]
    # each layout is read again with its own, without a mapping given
    for frame, name, mapping in [(export, "export-2", by_export), (forms, "forms-2", by_forms)]:
        frame = frame.assign(**{frame.columns[0]: frame.iloc[:, 0] + "-2"})
        again = submissions.stage(
            session, write_zip(frame, tmp_path, name), kind="hazards", organisation="NPA"
        )
        assert again.errors == 0, again.findings
        assert again.mapping_origin == "remembered" and again.mapping.fields == mapping
    # the upload page's suggestion is the one for the file's columns too
    from ims.ingest.inspect import inspect_upload

    found = inspect_upload(
        write_zip(forms, tmp_path, "forms-3"),
        kind="hazards",
        remembered=field_maps.stored_mappings(session, npa, "hazards"),
    )
    assert found.remembered_fits and found.suggested.fields["hazard_id"] == "area_ref"
    # a new mapping of the same columns takes the place of theirs, not a third place
    renamed = field_maps.parse_field_map("hazard_id=area_ref,status=area_type,marked=srv_date")
    latest = submissions.stage(
        session,
        write_zip(forms.assign(area_ref="F9", recorded="2022-01-01"), tmp_path, "forms-4"),
        kind="hazards",
        organisation="NPA",
        field_map=renamed,
    )
    assert latest.errors == 0 and latest.remembered_now, latest.findings
    kept = [m.mapping.fields for m in field_maps.list_mappings(session, npa)]
    assert kept == [renamed, by_export]
    # a file that neither fits says so of them all; forgetting forgets them all
    other = hazard_frame([{"hazard_id": "T1"}], [box(103.3, 19.4, 103.31, 19.41)])
    third = submissions.stage(
        session, write_zip(other, tmp_path, "template"), kind="hazards", organisation="NPA"
    )
    assert not [f for f in third.findings if "remembered" in f.message], third.findings
    assert len(field_maps.clear_mappings(session, npa, "hazards")) == 2
    assert field_maps.list_mappings(session, npa) == []


def test_a_mapping_is_not_remembered_from_a_file_in_which_every_feature_has_an_error(
    session: Session, country: None, tmp_path: Path
) -> None:
    """A releases export uploaded as hazards left MAG's hazards mapping as
    {"munitions": "items"}, which the next hazards file could not use."""
    good = field_maps.parse_field_map("hazard_id=HAZ_REF,status=TYPE,recorded=DATE_REC")
    frame = gpd.GeoDataFrame(
        [{"HAZ_REF": "H1", "TYPE": "suspected", "DATE_REC": "2021-03-04"}],
        geometry=[box(103.1, 19.4, 103.11, 19.41)],
        crs=4326,
    )
    first = submissions.stage(
        session,
        write_zip(frame, tmp_path, "own"),
        kind="hazards",
        organisation="NPA",
        field_map=good,
    )
    assert first.errors == 0 and first.remembered_now
    wrong_kind = gpd.GeoDataFrame(
        [{"hazard_id": f"R{n}", "release_id": f"X{n}", "items": "BLU-26:1"} for n in range(2)],
        geometry=[box(103.2, 19.4, 103.21, 19.41), box(103.3, 19.4, 103.31, 19.41)],
        crs=4326,
    )
    failed = submissions.stage(
        session,
        write_zip(wrong_kind, tmp_path, "releases_export"),
        kind="hazards",
        organisation="NPA",
        field_map={"munitions": "items"},
    )
    assert failed.errors >= 2 and not failed.remembered_now
    # and the file is said to look like releases, the kind its fields name
    assert "other_kind" not in {f.code for f in first.findings}
    said = next(f for f in failed.findings if f.code == "other_kind")
    assert said.message.startswith("this looks like a file of releases (release_id, items)")
    npa = session.scalars(select(Organisation).where(Organisation.name == "NPA")).one()
    kept = field_maps.stored_mapping(session, npa, "hazards")
    assert kept is not None and kept.mapping.fields == {
        "hazard_id": "HAZ_REF",
        "status": "TYPE",
        "recorded": "DATE_REC",
    }


def test_an_error_a_remembered_mapping_causes_says_so_and_how_to_clear_it(
    session: Session, country: None, tmp_path: Path
) -> None:
    frame = gpd.GeoDataFrame(
        [{"REF": "H1", "TYPE": "suspected", "recorded": "2021-03-04"}],
        geometry=[box(103.1, 19.4, 103.11, 19.41)],
        crs=4326,
    )
    path = write_zip(frame, tmp_path, "own_names")
    given = field_maps.MappingDocument(fields={"hazard_id": "REF", "status": "TYPE"})
    first = submissions.stage(session, path, kind="hazards", organisation="MAG", mapping=given)
    assert (first.mapping_origin, first.remembered_now) == ("given", True)
    assert first.remembered is not None and first.remembered.mapping == given
    again = submissions.stage(session, path, kind="hazards", organisation="MAG", mapping=given)
    assert not again.remembered_now  # the same mapping: nothing new to remember
    # A later file that has the fields the mapping reads, but a value it cannot write.
    padded = field_maps.MappingDocument(fields={"hazard_id": "{REF:05d}", "status": "TYPE"})
    mag = session.get(Organisation, first.submission.organisation_id)
    assert mag is not None
    field_maps.remember_mapping(session, mag, "hazards", padded)
    with pytest.raises(InvalidRequest) as refused:
        submissions.stage(session, path, kind="hazards", organisation="MAG")
    detail = refused.value.detail
    assert "'H1' cannot be written as {REF:05d}" in detail
    assert "the field mapping remembered for MAG's hazards files since" in detail
    assert "was used: give another in the upload page's second step" in detail
    assert detail.endswith("(or with: ims mappings clear --org MAG --kind hazards))")


def test_missing_prj_needs_a_stated_crs(session: Session, country: None, tmp_path: Path) -> None:
    frame = hazard_frame([{"hazard_id": "H1"}], [box(103.1, 19.4, 103.11, 19.41)])
    path = write_zip(frame, tmp_path, "noprj", crs=32648, keep_prj=False)
    with pytest.raises(InvalidUpload, match="coordinate reference system"):
        submissions.stage(session, path, kind="hazards")
    assert session.scalar(select(func.count()).select_from(Submission)) == 0
    outcome = submissions.stage(session, path, kind="hazards", crs="EPSG:32648")
    assert outcome.errors == 0


def test_a_value_the_database_refuses_at_approval_is_said_not_thrown(
    session: Session, country: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helper-90's negative stated area passed the checks and then broke the approval on
    the table's check: a traceback from `ims import --approve`, a 500 from the API, and a
    clean submission never approved. The checks refuse it now; should any other value get
    past them, the approval says which rule of which table refused it, and records
    nothing (here the upload's check is taken out, to stand for one still missing)."""
    hz = hazard_frame([{"hazard_id": "H1"}], [box(103.1, 19.4, 103.11, 19.41)])
    approval.approve(session, submissions.stage(session, write_zip(hz, tmp_path, "hz"),
                                                kind="hazards").submission.id)  # fmt: skip
    monkeypatch.setattr(
        validate, "_number", lambda out, value, field: None if value is None else float(value)
    )
    rel = gpd.GeoDataFrame(
        [{"release_id": "R1", "hazard_id": "H1", "method": "TS", "released": "2022-02-02",
          "area_m2": -5}],
        geometry=[box(103.1, 19.4, 103.105, 19.41)],
        crs=4326,
    )  # fmt: skip
    staged = submissions.stage(session, write_zip(rel, tmp_path, "rel"), kind="releases")
    assert staged.errors == 0
    with pytest.raises(Conflict) as refused, session.begin_nested():
        approval.approve(session, staged.submission.id, by="reviewer")
    assert "refused to record submission" in refused.value.detail
    assert "ck_release_stated_area of table release" in refused.value.detail
    assert "Nothing was recorded" in refused.value.detail
    assert session.scalar(select(func.count()).select_from(Release)) == 0


def test_hazard_ids_in_a_numeric_column_are_recorded_as_the_review_shows_them(
    session: Session, country: None, tmp_path: Path
) -> None:
    """helper-90's shapefile kept its hazard ids in a Real field: the review showed 2001,
    the hazard was recorded as "2001.0", and a release naming hazard 2001 was then told
    that no such hazard is recorded."""
    hz = hazard_frame(
        [{"hazard_id": 2001.0}, {"hazard_id": 2002.5}],
        [box(103.1, 19.4, 103.11, 19.41), box(103.2, 19.4, 103.21, 19.41)],
    )
    staged = submissions.stage(session, write_zip(hz, tmp_path, "hz"), kind="hazards")
    shown = session.scalars(
        select(SubmissionFeature.reference)
        .where(SubmissionFeature.submission_id == staged.submission.id)
        .order_by(SubmissionFeature.row_number)
    ).all()
    assert shown == ["2001", "2002.5"]
    approval.approve(session, staged.submission.id)
    assert sorted(session.scalars(select(Hazard.reference))) == ["2001", "2002.5"]
    rel = gpd.GeoDataFrame(
        [{"release_id": 7.0, "hazard_id": 2001.0, "method": "TS", "released": "2022-02-02"}],
        geometry=[box(103.1, 19.4, 103.105, 19.41)],
        crs=4326,
    )
    named = submissions.stage(session, write_zip(rel, tmp_path, "rel"), kind="releases")
    assert named.errors == 0
    approval.approve(session, named.submission.id)
    assert session.scalars(select(Release.reference)).all() == ["7"]


def test_a_release_naming_its_hazard_in_other_capitals_is_told_the_recorded_one(
    session: Session, country: None, tmp_path: Path
) -> None:
    """helper-90's release named id-0003 beside a recorded ID-0003 and was told only that
    no such hazard is recorded."""
    hz = hazard_frame([{"hazard_id": "ID-0003"}], [box(103.1, 19.4, 103.11, 19.41)])
    approval.approve(session, submissions.stage(session, write_zip(hz, tmp_path, "hz"),
                                                kind="hazards").submission.id)  # fmt: skip
    rel = gpd.GeoDataFrame(
        [{"release_id": "R1", "hazard_id": "id-0003", "method": "TS", "released": "2022-02-02"},
         {"release_id": "R2", "hazard_id": "ID-0009", "method": "TS", "released": "2022-02-02"}],
        geometry=[box(103.1, 19.4, 103.105, 19.41)] * 2,
        crs=4326,
    )  # fmt: skip
    staged = submissions.stage(session, write_zip(rel, tmp_path, "rel"), kind="releases")
    said = {f.row: f.message for f in staged.findings if f.code == "unknown_hazard"}
    assert said == {
        1: "hazard id-0003 is not recorded; hazard ID-0003 is: references are written as "
        "recorded, capitals and all",
        2: "hazard ID-0009 is not recorded",
    }


def test_a_revision_of_a_hazard_written_with_other_zeros_is_told_the_recorded_one(
    session: Session, country: None, tmp_path: Path
) -> None:
    # a legacy system's revision of KH-000243 written "KH-243" had been told only that
    # no such hazard is recorded
    hz = hazard_frame([{"hazard_id": "KH-000243"}], [box(103.1, 19.4, 103.11, 19.41)])
    approval.approve(session, submissions.stage(session, write_zip(hz, tmp_path, "hz"),
                                                kind="hazards").submission.id)  # fmt: skip
    revision = hazard_frame(
        [{"hazard_id": "KH-243", "status": "CHA", "revised": "2023-01-01"}],
        [box(103.1, 19.4, 103.11, 19.41)],
    )
    staged = submissions.stage(session, write_zip(revision, tmp_path, "rev"), kind="hazards")
    assert [f.message for f in staged.findings if f.code == "unknown_hazard"] == [
        "'revised' is set but hazard KH-243 is not recorded (and not in this file); hazard "
        "KH-000243 is, which differs in its capitals, separators or zeros alone: if it is that "
        "hazard, write KH-000243 as recorded"
    ]


def test_a_release_naming_its_hazard_with_other_separators_or_zeros_is_told_the_recorded_one(
    session: Session, country: None, tmp_path: Path
) -> None:
    # Legacy files write a reference as "KH 243" or "KH-0243" for the register's KH-000243:
    # each release was told only that no such hazard is recorded.
    hz = hazard_frame(
        [{"hazard_id": "KH-000243"}, {"hazard_id": "KH-000234"}],
        [box(103.1, 19.4, 103.11, 19.41), box(103.2, 19.4, 103.21, 19.41)],
    )
    approval.approve(session, submissions.stage(session, write_zip(hz, tmp_path, "hz"),
                                                kind="hazards").submission.id)  # fmt: skip
    rows = ["kh 243", "KH-0243", "KH_243", "KH-000423", "KH-2430", "KH-24.3"]
    rel = gpd.GeoDataFrame(
        [
            {"release_id": f"R{i}", "hazard_id": ref, "method": "TS", "released": "2022-02-02"}
            for i, ref in enumerate(rows)
        ],
        geometry=[box(103.1, 19.4, 103.105, 19.41)] * len(rows),
        crs=4326,
    )
    staged = submissions.stage(session, write_zip(rel, tmp_path, "rel"), kind="releases")
    said = {f.row: f.message for f in staged.findings if f.code == "unknown_hazard"}
    told = (
        "; hazard KH-000243 is, which differs in its capitals, separators or zeros alone: "
        "if it is that hazard, write KH-000243 as recorded"
    )
    assert said == {
        1: f"hazard kh 243 is not recorded{told}",
        2: f"hazard KH-0243 is not recorded{told}",
        3: f"hazard KH_243 is not recorded{told}",
        # digits in another order, or a zero that is no padding, name another number
        4: "hazard KH-000423 is not recorded",
        5: "hazard KH-2430 is not recorded",
        # a separator between digits parts two numbers ("KH-3.0", a spreadsheet's number,
        # had been sent to KH-000030: helper-135)
        6: "hazard KH-24.3 is not recorded",
    }
    # two recorded hazards that one reference could mean are both named, never one of them
    more = hazard_frame([{"hazard_id": "KH-243"}], [box(103.3, 19.4, 103.31, 19.41)])
    approval.approve(session, submissions.stage(session, write_zip(more, tmp_path, "more"),
                                                kind="hazards").submission.id)  # fmt: skip
    again = submissions.stage(session, write_zip(rel.iloc[[1]], tmp_path, "again"), kind="releases")
    assert [f.message for f in again.findings if f.code == "unknown_hazard"] == [
        "hazard KH-0243 is not recorded; hazards KH-000243, KH-243 are, which differ from it in "
        "their capitals, separators or zeros alone: if it is one of them, write it as recorded"
    ]


def test_releases_are_validated_against_the_database(
    session: Session, country: None, tmp_path: Path
) -> None:
    hz = hazard_frame([{"hazard_id": "H1"}], [box(103.1, 19.4, 103.11, 19.41)])
    staged = submissions.stage(session, write_zip(hz, tmp_path, "hz"), kind="hazards")
    approval.approve(session, staged.submission.id)
    rel = gpd.GeoDataFrame(
        [
            {
                "release_id": "R1",
                "hazard_id": "H1",
                "method": "clearance",
                "released": "2022-02-02",
                "items": "BLU-26:3",
            },
            {"release_id": "R2", "hazard_id": "NOPE", "method": "TS", "released": "2022-02-02"},
        ],
        geometry=[box(103.1, 19.4, 103.105, 19.41), box(103.1, 19.4, 103.105, 19.41)],
        crs=4326,
    )
    outcome = submissions.stage(session, write_zip(rel, tmp_path, "rel"), kind="releases")
    assert [(f.row, f.code) for f in outcome.findings if f.blocking] == [(2, "unknown_hazard")]
    approval.reject(session, outcome.submission.id, reason="R2 names no hazard")
    assert outcome.submission.status == "rejected"
    with pytest.raises(Conflict, match="rejected"):
        approval.approve(session, outcome.submission.id)
    ok = submissions.stage(session, write_zip(rel.iloc[:1], tmp_path, "rel1"), kind="releases")
    approval.approve(session, ok.submission.id)
    assert session.scalar(select(func.count()).select_from(Release)) == 1
    assert article7(session, 2022, ReportScope())["released"][-1]["cleared_m2"] > 0
    # The same result again under another reference (an operator's two files, found by a
    # walk-through): its ground counts once, its items would count twice; it was silent.
    again = rel.iloc[:1].assign(release_id="R1-AGAIN")
    twice = submissions.stage(session, write_zip(again, tmp_path, "again"), kind="releases")
    warned = [f for f in twice.findings if f.code == "same_as_recorded"]
    assert [(f.row, f.severity.value) for f in warned] == [(1, "warning")]
    assert "release R1," in warned[0].message and "items" in warned[0].message
    later = again.assign(release_id="R1-LATER", released="2022-03-03")  # another day: none
    other_day = submissions.stage(session, write_zip(later, tmp_path, "later"), kind="releases")
    assert "same_as_recorded" not in {f.code for f in other_day.findings}


def test_a_release_is_checked_against_the_boundary_in_force_on_its_date(
    session: Session, country: None, tmp_path: Path
) -> None:
    """A legacy clearance of 2015 naming its hazard, redrawn elsewhere in 2016, was refused
    ("the release polygon does not touch hazard XK-0002"): it was checked against today's
    boundary, though it counts against the boundary of its date (§2.7, found by a
    walk-through migrating legacy records)."""
    first, redrawn = box(103.1, 19.4, 103.11, 19.41), box(103.2, 19.4, 103.21, 19.41)
    for name, frame in (
        ("first", hazard_frame([{"hazard_id": "XK-2", "recorded": "2015-01-01"}], [first])),
        ("redrawn", hazard_frame([{"hazard_id": "XK-2", "revised": "2016-02-01"}], [redrawn])),
    ):
        staged = submissions.stage(session, write_zip(frame, tmp_path, name), kind="hazards")
        approval.approve(session, staged.submission.id)
    cleared = box(103.1, 19.4, 103.105, 19.41)  # on the boundary of 2015 only
    rel = gpd.GeoDataFrame(
        [
            {
                "release_id": "LR-7",
                "hazard_id": "XK-2",
                "method": "cleared",
                "released": "2015-06-01",
            },
            {
                "release_id": "LR-8",
                "hazard_id": "XK-2",
                "method": "cleared",
                "released": "2017-06-01",
            },  # after the redrawing: it misses the hazard then
        ],
        geometry=[cleared, cleared],
        crs=4326,
    )
    outcome = submissions.stage(session, write_zip(rel, tmp_path, "rel"), kind="releases")
    assert [(f.row, f.code) for f in outcome.findings if f.blocking] == [(2, "misses_hazard")]
    assert not [f for f in outcome.findings if f.row == 1], outcome.findings
    approval.approve(session, outcome.submission.id, partial=True)
    counted = session.scalar(
        text(
            "SELECT -e.delta_m2 FROM ledger_entry e JOIN release r ON r.id = e.release_id "
            "WHERE r.reference = 'LR-7'"
        )
    )
    expected = session.scalar(
        text("SELECT ST_Area(ST_GeomFromText(:g, 4326)::geography)"), {"g": cleared.wkt}
    )
    assert counted == pytest.approx(expected, rel=1e-6)


def test_the_file_an_upload_replaces_is_not_told_of_as_uploaded_before(
    session: Session, country: None, tmp_path: Path
) -> None:
    """Staged with --replaces 30, an upload warned "uploaded before as submission 30
    (validated, not approved)", though it had just superseded 30."""
    path = write_zip(
        hazard_frame([{"hazard_id": "R-1"}], [box(103.1, 19.4, 103.11, 19.41)]), tmp_path, "same"
    )
    first = submissions.stage(session, path, kind="hazards", organisation="MAG")
    again = submissions.stage(
        session, path, kind="hazards", organisation="MAG", replaces=first.submission.id
    )
    said = {f.code: f.message for f in again.findings}
    assert said["same_file"] == (
        f"this is the very file of submission {first.submission.id}, which it replaces: "
        "nothing in it is corrected"
    )
    third = submissions.stage(session, path, kind="hazards", organisation="MAG")
    said = {f.code: f.message for f in third.findings}  # the superseded one is not named
    assert f"submission {again.submission.id} (then validated, not approved)" in said["same_file"]


def test_the_very_file_sent_again_with_other_choices_says_what_it_reads_otherwise(
    session: Session, country: None, tmp_path: Path
) -> None:
    """Sent again replacing its first upload with "Repair invalid polygons" ticked, a file
    whose one error became a repair was told "nothing in it is corrected"; and once
    approved, the warning went from its page (a legacy migration's review, helper-99)."""
    bowtie = Polygon([(103.1, 19.4), (103.11, 19.41), (103.11, 19.4), (103.1, 19.41)])
    path = write_zip(hazard_frame([{"hazard_id": "RP-1"}], [bowtie]), tmp_path, "bowtie")
    first = submissions.stage(session, path, kind="hazards", organisation="MAG")
    assert first.errors == 1
    again = submissions.stage(
        session, path, kind="hazards", organisation="MAG", replaces=first.submission.id, repair=True
    )
    said = {f.code: f.message for f in again.findings}
    expected = (
        f"this is the very file of submission {first.submission.id}, which it replaces, read "
        "with other choices: invalid polygons repaired"
    )
    assert again.errors == 0 and said["same_file"] == expected
    approval.approve(session, again.submission.id, by="reviewer")
    kept = {f.code: f.message for f in submissions.findings_of(session, again.submission.id)}
    assert kept.get("same_file") == expected


def test_an_operator_is_not_told_of_another_organisations_copy_of_their_file(
    session: Session, country: None, tmp_path: Path
) -> None:
    """MAG's operator uploading NPA's very file was told "uploaded before as submission
    20 (validated, not approved)": that NPA holds it, its number and its status (a third
    attack on our own instance)."""
    path = write_zip(
        hazard_frame([{"hazard_id": "O-1"}], [box(103.1, 19.4, 103.11, 19.41)]), tmp_path, "o"
    )
    submissions.stage(session, path, kind="hazards", organisation="NPA", new_organisation=True)
    theirs = submissions.stage(
        session, path, kind="hazards", organisation="MAG", own_records=True, new_organisation=True
    )
    assert "same_file" not in {f.code for f in theirs.findings}
    again = submissions.stage(session, path, kind="hazards", organisation="MAG", own_records=True)
    said = {f.code: f.message for f in again.findings}  # their own earlier upload is told
    assert f"submission {theirs.submission.id} (then validated, not approved)" in said["same_file"]
    reviewers = submissions.stage(session, path, kind="hazards", organisation="MAG")
    assert "same_file" in {f.code for f in reviewers.findings}  # a reviewer sees them all


def test_an_operator_is_not_told_of_another_organisations_form_records(
    session: Session, country: None, tmp_path: Path
) -> None:
    """MAG's operator sending a form export with the record id of one of NPA's was told
    "form record … was sent before, in submission 18 (validated)": NPA's submission, its
    number and status, and a way to test record ids (an attack on our own instance)."""

    def export(name: str) -> Path:
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "hazard_id,status,recorded,contam,wkt,_uuid\n"
            f"F-{name},SHA,2024-05-01,CMR,"
            '"POLYGON((103.1 19.4,103.11 19.4,103.11 19.41,103.1 19.41,103.1 19.4))",'
            "uuid:5f1c0a9e\n",
            encoding="utf-8",
        )
        return path

    npa = submissions.stage(
        session, export("npa"), kind="hazards", organisation="NPA", new_organisation=True
    )
    assert npa.errors == 0, npa.findings
    theirs = submissions.stage(
        session, export("mag"), kind="hazards", organisation="MAG", own_records=True,
        new_organisation=True,
    )  # fmt: skip
    assert "record_sent_before" not in {f.code for f in theirs.findings}
    again = submissions.stage(
        session, export("mag2"), kind="hazards", organisation="MAG", own_records=True
    )
    said = [f.message for f in again.findings if f.code == "record_sent_before"]
    assert said == [  # their own earlier export is told
        f"form record 5f1c0a9e was sent before, in submission {theirs.submission.id} "
        "(validated): take it out of the export unless it is meant to revise it"
    ]
    # a reviewer's upload for MAG is MAG's operators' to read: MAG's own are named only
    # (it had named NPA's: an attack on our own instance, helper-102)
    for_mag = submissions.stage(session, export("for-mag"), kind="hazards", organisation="MAG")
    told = [f.message for f in for_mag.findings if f.code == "record_sent_before"]
    assert told and all(f"in submission {npa.submission.id} " not in m for m in told), told
    # of no organisation, which staff alone read, it is told of every one
    national = submissions.stage(session, export("any"), kind="hazards")
    told = [f.message for f in national.findings if f.code == "record_sent_before"]
    assert any(f"in submission {npa.submission.id} " in m for m in told), told
    # once NPA's is recorded, the form record sent again under another reference is the
    # same ground twice: said of a submission of no organisation, never of MAG's, staff's
    # or not (a staff upload for MAG had named NPA's: an attack on our own instance)
    approval.approve(session, npa.submission.id, by="reviewer")
    for organisation in ("MAG", None):
        again = submissions.stage(
            session, export(f"after-{organisation}"), kind="hazards", organisation=organisation
        )
        named = [
            f.message for f in again.findings if f"submission {npa.submission.id}" in f.message
        ]
        assert bool(named) == (organisation is None), (organisation, named)


def test_an_approval_that_checks_again_keeps_the_warnings_naming_other_submissions(
    session: Session, country: None, tmp_path: Path
) -> None:
    """An approval after another one checks the features again and stores the findings
    anew: the warnings that named other submissions (the hazard also in one awaiting
    review, the form record sent before) had been dropped from the review page, and the
    approval's audit counted fewer warnings than the reviewer had read."""

    def export(name: str, reference: str, status: str, record: str) -> Path:
        west = 103.1 if reference == "KW-1" else 103.3
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "hazard_id,status,recorded,contam,wkt,_uuid\n"
            f'{reference},{status},2024-05-01,CMR,"POLYGON(({west} 19.4,{west + 0.01} 19.4,'
            f'{west + 0.01} 19.41,{west} 19.41,{west} 19.4))",uuid:{record}\n',
            encoding="utf-8",
        )
        return path

    first = submissions.stage(session, export("first", "KW-1", "SHA", "a1"), kind="hazards")
    second = submissions.stage(session, export("second", "KW-1", "CHA", "a1"), kind="hazards")
    said = sorted((f.code, f.message) for f in second.findings if f.row is not None)
    assert said == [
        (
            "pending_elsewhere",
            f"hazard KW-1 is also in submission {first.submission.id}, awaiting review: "
            "approving both records both, in the order they are approved: reject one if it "
            "is the same change sent again",
        ),
        (
            "record_sent_before",
            f"form record a1 was sent before, in submission {first.submission.id} "
            "(validated): take it out of the export unless it is meant to revise it",
        ),
    ]
    other = submissions.stage(session, export("other", "KW-2", "SHA", "b2"), kind="hazards")
    approval.approve(session, other.submission.id, by="reviewer")  # what validation reads moved

    steps: list[str] = []
    approval.approve(session, second.submission.id, by="reviewer", progress=steps.append)
    assert "approving: checking the 1 feature again" in steps
    kept = sorted(
        (f.code, f.message)
        for f in submissions.findings_of(session, second.submission.id)
        if f.row is not None
    )
    assert kept == said
    # the form record is not "sent before" in the submission itself, nor in a later one
    assert all(f"submission {second.submission.id}" not in message for _, message in kept)


def test_an_approval_that_checks_again_stops_at_warnings_its_review_did_not_show(
    session: Session, country: None, tmp_path: Path
) -> None:
    """Two submissions awaiting review held the same polygon under two references: neither
    was warned (overlaps were with recorded hazards), and approving the second after the
    first found the overlap on its check and approved it anyway, the ground counted twice
    (a walk-through). The second is warned at upload now (overlaps_pending); its approval
    after the first stops, keeps the warning for the review, and goes ahead when approved
    again."""
    square = box(103.1, 19.4, 103.11, 19.41)

    def send(reference: str) -> submissions.StageOutcome:
        frame = hazard_frame([{"hazard_id": reference}], [square])
        return submissions.stage(session, write_zip(frame, tmp_path, reference), kind="hazards")

    first, second = send("TWICE-1"), send("TWICE-2")
    # the first is not recorded yet: awaiting review, it is named
    assert [f.code for f in second.findings] == ["overlaps_pending"]
    assert "hazard TWICE-1 in submission" in second.findings[0].message
    approval.approve(session, first.submission.id, by="reviewer")
    with pytest.raises(approval.FoundAgain) as refused:
        approval.approve(session, second.submission.id, by="reviewer")
    assert refused.value.extra["unseen_warnings"] == 1
    assert [f["code"] for f in refused.value.extra["findings"]] == ["overlaps_hazard"]
    assert "TWICE-1" in refused.value.extra["findings"][0]["message"]
    assert "its review did not show" in refused.value.detail
    approval.keep_found_again(session, refused.value)
    recorded = select(func.count()).select_from(Hazard).where(Hazard.reference == "TWICE-2")
    assert session.scalar(recorded) == 0
    kept = [f.code for f in submissions.findings_of(session, second.submission.id)]
    assert kept == ["overlaps_hazard"]  # what the review page shows now
    found = approval.approve(session, second.submission.id, by="reviewer")  # read: approved
    assert [f.code for f in found] == ["overlaps_hazard"]
    assert session.scalar(recorded) == 1


def test_a_revision_that_sets_back_a_status_changed_since_is_warned(
    session: Session, country: None, tmp_path: Path
) -> None:
    """A revision prepared before another one was approved keeps the status it was
    prepared with: approved after it, it silently undid the other (KH-000233 went back from
    CHA to SHA in a walk-through). It is a warning, at upload and when an approval checks
    the revision again, which then stops for the reviewer to read it."""
    square = box(103.1, 19.4, 103.11, 19.41)

    def send(name: str, rows: list[dict]) -> submissions.StageOutcome:  # type: ignore[type-arg]
        frame = hazard_frame(rows, [square] * len(rows))
        return submissions.stage(session, write_zip(frame, tmp_path, name), kind="hazards")

    recorded = send("recorded", [{"hazard_id": "BACK-1", "status": "SHA"}])
    approval.approve(session, recorded.submission.id, by="reviewer")
    # a marking, with the status the form showed then; and a reclassification
    marking = {"hazard_id": "BACK-1", "revised": "2024-03-01", "status": "SHA"}
    marked = send("marked", [{**marking, "marked": "2024-02-20"}])
    confirmed = send(
        "confirmed", [{"hazard_id": "BACK-1", "revised": "2024-02-01", "status": "CHA"}]
    )
    assert [f.code for f in marked.findings] == []  # nothing had changed the status then
    approval.approve(session, confirmed.submission.id, by="reviewer")
    with pytest.raises(approval.FoundAgain) as refused:
        approval.approve(session, marked.submission.id, by="reviewer")
    [warning] = refused.value.extra["findings"]
    assert warning["code"] == "reverses_revision" and warning["field"] == "status"
    assert warning["message"].startswith(
        "this revision sets BACK-1's status back to SHA: the revision in force, of "
        "2024-02-01 (recorded "
    )
    assert "changed it from SHA to CHA" in warning["message"]
    # sent now, it is said at upload
    again = send("again", [{**marking, "marked": "2024-02-21"}])
    assert "reverses_revision" in [f.code for f in again.findings]
    # one that keeps the status in force, or is dated before that revision, is not warned
    kept = send("kept", [{**marking, "status": "CHA", "marked": "2024-02-22"}])
    earlier = send("earlier", [{**marking, "revised": "2024-01-15", "marked": "2024-01-10"}])
    assert "reverses_revision" not in [f.code for f in kept.findings + earlier.findings]


def test_a_record_left_out_of_a_partial_approval_is_not_said_to_be_sent_before(
    session: Session, country: None, tmp_path: Path
) -> None:
    """A field team sends again, corrected, the record its approved-in-part export had with
    an error: it had been told "form record … was sent before, in submission N (approved):
    take it out of the export", the one record the reviewer had asked for (a review as a
    data manager). The record that was recorded is named as recorded already."""
    square = '"POLYGON((103.1 19.4,103.11 19.4,103.11 19.41,103.1 19.41,103.1 19.4))"'
    other = '"POLYGON((103.2 19.4,103.21 19.4,103.21 19.41,103.2 19.41,103.2 19.4))"'

    def export(name: str, second_status: str) -> Path:
        path = tmp_path / f"{name}.csv"
        path.write_text(
            "hazard_id,status,recorded,contam,wkt,_uuid\n"
            f"P-1,SHA,2024-05-01,CMR,{square},uuid:aaa-1\n"
            f"P-2,{second_status},2024-05-01,CMR,{other},uuid:bbb-2\n",
            encoding="utf-8",
        )
        return path

    first = submissions.stage(session, export("first", "XYZ"), kind="hazards")
    assert [(f.row, f.code) for f in first.findings if f.blocking] == [(2, "unknown_value")]
    approval.approve(session, first.submission.id, by="reviewer", partial=True)
    assert set(session.scalars(select(Hazard.reference))) == {"P-1"}
    # the whole export again, its second record corrected
    again = submissions.stage(session, export("again", "CHA"), kind="hazards")
    assert [f.code for f in again.findings if f.code == "record_sent_before"] == []
    # the record that was recorded is passed by, as recorded already: one line says so
    said = [(f.row, f.message) for f in again.findings if f.row is not None]
    assert said == [
        (
            1,
            f"form record aaa-1 is recorded already, unchanged, by submission "
            f"{first.submission.id}: it is not recorded again",
        )
    ]
    approval.approve(session, again.submission.id, by="reviewer")
    assert set(session.scalars(select(Hazard.reference))) == {"P-1", "P-2"}


def test_concurrent_conflicting_approvals_leave_one_winner(
    committed_engine: Engine, tmp_path: Path
) -> None:
    frame = hazard_frame([{"hazard_id": "SAME"}], [box(103.1, 19.4, 103.11, 19.41)])
    ids = []
    for i in range(2):
        with Session(committed_engine) as s, s.begin():
            path = write_zip(frame, tmp_path, f"dup{i}")
            ids.append(submissions.stage(s, path, kind="hazards").submission.id)
    outcomes: dict[int, str] = {}

    def approve(sid: int) -> None:
        try:
            with Session(committed_engine) as s, s.begin():
                approval.approve(s, sid)
            outcomes[sid] = "approved"
        except Conflict as exc:
            outcomes[sid] = exc.detail

    threads = [threading.Thread(target=approve, args=(sid,)) for sid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(v == "approved" for v in outcomes.values()) == [False, True]
    loser = next(v for v in outcomes.values() if v != "approved")
    assert "already_recorded" in loser
    with committed_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hazard")).scalar_one() == 1


def test_settled_submissions_answer_at_once_while_an_approval_holds_the_lock(
    committed_engine: Engine, tmp_path: Path
) -> None:
    # Attack of issue 13 (item 7): approve calls for settled submissions queued behind
    # the approval lock. They are answered before the lock is even asked for.
    with Session(committed_engine) as s, s.begin():
        load_boundaries(s, [BoundaryFeature("LA-XI", "X", MultiPolygon([LAOS]))], level=1)
        ids = []
        for n in range(3):
            square = box(103.1 + n / 10, 19.4, 103.11 + n / 10, 19.41)
            frame = hazard_frame([{"hazard_id": f"LOCK-{n}"}], [square])
            ids.append(
                submissions.stage(
                    s, write_zip(frame, tmp_path, f"s{n}"), kind="hazards"
                ).submission.id
            )
        approved, rejected, waiting = ids
        approval.approve(s, approved)
        approval.reject(s, rejected, reason="wrong file")
    with committed_engine.connect() as holder:  # a long approval elsewhere holds the lock
        holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": approval.APPROVAL_LOCK})
        with Session(committed_engine) as s:
            s.execute(text("SET lock_timeout = '1s'"))
            started = time.monotonic()
            assert approval.approve(s, approved) == []
            with pytest.raises(Conflict, match="was rejected"):
                approval.approve(s, rejected)
            with pytest.raises(NotFound):
                approval.approve(s, 2**31 - 1)
            assert time.monotonic() - started < 0.5
            s.rollback()
            s.execute(text("SET lock_timeout = '1s'"))
            with pytest.raises(OperationalError, match="lock timeout"):
                approval.approve(s, waiting)  # this one does need the lock
        holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": approval.APPROVAL_LOCK})


def test_organisations_come_from_the_reference_list_never_from_a_name_in_a_file(
    session: Session, country: None, tmp_path: Path
) -> None:
    # Issue 13, item 12: any --org or operator text made a new organisation (one was
    # named <script>…); a typo became an organisation of its own.
    orgs = lambda: set(session.scalars(text("SELECT name FROM organisation")))  # noqa: E731
    before = orgs()
    frame = hazard_frame(
        [
            {"hazard_id": "OP-1", "operator": "mag"},
            {"hazard_id": "OP-2", "operator": "MGA"},
            {"hazard_id": "OP-3", "operator": "<script>alert(1)</script>"},
        ],
        [
            box(103.1, 19.4, 103.11, 19.41),
            box(103.2, 19.4, 103.21, 19.41),
            box(103.3, 19.4, 103.31, 19.41),
        ],
    )
    path = write_zip(frame, tmp_path, "operators")
    for typo, hint in (("Mag ", None), ("MGA", "did you mean MAG"), ("<script>x", None)):
        if hint is None and typo.strip().lower() == "mag":
            assert submissions.stage(session, path, kind="hazards", organisation=typo)
            continue
        with pytest.raises(InvalidRequest) as refused:
            submissions.stage(session, path, kind="hazards", organisation=typo)
        assert "unknown organisation" in refused.value.detail
        if hint:
            assert hint in refused.value.detail
    assert orgs() == before
    outcome = submissions.stage(session, path, kind="hazards", organisation="MAG")
    by_row = {f.row: f for f in outcome.findings if f.code == "unknown_organisation"}
    assert set(by_row) == {2, 3} and "did you mean MAG" in by_row[2].message
    assert by_row[2].field == "operator" and by_row[2].blocking
    assert orgs() == before  # nothing was added by the file
    added = submissions.stage(
        session,
        path,
        kind="hazards",
        organisation="Demining Alpha",
        new_organisation=True,
        uploaded_by="tests",
    )
    assert added.submission.organisation_id is not None
    assert orgs() == before | {"Demining Alpha"}
    added_event = "SELECT COUNT(*) FROM audit_event WHERE action = 'organisation.added' AND "
    audited = session.scalar(text(added_event + "object_id = 'Demining Alpha'"))
    assert audited == 1


def test_columns_that_are_not_template_fields_are_kept_and_shown(
    session: Session, country: None, tmp_path: Path, client_as: ClientAs
) -> None:
    # Issue 19, item 7: the MAG example's village (BAN) and NOTE columns vanished.
    frame = hazard_frame(
        [
            {"hazard_id": "KEEP-1", "BAN": "ບ້ານ ນາໂພ", "NOTE": "near the school"},
            {"hazard_id": "KEEP-2", "BAN": "Ban Phonsavan", "NOTE": None},
        ],
        [box(103.1, 19.4, 103.11, 19.41), box(103.2, 19.4, 103.21, 19.41)],
    )
    outcome = submissions.stage(
        session, write_zip(frame, tmp_path, "extras"), kind="hazards", organisation="MAG"
    )
    note = next(f for f in outcome.findings if "not template fields" in f.message)
    assert "BAN, NOTE" in note.message and not note.blocking
    approval.approve(session, outcome.submission.id, by="reviewer")
    query = "SELECT h.reference, r.attributes FROM hazard_revision r JOIN hazard h ON h.id = "
    kept = dict(session.execute(text(query + "r.hazard_id")).all())  # type: ignore[arg-type]
    assert kept["KEEP-1"] == {"BAN": "ບ້ານ ນາໂພ", "NOTE": "near the school"}
    assert kept["KEEP-2"] == {"BAN": "Ban Phonsavan"}  # an empty cell is no attribute
    client = client_as()
    page = client.get("/hazards/KEEP-1").text
    assert 'id="attributes"' in page and "ບ້ານ ນາໂພ" in page and "near the school" in page
    review = client.get(f"/submissions/{outcome.submission.id}").text
    assert "<th>BAN</th>" in review and "Ban Phonsavan" in review
    assert "_attributes" not in review  # the file's own columns, not the store's


def test_an_approval_uses_what_staging_validated_while_nothing_has_changed(
    session: Session, country: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame = hazard_frame(
        [{"hazard_id": "H1", "village": "Ban Na"}, {"hazard_id": "H2", "status": "CHA"}],
        [box(103.1, 19.4, 103.11, 19.41), box(103.2, 19.4, 103.21, 19.41)],
    )
    outcome = submissions.stage(session, write_zip(frame, tmp_path, "h"), kind="hazards")
    stored = submissions.validated_features(session, outcome.submission.id)
    assert outcome.validated is not None and stored is not None
    assert stored.records == outcome.validated.records  # kept as validated, read back alike
    pairs = zip(stored.geometries, outcome.validated.geometries, strict=True)
    assert all(g is not None and g.equals(h) for g, h in pairs)
    checks: list[int] = []
    real = submissions.validate
    monkeypatch.setattr(submissions, "validate", lambda *a, **k: checks.append(1) or real(*a, **k))
    steps: list[str] = []
    approval.approve(session, outcome.submission.id, progress=steps.append)
    assert checks == []  # not validated a second time
    assert "approving: nothing has changed since the features were checked" in steps
    rows = session.execute(
        text(
            "SELECT h.reference, r.status, r.attributes, e.quantity FROM hazard h "
            "JOIN hazard_revision r ON r.hazard_id = h.id "
            "JOIN hazard_estimate e ON e.revision_id = r.id ORDER BY h.reference"
        )
    ).all()
    assert [tuple(r) for r in rows] == [
        ("H1", "SHA", {"village": "Ban Na"}, 5),
        ("H2", "CHA", None, 5),
    ]


def test_an_approval_validates_again_after_anything_validation_reads_changed(
    session: Session, country: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = hazard_frame([{"hazard_id": "A"}], [box(103.1, 19.4, 103.11, 19.41)])
    second = hazard_frame([{"hazard_id": "B"}], [box(103.3, 19.4, 103.31, 19.41)])
    a = submissions.stage(session, write_zip(first, tmp_path, "a"), kind="hazards")
    b = submissions.stage(session, write_zip(second, tmp_path, "b"), kind="hazards")
    day = dt.date(2026, 1, 5)
    stamp = submissions.database_stamp(session, day)
    assert submissions.database_stamp(session, day) == stamp
    assert submissions.database_stamp(session, day + dt.timedelta(days=1)) != stamp
    add_organisation(session, "Lao Clearance Team", "operator", by="admin")
    assert submissions.database_stamp(session, day) != stamp
    stamp = submissions.database_stamp(session, day)
    approval.approve(session, a.submission.id)  # a hazard recorded
    assert submissions.database_stamp(session, day) != stamp
    checks: list[int] = []
    real = submissions.validate
    monkeypatch.setattr(submissions, "validate", lambda *a, **k: checks.append(1) or real(*a, **k))
    approval.approve(session, b.submission.id)
    assert checks == [1]
    assert set(session.scalars(select(Hazard.reference))) == {"A", "B"}


def test_an_approval_on_a_later_day_of_the_year_keeps_a_clean_files_findings(
    session: Session, country: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The day enters validation only in the check of dates ahead of the server's and in a
    # warning that compares years: a clean file staged one day and approved the next had
    # been checked whole again (a minute for a national releases file).
    def staged(ref: str, x: float, day: dt.date, recorded: str = "2020-01-01") -> int:
        frame = hazard_frame(
            [{"hazard_id": ref, "recorded": recorded}], [box(x, 19.4, x + 0.01, 19.41)]
        )
        return submissions.stage(
            session, write_zip(frame, tmp_path, ref), kind="hazards", today=day
        ).submission.id

    checks: list[int] = []
    real = submissions.validate
    monkeypatch.setattr(submissions, "validate", lambda *a, **k: checks.append(1) or real(*a, **k))
    monday, next_week = dt.date(2026, 3, 2), dt.date(2026, 3, 9)
    clean = staged("A", 103.1, monday)
    # one with an error a later day clears: a date ahead of the server's at staging
    ahead = staged("B", 103.3, monday, recorded="2026-03-06")
    # one staged in December and approved in January: the year's warning may differ
    december = staged("C", 103.5, dt.date(2026, 12, 30))
    checks.clear()
    approval.approve(session, clean, today=next_week)
    assert checks == []  # the stored findings stand
    assert session.scalar(select(Hazard.reference).where(Hazard.reference == "A")) == "A"
    assert submissions.findings_counted(session, ahead)[0] == 1
    approval.approve(session, ahead, today=next_week)
    assert checks == [1]  # checked again: the date is no longer ahead, and B is recorded
    assert session.scalar(select(Hazard.reference).where(Hazard.reference == "B")) == "B"
    approval.approve(session, december, today=dt.date(2027, 1, 4))
    assert checks == [1, 1]
    # and never on a day before the check (a clock set back)
    earlier = staged("D", 103.7, next_week)
    checks.clear()
    approval.approve(session, earlier, today=monday)
    assert checks == [1]


def test_an_approval_tells_how_far_the_ledger_has_got(
    session: Session, country: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A national file's ledgers took a minute or two after "computing the ledger of …
    # hazards", with nothing printed meanwhile.
    monkeypatch.setattr(get_settings(), "ledger_chunk_size", 3)  # 12 hazards: 4 chunks
    cells = [box(103 + k / 100, 19.4, 103.005 + k / 100, 19.405) for k in range(12)]
    hz = hazard_frame([{"hazard_id": f"P{k}"} for k in range(12)], cells)
    rel = gpd.GeoDataFrame(
        [
            {"release_id": f"PR{k}", "hazard_id": f"P{k}", "method": "TS", "released": "2022-02-02"}
            for k in range(12)
        ],
        geometry=cells,
        crs=4326,
    )
    stored = [
        "approving: the ledger of 3 of 12 hazards stored (25 %)",
        "approving: the ledger of 6 of 12 hazards stored (50 %)",
        "approving: the ledger of 9 of 12 hazards stored (75 %)",
    ]
    for frame, kind in ((hz, "hazards"), (rel, "releases")):
        staged = submissions.stage(session, write_zip(frame, tmp_path, kind), kind=kind)
        steps: list[str] = []
        approval.approve(session, staged.submission.id, progress=steps.append)
        assert [s for s in steps if "stored" in s] == stored, kind
        computing = next(i for i, s in enumerate(steps) if "ledger of 12 hazards" in s)
        assert steps.index(stored[0]) == computing + 1  # told after the step is named


def test_staging_many_features_refreshes_the_statistics_the_review_page_plans_with(
    session: Session, country: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the review page (opened next) joins staged features to findings: planned from the
    # statistics of the tables before a national file, one tile of its map took 26.6 s
    monkeypatch.setattr(submissions, "ANALYZE_FROM_FEATURES", 3)
    frame = hazard_frame(
        [{"hazard_id": f"ST-{n}"} for n in range(3)],
        [box(103.1 + n / 10, 19.4, 103.11 + n / 10, 19.41) for n in range(3)],
    )
    staged = submissions.stage(session, write_zip(frame, tmp_path, "stats"), kind="hazards")
    planned = session.execute(
        text(
            "SELECT c.reltuples, (SELECT count(*) FROM submission_feature),"
            " (SELECT most_common_vals::text FROM pg_stats WHERE tablename = c.relname"
            "  AND attname = 'submission_id')"
            " FROM pg_class c WHERE c.relname = 'submission_feature'"
        )
    ).one()
    assert planned[0] == planned[1] >= 3  # counted in this transaction, its own rows too
    assert str(staged.submission.id) in planned[2].strip("{}").split(",")


def test_the_same_revisions_approved_twice_are_recorded_once(
    session: Session, country: None, tmp_path: Path
) -> None:
    square = box(103.1, 19.4, 103.11, 19.41)
    first = submissions.stage(
        session,
        write_zip(hazard_frame([{"hazard_id": "H1"}], [square]), tmp_path, "h"),
        kind="hazards",
    )
    approval.approve(session, first.submission.id, by="reviewer")
    revisions = hazard_frame(
        [{"hazard_id": "H1", "revised": "2022-01-01", "status": "CHA"}], [square]
    )
    path = write_zip(revisions, tmp_path, "revisions")
    # sent twice before either was reviewed: neither knows of the other's approval
    one, two = (submissions.stage(session, path, kind="hazards") for _ in range(2))
    assert one.errors == two.errors == 0
    approval.approve(session, one.submission.id, by="reviewer")
    # the very file approved: refused as such, not feature by feature with the advice to
    # give each the date a revision takes effect (which would record them once more)
    with pytest.raises(Conflict, match=f"the very file approved as submission {one.submission.id}"):
        approval.approve(session, two.submission.id, by="reviewer")
    revised = session.scalar(
        text(
            "SELECT count(*) FROM hazard_revision r JOIN hazard h ON h.id = r.hazard_id "
            "WHERE h.reference = 'H1'"
        )
    )
    assert revised == 2  # recorded, and revised once
    # sent a third time, after the approval: said at upload
    three = submissions.stage(session, path, kind="hazards")
    codes = [f.code for f in three.findings]
    assert "already_recorded" in codes and three.errors == 1
    # a revision that repeats the one in force on another day is only a warning, as before
    later = hazard_frame([{"hazard_id": "H1", "revised": "2023-01-01", "status": "CHA"}], [square])
    four = submissions.stage(session, write_zip(later, tmp_path, "later"), kind="hazards")
    assert [f.code for f in four.findings] == ["pending_elsewhere", "changes_nothing"]
    assert four.errors == 0  # and the first still awaiting review (refused on approval) named
    assert f"submission {two.submission.id}," in four.findings[0].message
    assert four.findings[1].message == (
        "this revision of H1 repeats the boundary, status and estimates in force: it would "
        "record only a new date; check that this is meant"
    )
    # one that changes an own column records that too, and is told so (helper-114: "only
    # a new date" of one that did)
    noted = later.assign(village=["Ban Na"], operator=["HALO Trust"])
    five = submissions.stage(session, write_zip(noted, tmp_path, "noted"), kind="hazards")
    [said] = [f.message for f in five.findings if f.code == "changes_nothing"]
    assert said.endswith(
        "it would record only a new date, the operator HALO Trust and its own column village; "
        "check that this is meant"
    )


def test_a_kml_written_by_gdal_keeps_its_dates(
    session: Session, country: None, tmp_path: Path
) -> None:
    """GDAL writes a date into KML as 2026/09/05, and every feature of a KML made with
    ogr2ogr (or QGIS) was refused: "is not a date (use YYYY-MM-DD)" (a walk-through). The
    year first is as unambiguous as ISO; a day first stays refused."""
    import pandas as pd

    frame = hazard_frame(
        [{"hazard_id": "K-1"}, {"hazard_id": "K-2"}],
        [box(103.1, 19.4, 103.11, 19.41), box(103.2, 19.4, 103.21, 19.41)],
    )
    frame["recorded"] = pd.to_datetime(["2026-09-05", "2025-01-31"])  # a date column
    path = tmp_path / "hazards.kml"
    frame.to_file(path, driver="KML")
    assert "2026/09/05" in path.read_text()  # as GDAL writes it
    outcome = submissions.stage(session, path, kind="hazards", organisation="MAG")
    assert outcome.errors == 0, outcome.findings
    approval.approve(session, outcome.submission.id, by="reviewer")
    recorded = session.execute(
        text(
            "SELECT h.reference, min(r.effective) FROM hazard h JOIN hazard_revision r"
            " ON r.hazard_id = h.id GROUP BY h.reference ORDER BY 1"
        )
    ).all()
    assert [(r, d.isoformat()) for r, d in recorded] == [
        ("K-1", "2026-09-05"),
        ("K-2", "2025-01-31"),
    ]


def test_a_date_before_1900_is_an_error_naming_its_field(
    session: Session, country: None, tmp_path: Path
) -> None:
    """13/01/0001, read day first, had passed as a hazard's date: no page or report can
    show a date before 1900 (an attack on our own instance)."""
    path = tmp_path / "old.csv"
    path.write_text(
        "hazard_id,status,recorded,contam,wkt\n"
        'OLD-1,SHA,0001-01-13,CMR,"POLYGON((103.1 19.4,103.11 19.4,103.11 19.41,103.1 19.4))"\n'
        'OLD-2,SHA,1899-03-31,CMR,"POLYGON((103.2 19.4,103.21 19.4,103.21 19.41,103.2 19.4))"\n'
        'OLD-3,SHA,1900-01-01,CMR,"POLYGON((103.3 19.4,103.31 19.4,103.31 19.41,103.3 19.4))"\n',
        encoding="utf-8",
    )
    outcome = submissions.stage(session, path, kind="hazards", organisation="MAG")
    early = [(f.row, f.field, f.message) for f in outcome.findings if f.code == "early_date"]
    assert early == [
        (1, "recorded", "recorded 0001-01-13 is before 1900: check its year"),
        (2, "recorded", "recorded 1899-03-31 is before 1900: check its year"),
    ]


def test_a_hazard_another_submission_awaiting_review_holds_is_named_once_per_feature(
    session: Session, country: None, tmp_path: Path
) -> None:
    """Two revisions of one hazard sent in two files were each staged without a word, and
    approving both recorded both (a review as a data manager)."""
    first = submissions.stage(
        session,
        write_zip(hazard_frame([{"hazard_id": "PE-1"}], [box(103.1, 19.4, 103.11, 19.41)]),
                  tmp_path, "first"),
        kind="hazards",
    )  # fmt: skip
    approval.approve(session, first.submission.id, by="reviewer")

    def revision(name: str, status: str, also: str | None = None) -> Path:
        rows = [{"hazard_id": "PE-1", "status": status, "revised": "2024-01-01"}]
        geoms = [box(103.1, 19.4, 103.11, 19.41)]
        if also:
            rows.append({"hazard_id": also})
            geoms.append(box(103.3, 19.4, 103.31, 19.41))
        return write_zip(hazard_frame(rows, geoms), tmp_path, name)

    pending = submissions.stage(session, revision("a", "CHA"), kind="hazards")
    assert "pending_elsewhere" not in {f.code for f in pending.findings}
    # (a revision that changes the hazard: one repeating it is left out, and not named)
    second = submissions.stage(session, revision("b", "CHA", also="PE-NEW"), kind="hazards")
    said = [
        (f.row, f.reference, f.message) for f in second.findings if f.code == "pending_elsewhere"
    ]
    assert said == [
        (
            1,
            "PE-1",
            f"hazard PE-1 is also in submission {pending.submission.id}, awaiting review: "
            "approving both records both, in the order they are approved: reject one if it "
            "is the same change sent again",
        )
    ]
    # the very same file again is said once, as the same file, not feature by feature:
    # the other file holding the hazard is named
    again = submissions.stage(session, tmp_path / "a.zip", kind="hazards")
    assert "same_file" in {f.code for f in again.findings}
    elsewhere = [f.message for f in again.findings if f.code == "pending_elsewhere"]
    assert len(elsewhere) == 1 and f"submission {second.submission.id}," in elsewhere[0]
    # once the first is decided, nothing awaits review beside the later ones
    approval.approve(session, pending.submission.id, by="reviewer")
    third = submissions.stage(session, revision("c", "CHA"), kind="hazards")
    named = {f.message.split("submission ")[1].split(",")[0] for f in third.findings
             if f.code == "pending_elsewhere"}  # fmt: skip
    assert str(pending.submission.id) not in named


def test_a_finding_on_a_field_the_mapping_gave_says_where_it_came_from(
    session: Session, country: None, tmp_path: Path
) -> None:
    """A data manager read "recorded: not a date" of a file whose column is DATE_REC, and
    a reference refused that the mapping had made from two columns: the finding now says
    which column, or how the mapping made it."""
    frame = gpd.GeoDataFrame(
        [
            {"PROV": "XK", "ID": "..", "TYPE": "SHA", "DATE_REC": "2021-03-04"},
            {"PROV": "XK", "ID": "7", "TYPE": "SHA", "DATE_REC": "not a day"},
            {"PROV": "XK", "ID": "8", "TYPE": "nothing", "DATE_REC": "2021-03-04"},
        ],
        geometry=[
            box(103.1, 19.4, 103.11, 19.41),
            box(103.2, 19.4, 103.21, 19.41),
            box(103.3, 19.4, 103.31, 19.41),
        ],
        crs=4326,
    )
    given = field_maps.MappingDocument(
        fields={"hazard_id": "{PROV}/{ID}", "recorded": "DATE_REC"},
        constants={"contam": "CMR"},
        values={"status": {"nothing": None}},
    )
    staged = submissions.stage(
        session, write_zip(frame, tmp_path, "mapped"), kind="hazards", mapping=given
    )
    on = {(f.row, f.field): f.message for f in staged.findings if f.blocking}
    assert on[(1, "hazard_id")].startswith('hazard_id "XK/.." has "." or ".."')
    assert on[(1, "hazard_id")].endswith("(hazard_id: made by the field mapping as {PROV}/{ID})")
    assert on[(2, "recorded")].endswith(
        "(recorded: the file's column DATE_REC, by the field mapping)"
    )
    assert on[(3, "status")].endswith("(status: read through the field mapping's table of values)")
    # a field the file gives under its own name is not said to come from the mapping
    plain = submissions.stage(
        session,
        write_zip(frame.rename(columns={"DATE_REC": "recorded"}), tmp_path, "plain"),
        kind="hazards",
        mapping=field_maps.MappingDocument(fields={"hazard_id": "{PROV}/{ID}"}),
    )
    said = [f.message for f in plain.findings if f.field == "recorded"]
    assert said and not [m for m in said if "mapping" in m]


def test_a_geometry_that_cannot_be_read_is_a_finding_on_its_feature_beside_the_others(
    session: Session, country: None, tmp_path: Path
) -> None:
    """One bad WKT cell had refused the whole file, and its other mistakes were found only
    once it was fixed (a first-time user's review): it is now an error on that feature,
    beside the file's other findings, and the features without errors can be approved."""
    good = '"POLYGON((103.1 19.4,103.11 19.4,103.11 19.41,103.1 19.41,103.1 19.4))"'
    path = tmp_path / "mixed.csv"
    path.write_text(
        "hazard_id,status,recorded,contam,wkt\n"
        f"W-1,SHA,2024-05-01,CMR,{good}\n"
        "W-2,SHA,2024-05-01,CMR,not a wkt\n"
        f"W-3,SHA,2031-05-01,CMR,{good.replace('103.1', '103.3')}\n",
        encoding="utf-8",
    )
    staged = submissions.stage(session, path, kind="hazards", organisation="MAG")
    errors = {(f.row, f.field): f.message for f in staged.findings if f.blocking}
    assert errors[(2, "geometry")].startswith(
        "the geometry could not be read: field 'wkt': not a WKT geometry"
    )
    assert (3, "recorded") in errors  # the file's other mistakes, found in the same pass
    assert set(errors) == {(2, "geometry"), (3, "recorded")}


def test_ground_released_outside_hazards_is_told_when_a_later_file_reaches_it(
    session: Session, country: None, tmp_path: Path
) -> None:
    """An attack on our own instance: land recorded as released outside hazards, then a
    hazard recorded back-dated over it and a release of that hazard on the same polygon,
    counted twice with no finding; and the same outside clearance in a second file."""
    zo2 = box(103.50, 19.10, 103.501, 19.101)

    def releases(rows: list[dict], geoms: list, name: str):  # type: ignore[no-untyped-def,type-arg]
        frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)
        return submissions.stage(session, write_zip(frame, tmp_path, name), kind="releases")

    cleared = {"method": "cleared", "released": "2024-06-01"}
    first = releases([{"release_id": "ZO-2", **cleared}], [zo2], "zo2")
    assert {f.code for f in first.findings} == {"released_outside_hazards"}
    approval.approve(session, first.submission.id)
    # the same clearance in another file: counted once, and told
    again = releases([{"release_id": "ZO-8", **cleared, "released": "2024-06-02"}], [zo2], "zo8")
    [told] = [f for f in again.findings if f.code == "repeats_outside_release"]
    assert told.severity.value == "warning" and "ZO-2 released 2024-06-01" in told.message
    assert "counts once" in told.message
    # a hazard back-dated over it: its boundary is told
    hz = hazard_frame(
        [{"hazard_id": "ZZ-3", "recorded": "2023-01-10"}], [box(103.50, 19.10, 103.502, 19.102)]
    )
    hazard = submissions.stage(session, write_zip(hz, tmp_path, "zz3"), kind="hazards")
    [covers] = [f for f in hazard.findings if f.code == "covers_outside_release"]
    assert "in force from 2023-01-10" in covers.message
    assert "ZO-2 released 2024-06-01" in covers.message
    assert "withdraws ZO-2" in covers.message
    approval.approve(session, hazard.submission.id)
    # a release of that hazard on the same ground: told it would count twice
    on = releases([{"release_id": "ZR-3", "hazard_id": "ZZ-3", **cleared}], [zo2], "zr3")
    [twice] = [f for f in on.findings if f.code == "on_outside_release"]
    assert "in hazard ZZ-3" in twice.message and "counts twice" in twice.message
    # ground only touching the record, or a hazard recorded after it was released: nothing
    beside = releases(
        [{"release_id": "ZO-9", **cleared}], [box(103.501, 19.10, 103.502, 19.101)], "zo9"
    )
    assert not {"repeats_outside_release", "on_outside_release"} & {f.code for f in beside.findings}
    late = hazard_frame(
        [{"hazard_id": "ZZ-4", "recorded": "2025-01-10"}], [box(103.50, 19.10, 103.502, 19.102)]
    )
    after = submissions.stage(session, write_zip(late, tmp_path, "zz4"), kind="hazards")
    assert "covers_outside_release" not in {f.code for f in after.findings}


def _revisions_of(session: Session, reference: str) -> list[tuple[dt.date, str]]:
    rows = session.execute(
        text(
            "SELECT r.effective, ST_AsText(r.geom) FROM hazard_revision r"
            " JOIN hazard h ON h.id = r.hazard_id WHERE h.reference = :r ORDER BY r.seq"
        ),
        {"r": reference},
    ).all()
    return [(r[0], r[1]) for r in rows]


def test_a_feature_left_out_as_recorded_stays_left_out_whatever_is_approved_before_it(
    session: Session, country: None, tmp_path: Path
) -> None:
    """A file sent back whole left a hazard out as it stood; another submission then
    shrank that hazard, and approving the file afterwards recorded the old boundary again,
    undoing the survey without a word: the approval had checked the feature again, and as
    the hazard now stood it was a revision (helper-95). So was one approved in part, once
    its other feature was left out for an error. A feature the review showed left out
    stays left out."""
    square, other = box(103.1, 19.4, 103.11, 19.41), box(103.3, 19.4, 103.31, 19.41)
    first = submissions.stage(
        session,
        write_zip(hazard_frame([{"hazard_id": "LO-1"}, {"hazard_id": "LO-2"}], [square, other]),
                  tmp_path, "first"),
        kind="hazards",
    )  # fmt: skip
    approval.approve(session, first.submission.id, by="reviewer")
    # the whole file back: LO-1 as it stands, LO-2 revised
    whole = submissions.stage(
        session,
        write_zip(
            hazard_frame(
                [
                    {"hazard_id": "LO-1", "revised": "2024-06-01"},
                    {"hazard_id": "LO-2", "revised": "2024-06-01", "status": "CHA"},
                ],
                [square, other],
            ),
            tmp_path,
            "whole",
        ),
        kind="hazards",
    )
    assert [f.code for f in whole.findings] == ["unchanged_left_out"], whole.findings
    # meanwhile LO-1 is surveyed smaller, and that approved first
    smaller = box(103.1, 19.4, 103.105, 19.405)
    survey = submissions.stage(
        session,
        write_zip(hazard_frame([{"hazard_id": "LO-1", "revised": "2024-05-01"}], [smaller]),
                  tmp_path, "survey"),
        kind="hazards",
    )  # fmt: skip
    approval.approve(session, survey.submission.id, by="reviewer")
    approval.approve(session, whole.submission.id, by="reviewer")
    revisions = _revisions_of(session, "LO-1")
    assert len(revisions) == 2 and shapely.from_wkt(revisions[-1][1]).equals(smaller)
    assert len(_revisions_of(session, "LO-2")) == 2  # its revision recorded
    # and the review still says it was left out
    codes = session.scalars(
        text("SELECT code FROM finding WHERE submission_id = :s"), {"s": whole.submission.id}
    ).all()
    assert "unchanged_left_out" in codes

    # approved in part: the feature left out stays so, with nothing else to record
    partial = submissions.stage(
        session,
        write_zip(
            hazard_frame(
                [{"hazard_id": "LO-2", "revised": "2024-06-01", "status": "CHA"},
                 {"hazard_id": "LO-3", "status": "bogus"}],
                [other, box(103.5, 19.4, 103.51, 19.41)],
            ),
            tmp_path,
            "partial",
        ),
        kind="hazards",
    )  # fmt: skip
    assert partial.errors == 1
    with pytest.raises(Conflict, match="nothing is left to record"):
        approval.approve(session, partial.submission.id, by="reviewer", partial=True)
    assert len(_revisions_of(session, "LO-2")) == 2


def test_a_field_emptied_with_none_in_a_file_sent_back_is_an_edit_not_left_out(
    session: Session, country: None, tmp_path: Path
) -> None:
    """ "(none)" in a hazard sent back without a date had been read as blank, and the
    hazard left out as it stands: the sender's edit was lost (helper-95)."""
    square, other = box(103.1, 19.4, 103.11, 19.41), box(103.3, 19.4, 103.31, 19.41)
    rows = [{"hazard_id": "NO-1", "marked": "2021-01-01"}, {"hazard_id": "NO-2"}]
    first = submissions.stage(
        session, write_zip(hazard_frame(rows, [square, other]), tmp_path, "first"), kind="hazards"
    )
    approval.approve(session, first.submission.id, by="reviewer")
    rows[0]["marked"] = "(none)"
    back = submissions.stage(
        session, write_zip(hazard_frame(rows, [square, other]), tmp_path, "back"), kind="hazards"
    )
    [error] = [f for f in back.findings if f.blocking]
    assert (error.code, error.row) == ("already_recorded", 1)
    assert "changes marked (emptied)" in error.message
    assert "unchanged_left_out" in [f.code for f in back.findings]  # NO-2 left out
