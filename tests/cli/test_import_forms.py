"""Field-collection exports (KoboToolbox, ODK Central, an XLSX) imported with `ims import`
and no field map; the recorded areas are the polygons' geodesic areas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from pyproj import Geod
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from ims.cli import app as cli_app
from ims.config import get_settings

GEOD = Geod(ellps="WGS84")


def ring(lon0: float, lat0: float, dlon: float, dlat: float) -> list[tuple[float, float]]:
    return [
        (lon0, lat0),
        (lon0 + dlon, lat0),
        (lon0 + dlon, lat0 + dlat),
        (lon0, lat0 + dlat * 0.6),
        (lon0, lat0),
    ]


def geoshape(points: list[tuple[float, float]]) -> str:
    """An ODK geoshape: latitude first, with altitude and accuracy."""
    return ";".join(f"{lat} {lon} 180.5 4.9" for lon, lat in points)


def geodesic(points: list[tuple[float, float]]) -> float:
    area, _ = GEOD.polygon_area_perimeter([p[0] for p in points], [p[1] for p in points])
    return abs(area)


@pytest.fixture
def ims(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, *args: object) -> Result:
    return runner.invoke(cli_app, [str(a) for a in args])


def areas(engine: Engine) -> dict[str, float]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT h.reference, m.area_m2 FROM hazard h "
                "JOIN hazard_remaining m ON m.hazard_id = h.id"
            )
        ).all()
    return {str(r[0]): float(r[1]) for r in rows}


def test_kobo_odk_and_xlsx_exports_are_imported_without_a_field_map(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    k1, k2 = ring(103.10, 19.40, 0.01, 0.008), ring(103.20, 19.45, 0.004, 0.01)
    kobo = tmp_path / "kobo_hazards.csv"
    header = (
        "start;end;today;deviceid;nts/hazard_id;nts/status;nts/contam;nts/recorded;"
        "nts/boundary;_id;_uuid;_submission_time;_validation_status;_notes;_status;"
        "_submitted_by;__version__;_tags;_index"
    )
    rows = [
        f"2024-05-01T09:00;2024-05-01T09:40;2024-05-01;collect:x1;{ref};{status};CMR;"
        f'2024-05-01;"{geoshape(points)}";{i};uuid-k{i};2024-05-01T10:00;;[];'
        f"submitted_via_web;;v1;[];{i}"
        for i, (ref, status, points) in enumerate((("K-1", "SHA", k1), ("K-2", "CHA", k2)), 1)
    ]
    kobo.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    imported = run(ims, "import", kobo, "--kind", "hazards", "--approve")
    assert imported.exit_code == 0, imported.output

    o1 = ring(103.30, 19.50, 0.006, 0.006)
    odk = tmp_path / "odk_hazards.csv"
    odk.write_text(
        "SubmissionDate,nts-hazard_id,nts-status,nts-recorded,nts-boundary,meta-instanceID,KEY,"
        "SubmitterID,SubmitterName,AttachmentsPresent,AttachmentsExpected,Status,ReviewState,"
        "DeviceID,Edits,FormVersion\n"
        f'2024-05-02T08:00:00.000Z,O-1,SHA,2024-05-02,"{geoshape(o1)}",uuid:o-1,uuid:o-1,'
        "12,Field team,0,0,,approved,collect:y,0,2024050101\n",
        encoding="utf-8",
    )
    imported = run(ims, "import", odk, "--kind", "hazards", "--approve")
    assert imported.exit_code == 0, imported.output

    recorded = areas(committed_engine)
    for ref, points in (("K-1", k1), ("K-2", k2), ("O-1", o1)):
        assert recorded[ref] == pytest.approx(geodesic(points), rel=1e-5), ref
    with committed_engine.connect() as conn:
        kept = conn.execute(
            text(
                "SELECT sf.record->'_attributes'->>'form_record' FROM submission_feature sf "
                "WHERE sf.reference = 'O-1'"
            )
        ).scalar_one()
    assert kept == "o-1"

    # A release (completion report) exported as XLSX, part of K-1.
    released = ring(103.10, 19.40, 0.005, 0.004)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["_id", "release_id", "hazard_id", "method", "released", "done/boundary", "_uuid"])
    sheet.append([1, "R-1", "K-1", "cleared", "2024-06-01", geoshape(released), "uuid-r1"])
    xlsx = tmp_path / "releases.xlsx"
    book.save(xlsx)
    imported = run(ims, "import", xlsx, "--kind", "releases", "--approve")
    assert imported.exit_code == 0, imported.output
    after = areas(committed_engine)
    with committed_engine.connect() as conn:
        remaining = conn.execute(
            text(
                "SELECT m.remaining_m2 FROM hazard_remaining m JOIN hazard h "
                "ON h.id = m.hazard_id WHERE h.reference = 'K-1'"
            )
        ).scalar_one()
    assert after["K-1"] == pytest.approx(geodesic(k1), rel=1e-5)
    assert float(remaining) == pytest.approx(geodesic(k1) - geodesic(released), rel=1e-5)


def test_a_record_sent_again_changed_in_a_later_export_is_named(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    points = ring(103.60, 19.70, 0.004, 0.004)
    export = tmp_path / "kobo.csv"
    export.write_text(
        "hazard_id,status,recorded,boundary,_uuid\n"
        f'R-9,SHA,2024-05-01,"{geoshape(points)}",uuid-again\n',
        encoding="utf-8",
    )
    first = run(ims, "import", export, "--kind", "hazards", "--approve")
    assert first.exit_code == 0, first.output
    export.write_text(export.read_text().replace(",SHA,", ",CHA,"), encoding="utf-8")
    second = run(ims, "import", export, "--kind", "hazards")
    # what changed is said (nothing had said it), once: not also "was sent before"
    assert (
        "form record uuid-again was recorded by submission 1, and comes back changed: "
        "status: SHA → CHA. Sent again, it is not a revision" in second.output
    ), second.output
    with committed_engine.connect() as conn:
        codes = conn.execute(
            text(
                "SELECT f.code FROM finding f WHERE f.submission_id = "
                "(SELECT max(id) FROM submission)"
            )
        ).scalars()
        assert sorted(set(codes) - {"file_note"}) == ["already_recorded", "changed_since_recorded"]


def test_a_record_sent_first_in_a_workbook_then_in_a_csv_unchanged_is_not_a_change(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """A form's records exported as XLSX, then again as CSV: the workbook's cells are
    numbers, dates and booleans, the CSV's text. A record left as it was had come back
    "changed: depth_cm: 30 → 30", and "visit: 2024-03-25 → 25/03/2024" (helper-119); it is
    recorded already, unchanged. The CSV's other record shows the day comes first, for the
    time of day and 05/03/2024 too."""
    points = ring(103.62, 19.72, 0.004, 0.004)
    other = ring(103.63, 19.72, 0.004, 0.004)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["hazard_id", "status", "recorded", "boundary", "depth_cm", "flag", "visit", "seen"]
    )
    sheet.append(
        [
            *("X-1", "SHA", dt.date(2024, 5, 1), geoshape(points), 30, True),
            *(dt.date(2024, 3, 25), dt.datetime(2024, 3, 5, 14, 30)),
        ]
    )
    sheet.append(
        [
            *("X-2", "SHA", dt.date(2024, 5, 1), geoshape(other), 12, False),
            *(dt.date(2024, 3, 5), dt.datetime(2024, 3, 5, 9, 0)),
        ]
    )
    sheet.cell(1, 9, "_uuid")
    sheet.cell(2, 9, "uuid-x1")
    sheet.cell(3, 9, "uuid-x2")
    xlsx = tmp_path / "kobo.xlsx"
    book.save(xlsx)
    first = run(ims, "import", xlsx, "--kind", "hazards", "--approve")
    assert first.exit_code == 0, first.output
    with committed_engine.connect() as conn:
        kept = conn.execute(
            text("SELECT attributes FROM hazard_revision ORDER BY id LIMIT 1")
        ).scalar_one()
    assert (kept["flag"], kept["visit"]) == (True, "2024-03-25")
    export = tmp_path / "kobo.csv"
    export.write_text(
        "hazard_id,status,recorded,boundary,depth_cm,flag,visit,seen,_uuid\n"
        f'X-1,SHA,2024-05-01,"{geoshape(points)}",30,TRUE,25/03/2024,05/03/2024 14:30,uuid-x1\n'
        f'X-2,SHA,2024-05-01,"{geoshape(other)}",12,false,05/03/2024,05/03/2024 09:00,uuid-x2\n',
        encoding="utf-8",
    )
    second = run(ims, "import", export, "--kind", "hazards")
    assert "comes back changed" not in second.output, second.output
    for record in ("uuid-x1", "uuid-x2"):
        said = f"form record {record} is recorded already, unchanged, by submission 1"
        assert said in second.output, second.output


def test_a_day_and_month_swapped_in_a_record_sent_again_is_a_change(
    ims: CliRunner, tmp_path: Path
) -> None:
    """A date recorded 2024-03-05 sent again as 03/05/2024 with the day first (the file's
    mapping says so) is 3 May: a change; and 05/03/2024 in a file that does not say which
    comes first could be either, also said. Either order had been taken as the same day,
    and the correction passed by as unchanged (helper-120)."""
    points = ring(103.66, 19.76, 0.004, 0.004)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["hazard_id", "status", "recorded", "boundary", "visit", "_uuid"])
    sheet.append(["D-1", "SHA", dt.date(2024, 5, 1), geoshape(points), dt.date(2024, 3, 5), "d1"])
    xlsx = tmp_path / "kobo.xlsx"
    book.save(xlsx)
    assert run(ims, "import", xlsx, "--kind", "hazards", "--approve").exit_code == 0
    export = tmp_path / "kobo.csv"
    row = f'D-1,SHA,2024-05-01,"{geoshape(points)}",{{}},d1\n'
    header = "hazard_id,status,recorded,boundary,visit,_uuid\n"
    export.write_text(header + row.format("03/05/2024"), encoding="utf-8")
    swapped = run(ims, "import", export, "--kind", "hazards", "--dates", "day-first")
    assert "comes back changed: visit: 2024-03-05 → 03/05/2024" in swapped.output, swapped.output
    export.write_text(header + row.format("05/03/2024"), encoding="utf-8")
    unsaid = run(ims, "import", export, "--kind", "hazards")
    assert "comes back changed: visit: 2024-03-05 → 05/03/2024" in unsaid.output, unsaid.output
    said = run(ims, "import", export, "--kind", "hazards", "--dates", "day-first")
    assert "form record d1 is recorded already, unchanged" in said.output, said.output


def test_a_record_sent_again_names_its_own_columns_changed_by_name_and_not_those_left_out(
    ims: CliRunner, tmp_path: Path
) -> None:
    """The own columns a record sent again changes are listed by name; one the later export
    no longer gives is not a change (a revision keeps it): "ratio: 0.5 → nothing" had been
    said, and the names in the file's order (helper-119); nor one named in other capitals,
    its value with a space after it ("Notes: nothing → fence ", helper-120)."""
    points = ring(103.64, 19.74, 0.004, 0.004)
    export = tmp_path / "kobo.csv"
    export.write_text(
        "hazard_id,status,recorded,boundary,zone,Area_name,ratio,Notes,_uuid\n"
        f'Z-1,SHA,2024-05-01,"{geoshape(points)}",north,Ban Na,0.5,fence,uuid-z1\n',
        encoding="utf-8",
    )
    first = run(ims, "import", export, "--kind", "hazards", "--approve")
    assert first.exit_code == 0, first.output
    export.write_text(
        "hazard_id,status,recorded,boundary,zone,Area_name,ratio,notes,_uuid\n"
        f'Z-1,SHA,2024-05-01,"{geoshape(points)}",south,Ban Xai,,"fence ",uuid-z1\n',
        encoding="utf-8",
    )
    second = run(ims, "import", export, "--kind", "hazards")
    assert (
        "form record uuid-z1 was recorded by submission 1, and comes back changed: "
        "Area_name: Ban Na → Ban Xai; zone: north → south. Sent again" in second.output
    ), second.output


def test_a_register_file_sent_back_with_its_own_columns_written_otherwise_records_nothing(
    ims: CliRunner, tmp_path: Path
) -> None:
    """A hazard sent back from a spreadsheet: "Notes" for "notes", and 2024-03-05 written
    05/03/2024 with the day first (as the mapping says) are the hazard as recorded: they
    had been "this feature changes visit_date" (helper-121). 03/05/2024 day first is 3 May,
    a change."""
    square = "POLYGON((103.70 19.60,103.71 19.60,103.71 19.61,103.70 19.61,103.70 19.60))"
    path = tmp_path / "register.csv"
    path.write_text(
        "hazard_id,status,recorded,visit_date,notes,wkt\n"
        f'RB-1,SHA,2024-05-01,2024-03-05,fence,"{square}"\n',
        encoding="utf-8",
    )
    assert run(ims, "import", path, "--kind", "hazards", "--approve").exit_code == 0
    back = "hazard_id,status,recorded,visit_date,Notes,wkt\n" + (
        f'RB-1,SHA,01/05/2024,{{}},fence,"{square}"\n'
    )
    path.write_text(back.format("05/03/2024"), encoding="utf-8")
    same = run(ims, "import", path, "--kind", "hazards", "--dates", "day-first")
    assert "hazard RB-1 is recorded already as this feature gives it" in same.output, same.output
    path.write_text(back.format("03/05/2024"), encoding="utf-8")
    changed = run(ims, "import", path, "--kind", "hazards", "--dates", "day-first")
    assert "this feature changes visit_date" in changed.output, changed.output


def _export(path: Path, rows: list[tuple[str, str, list[tuple[float, float]], str]]) -> Path:
    """A KoboToolbox export of hazards: reference, status, outline, record id."""
    lines = ["nts/hazard_id;nts/status;nts/recorded;nts/boundary;_id;_uuid;_submission_time"]
    lines += [
        f'{ref};{status};2024-05-01;"{geoshape(points)}";{n};{uuid};2024-05-01T10:00'
        for n, (ref, status, points, uuid) in enumerate(rows, 1000)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_later_export_records_only_what_is_new_in_it(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """Field platforms export every record sent so far: each later export had been one
    "already recorded" error per earlier record, to be taken out by hand (a walk-through
    as a field team leader). A record recorded already, unchanged, is passed by."""
    a, b, c = (ring(103.64 + k * 0.01, 19.74, 0.004, 0.004) for k in range(3))
    first = [("E-1", "SHA", a, "uuid-e1"), ("E-2", "CHA", b, "uuid-e2")]
    done = run(
        ims, "import", _export(tmp_path / "week1.csv", first), "--kind", "hazards", "--approve"
    )
    assert done.exit_code == 0, done.output
    # the next week's export: both again, as they were, in another order of vertices, and one new
    turned = [("E-1", "SHA", a[::-1], "uuid-e1"), first[1], ("E-3", "SHA", c, "uuid-e3")]
    later = run(
        ims, "import", _export(tmp_path / "week2.csv", turned), "--kind", "hazards", "--approve"
    )
    assert later.exit_code == 0, later.output
    assert "form record uuid-e1 is recorded already, unchanged, by submission" in later.output
    assert "record_sent_before" not in later.output and "already_recorded" not in later.output
    assert "not a template field" not in later.output  # form_record: ims's own
    recorded = areas(committed_engine)
    assert sorted(recorded) == ["E-1", "E-2", "E-3"]
    assert recorded["E-3"] == pytest.approx(geodesic(c), rel=1e-5)
    with committed_engine.connect() as conn:
        revisions = conn.execute(
            text(
                "SELECT h.reference, count(*) FROM hazard_revision r JOIN hazard h "
                "ON h.id = r.hazard_id GROUP BY h.reference ORDER BY 1"
            )
        ).all()
        audited = conn.execute(
            text(
                "SELECT after FROM audit_event WHERE action = 'submission.approved' "
                "ORDER BY id DESC LIMIT 1"
            )
        ).scalar_one()
    assert [tuple(r) for r in revisions] == [("E-1", 1), ("E-2", 1), ("E-3", 1)]
    assert audited["features"] == 1 and audited["sent_before_unchanged"] == 2
    # an export with nothing new is refused as such: nothing to approve
    again = run(ims, "import", _export(tmp_path / "week3.csv", turned), "--kind", "hazards")
    assert "nothing in this file is new: its 3 records are recorded already" in again.output
    # a file replacing one that holds such records, without them, is not told they are
    # left out: they are recorded already
    d = ring(103.70, 19.74, 0.004, 0.004)
    staged = run(
        ims, "import", _export(tmp_path / "w5.csv", [*turned, ("E-4", "SHA", d, "uuid-e4")]),
        "--kind", "hazards",
    )  # fmt: skip
    assert staged.exit_code == 0, staged.output
    with committed_engine.connect() as conn:
        pending = conn.execute(text("SELECT max(id) FROM submission")).scalar_one()
    only_new = _export(tmp_path / "w6.csv", [("E-4", "SHA", d, "uuid-e4")])
    replaced = run(ims, "import", only_new, "--kind", "hazards", "--replaces", pending)
    assert replaced.exit_code == 0, replaced.output
    assert "left_out_of_replacement" not in replaced.output, replaced.output
    # ... nor told that a record recorded already, which it holds again as it was (the
    # file it replaces had it changed), is left out
    e = ring(103.72, 19.74, 0.004, 0.004)
    slip = [("E-1", "CHA", a, "uuid-e1"), ("E-5", "SHA", e, "uuid-e5")]
    pending = run(ims, "import", _export(tmp_path / "w7.csv", slip), "--kind", "hazards")
    with committed_engine.connect() as conn:
        earlier = conn.execute(text("SELECT max(id) FROM submission")).scalar_one()
    fixed = _export(tmp_path / "w8.csv", [*turned, ("E-5", "SHA", e, "uuid-e5")])
    replaced = run(ims, "import", fixed, "--kind", "hazards", "--replaces", earlier)
    assert replaced.exit_code == 0 and "left_out_of_replacement" not in replaced.output, (
        pending.output,
        replaced.output,
    )
    # a record changed since (another status) is not passed by: it is told, as before
    changed = [("E-1", "CHA", a, "uuid-e1")]
    told = run(ims, "import", _export(tmp_path / "week4.csv", changed), "--kind", "hazards")
    assert "already_recorded" in told.output and "status: SHA → CHA" in told.output


def test_the_export_that_replaces_a_submission_is_not_told_its_records_were_sent_before(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """The corrected export was told each record "was sent before, in submission 18
    (validated)": the submission it replaced (a walk-through as a field team leader)."""
    points = ring(103.62, 19.72, 0.004, 0.004)
    export = tmp_path / "kobo.csv"
    export.write_text(
        "hazard_id,status,recorded,boundary,_uuid\n"
        f'R-8,SHA,2099-05-01,"{geoshape(points)}",uuid-corrected\n',  # a date in the future
        encoding="utf-8",
    )
    first = run(ims, "import", export, "--kind", "hazards")
    with committed_engine.connect() as conn:
        earlier = conn.execute(text("SELECT max(id) FROM submission")).scalar_one()
    export.write_text(export.read_text().replace("2099-05-01", "2024-05-01"), encoding="utf-8")
    second = run(ims, "import", export, "--kind", "hazards", "--replaces", str(earlier))
    assert second.exit_code == 0, second.output
    assert "was sent before" not in second.output, second.output
    # a third sending of the same record is told of the second, not of the one replaced
    third = run(ims, "import", export, "--kind", "hazards")
    assert f"in submission {earlier + 1} " in third.output and f"submission {earlier} " not in (
        third.output
    ), (first.output, third.output)


def test_an_import_says_approved_only_once_it_has_committed(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    # The line came before the commit (1.4 s at national scale, the audit trail sealed in
    # it): a commit that failed would have followed "approved and applied".
    hazards = tmp_path / "hazards.csv"
    hazards.write_text(
        "hazard_id;status;contam;recorded;boundary\n"
        f'C-1;SHA;CMR;2024-05-01;"{geoshape(ring(103.3, 19.5, 0.01, 0.01))}"\n',
        encoding="utf-8",
    )

    def refuse(_session: Session) -> None:
        raise RuntimeError("the commit failed")

    event.listen(Session, "before_commit", refuse)
    try:
        failed = run(ims, "import", hazards, "--kind", "hazards", "--approve")
    finally:
        event.remove(Session, "before_commit", refuse)
    assert failed.exit_code != 0
    assert "approved and applied" not in failed.output
    with committed_engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM hazard WHERE reference = 'C-1'")) == 0

    imported = run(ims, "import", hazards, "--kind", "hazards", "--approve")
    assert imported.exit_code == 0, imported.output
    lines = imported.output.splitlines()
    committing = next(i for i, line in enumerate(lines) if "approving: committing" in line)
    approved = next(i for i, line in enumerate(lines) if line.endswith("approved and applied"))
    assert approved > committing


def test_a_record_sent_again_under_another_reference_is_an_error(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """A team corrected a hazard's reference in a later export, the record's id unchanged:
    it was recorded as a second hazard, its area counted twice (a reviewer's walk-through)."""
    a = ring(103.80, 19.74, 0.004, 0.004)
    done = run(
        ims, "import", _export(tmp_path / "w1.csv", [("F-01", "SHA", a, "uuid-f1")]),
        "--kind", "hazards", "--approve",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    renamed = run(
        ims, "import", _export(tmp_path / "w2.csv", [("F-10", "SHA", a, "uuid-f1")]),
        "--kind", "hazards", "--approve",
    )  # fmt: skip
    assert renamed.exit_code != 0
    assert (
        "form record uuid-f1 was recorded as hazard F-01 by submission" in renamed.output
        and "this file names it F-10" in renamed.output
    ), renamed.output
    assert sorted(areas(committed_engine)) == ["F-01"]


def test_a_record_withdrawn_since_is_not_said_to_be_recorded_already(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """A release withdrawn as recorded in error, then sent again in the next export as it
    was, had been passed by as "recorded already": it counts nothing (a walk-through)."""
    h = ring(103.84, 19.74, 0.006, 0.006)
    done = run(
        ims, "import", _export(tmp_path / "h.csv", [("G-01", "SHA", h, "uuid-g1")]),
        "--kind", "hazards", "--approve",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    released = tmp_path / "r.csv"
    released.write_text(
        "release_id;hazard_id;method;released;boundary;_uuid\n"
        f'GR-1;G-01;cleared;2024-06-01;"{geoshape(h)}";uuid-gr1\n',
        encoding="utf-8",
    )
    assert run(ims, "import", released, "--kind", "releases", "--approve").exit_code == 0
    assert run(ims, "releases", "withdraw", "GR-1", "--reason", "wrong team").exit_code == 0
    again = run(ims, "import", released, "--kind", "releases")
    assert "recorded already, unchanged" not in again.output
    assert "release GR-1 was recorded and then withdrawn" in again.output, again.output
    # and the warning on its record sent before asks for no revision, which a release has not
    assert "a release is not revised" in again.output and "meant to revise" not in again.output


def test_the_export_after_a_correction_records_what_is_new_and_passes_the_correction_by(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """helper-132: a record corrected by a later export (a revision, with 'revised') came
    back in the next week's export as corrected. It was compared with its first recording,
    said to be changed, and its approval then failed with a server error (and `ims
    submissions approve` with a traceback) once anything else was approved after it was
    staged. It is compared with its latest recording now: recorded already, unchanged."""
    a, b = ring(103.80, 19.74, 0.004, 0.004), ring(103.82, 19.74, 0.004, 0.004)

    def export(name: str, rows: list[tuple[str, str, str, list[tuple[float, float]], str]]) -> Path:
        lines = ["g/hazard_id;g/status;g/recorded;g/revised;g/boundary;_uuid"]
        lines += [
            f'{ref};{status};2024-05-01;{revised};"{geoshape(points)}";{uuid}'
            for ref, status, revised, points, uuid in rows
        ]
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return tmp_path / name

    week1 = [("K-1", "SHA", "", a, "uuid-k1")]
    assert (
        run(ims, "import", export("w1.csv", week1), "--kind", "hazards", "--approve").exit_code == 0
    )
    week2 = [("K-1", "CHA", "2024-06-01", a, "uuid-k1")]  # the same record, corrected
    done = run(ims, "import", export("w2.csv", week2), "--kind", "hazards", "--approve")
    assert done.exit_code == 0, done.output
    week3 = [*week2, ("K-2", "SHA", "", b, "uuid-k2")]
    staged = run(ims, "import", export("w3.csv", week3), "--kind", "hazards")
    assert staged.exit_code == 0, staged.output
    assert "form record uuid-k1 is recorded already, unchanged, by submission 2" in staged.output
    assert "changed_since_recorded" not in staged.output and "comes back" not in staged.output
    with committed_engine.connect() as conn:
        pending = conn.execute(text("SELECT max(id) FROM submission")).scalar_one()
    other = [("K-9", "SHA", "", ring(103.84, 19.74, 0.004, 0.004), "uuid-k9")]
    assert (
        run(ims, "import", export("o.csv", other), "--kind", "hazards", "--approve").exit_code == 0
    )
    approved = run(ims, "submissions", "approve", pending)
    assert approved.exit_code == 0, approved.output
    with committed_engine.connect() as conn:
        revisions = conn.execute(
            text(
                "SELECT h.reference, count(*) FROM hazard_revision r JOIN hazard h "
                "ON h.id = r.hazard_id GROUP BY h.reference ORDER BY 1"
            )
        ).all()
    assert [tuple(r) for r in revisions] == [("K-1", 2), ("K-2", 1), ("K-9", 1)]


def test_a_record_exported_twice_the_same_is_recorded_once_and_one_that_differs_is_not(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """helper-132: KoboToolbox exports a record it received twice as two rows with one
    _uuid. Two `duplicate_reference` errors had blocked the file, and approving in part
    would have left the hazard out altogether. The same twice is recorded once, with a
    warning; a record given twice with different values is still an error."""
    a, b = ring(103.90, 19.74, 0.004, 0.004), ring(103.92, 19.74, 0.004, 0.004)
    rows = [
        ("T-1", "SHA", a, "uuid-t1"),
        ("T-2", "SHA", b, "uuid-t2"),
        ("T-1", "SHA", a, "uuid-t1"),
    ]
    done = run(
        ims, "import", _export(tmp_path / "twice.csv", rows), "--kind", "hazards", "--approve"
    )
    assert done.exit_code == 0, done.output
    assert (
        "form record uuid-t1 is in the file twice, the same in both (feature 1 and this one)"
        in done.output
    ), done.output
    assert "duplicate_reference" not in done.output
    assert sorted(areas(committed_engine)) == ["T-1", "T-2"]
    c = ring(103.94, 19.74, 0.004, 0.004)
    differ = [("T-3", "SHA", c, "uuid-t3"), ("T-3", "CHA", c, "uuid-t3")]
    told = run(ims, "import", _export(tmp_path / "differ.csv", differ), "--kind", "hazards")
    assert told.exit_code == 1 and "duplicate_reference" in told.output, told.output
