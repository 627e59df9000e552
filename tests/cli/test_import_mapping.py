"""`ims import --mapping` and `ims mappings` (issue 18, item 4): a national database's
export imported with ids, constants and value maps; the mapping used printed; remembered
mappings listed, explained when they stand in the way, and cleared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from ims.cli import app as cli_app
from ims.config import get_settings

DOCUMENT = {
    "fields": {"hazard_id": "{fileId}-{row}", "status": "typeArea"},
    "constants": {"recorded": "2020-01-01", "contam": "APM"},
    "values": {"status": {"Suspected Minefield": "SHA", "Confirmed Minefield": "CHA"}},
}


def export(folder: Path, name: str, rows: list[dict[str, object]]) -> Path:
    """A layer as a national database exports it, as GeoJSON."""
    squares = [box(103.1 + i / 10, 19.4, 103.11 + i / 10, 19.41) for i in range(len(rows))]
    path = folder / f"{name}.geojson"
    gpd.GeoDataFrame(rows, geometry=squares, crs=4326).to_file(path, driver="GeoJSON")
    return path


@pytest.fixture
def ims(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """`ims` on a database of its own (the commands commit)."""
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, *args: object) -> Result:
    return runner.invoke(cli_app, [str(a) for a in args])


def test_a_national_export_is_imported_with_a_mapping_document(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    rows = [
        {"fileId": "LA17", "typeArea": "Suspected Minefield", "village": "Ban Na"},
        {"fileId": "LA17", "typeArea": "Confirmed Minefield", "village": "Ban Phon"},
    ]
    mapping = tmp_path / "npa.json"
    mapping.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    imported = run(
        ims,
        "import",
        export(tmp_path, "npa", rows),
        "--kind",
        "hazards",
        "--org",
        "NPA",
        "--mapping",
        mapping,
        "--approve",
    )
    assert imported.exit_code == 0, imported.output
    lines = imported.output.splitlines()
    (used,) = [line for line in lines if line.startswith("field mapping:")]
    assert json.loads(used.removeprefix("field mapping: ")) == DOCUMENT
    assert any(
        "remembered for NPA's hazards files" in line
        and "ims mappings clear --org NPA --kind hazards" in line
        for line in lines
    )
    with committed_engine.connect() as conn:
        recorded = conn.execute(
            text(
                "SELECT h.reference, r.status, r.effective, h.contam FROM hazard h "
                "JOIN hazard_revision r ON r.hazard_id = h.id ORDER BY h.reference"
            )
        ).all()
    assert [(ref, status, str(day), contam) for ref, status, day, contam in recorded] == [
        ("LA17-1", "SHA", "2020-01-01", "APM"),
        ("LA17-2", "CHA", "2020-01-01", "APM"),
    ]

    # The remembered mapping is listed as the document it is, and used for the next file.
    listed = run(ims, "mappings", "list")
    assert listed.exit_code == 0, listed.output
    as_json = json.loads(run(ims, "mappings", "list", "--org", "npa", "--json").output)
    assert [(m["organisation"], m["kind"], m["mapping"]) for m in as_json] == [
        ("NPA", "hazards", DOCUMENT)
    ]
    # with the number that forgets it alone (helper-120: none was printed)
    assert listed.output.startswith(f"NPA hazards #{as_json[0]['id']} (since ")
    more = [{"fileId": "LA18", "typeArea": "Suspected Minefield"}]
    again = run(ims, "import", export(tmp_path, "more", more), "--kind", "hazards", "--org", "NPA")
    assert again.exit_code == 0, again.output
    assert "field mapping remembered for NPA's hazards files since " in again.output

    # --map still renames, and adds to a --mapping document's fields.
    renamed = [{"REF": "LA19", "typeArea": "Suspected Minefield", "fileId": "x"}]
    both = run(
        ims,
        "import",
        export(tmp_path, "renamed", renamed),
        "--kind",
        "hazards",
        "--org",
        "NPA",
        "--mapping",
        mapping,
        "--map",
        "hazard_id=REF",
    )
    assert both.exit_code == 0, both.output
    assert '"hazard_id": "REF", "status": "typeArea"' in both.output

    # Audited: each mapping remembered (the second reads other columns, so both are
    # kept, one for each layout), and their clearing.
    assert len(run(ims, "mappings", "list", "--org", "NPA").output.splitlines()) == 2
    # --id forgets the one of that number alone
    first = str(as_json[0]["id"])
    alone = run(ims, "mappings", "clear", "--org", "NPA", "--id", first)
    assert alone.exit_code == 0, alone.output
    assert '"hazard_id": "{fileId}-{row}"' in alone.output, alone.output
    [left] = json.loads(run(ims, "mappings", "list", "--json").output)
    assert left["mapping"]["fields"]["hazard_id"] == "REF"
    again = run(ims, "mappings", "clear", "--org", "NPA", "--id", first)
    assert "no mapping numbered " + first + " is remembered for NPA" in again.output, again.output
    cleared = run(ims, "mappings", "clear", "--org", "NPA")
    assert cleared.exit_code == 0, cleared.output
    assert "forgot the mapping remembered for NPA's hazards files" in cleared.output
    assert run(ims, "mappings", "list").output.strip() == "no mapping is remembered"
    with committed_engine.connect() as conn:
        actions = conn.execute(
            text("SELECT action FROM audit_event WHERE object_type = 'field_mapping' ORDER BY id")
        ).scalars()
        assert list(actions) == [
            "field_mapping.remembered",
            "field_mapping.remembered",
            "field_mapping.cleared",
            "field_mapping.cleared",
        ]
    typo = run(ims, "mappings", "clear", "--org", "NAP")
    assert typo.exit_code == 2 and "did you mean NPA" in typo.output


def test_a_remembered_mapping_that_stands_in_the_way_says_so_and_how_to_clear_it(
    ims: CliRunner, tmp_path: Path
) -> None:
    # Issue 18: after one trial --map hazard_id=fileId, the next upload failed with "the
    # field mapping says hazard_id=fileId…" and nothing said a mapping was remembered.
    trial = [{"fileId": "T-1", "status": "SHA", "recorded": "2020-01-01"}]
    first = run(
        ims,
        "import",
        export(tmp_path, "trial", trial),
        "--kind",
        "hazards",
        "--org",
        "MAG",
        "--map",
        "hazard_id=fileId",
    )
    assert first.exit_code == 0, first.output
    assert "the mapping is remembered for MAG's hazards files" in first.output
    other = [{"REF": "T-2", "status": "SHA", "recorded": "2020-01-01"}]
    refused = run(
        ims, "import", export(tmp_path, "other", other), "--kind", "hazards", "--org", "MAG"
    )
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    message = " ".join(refused.output.split())
    assert "the file has no hazard_id field" in message
    assert "the field mapping remembered for MAG's hazards files since" in message
    assert '{"fields": {"hazard_id": "fileId"}}, does not fit this file and was not used' in message
    assert "ims mappings clear --org MAG --kind hazards" in message
    # A file in the template's names is not held up: the note says what was set aside.
    named = [{"hazard_id": "T-3", "status": "SHA", "recorded": "2020-01-01"}]
    fine = run(ims, "import", export(tmp_path, "named", named), "--kind", "hazards", "--org", "MAG")
    assert fine.exit_code == 0, fine.output
    assert "field mapping: none" in fine.output
    # said once, beside the mapping, not as a warning of every such upload
    assert "which this file does not have" not in " ".join(fine.output.split())
    assert "was not used (forget it with: ims mappings clear --org MAG" in " ".join(
        fine.output.split()
    )


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ('{"fields": {"hazard_id": "fileId",}}', "is not JSON: Expecting property name"),
        ('{"fields": {"hazard_ref": "fileId"}}', "fields name hazard_ref, which the hazards"),
        ('{"fields": {"hazard_id": "fileNo"}}', "the file has no field 'fileNo'"),
        ('{"constants": {"contam": "mines"}}', "unknown contamination kind 'mines'"),
    ],
)
def test_a_bad_mapping_is_a_one_line_error_and_nothing_is_stored(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path, document: str, says: str
) -> None:
    mapping = tmp_path / "bad.json"
    mapping.write_text(document, encoding="utf-8")
    rows = [{"fileId": "B-1", "status": "SHA", "recorded": "2020-01-01"}]
    result = run(
        ims,
        "import",
        export(tmp_path, "b", rows),
        "--kind",
        "hazards",
        "--org",
        "NPA",
        "--mapping",
        mapping,
    )
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split()) and "Traceback" not in result.output
    with committed_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM submission")).scalar_one() == 0
        assert conn.execute(text("SELECT COUNT(*) FROM field_mapping")).scalar_one() == 0


def test_dates_with_the_day_first_are_read_when_the_import_says_so(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """A legacy spreadsheet saved as CSV writes dates as its computer's locale did
    (31/03/2024): every feature was refused, with no way to say how the file writes them
    short of editing each cell. ``--dates day-first`` says so; without it, the finding
    says how."""
    rows = [
        {"hazard_id": "D-1", "status": "SHA", "recorded": "31/03/2024"},
        {"hazard_id": "D-2", "status": "SHA", "recorded": "01.02.2024"},
        {"hazard_id": "D-3", "status": "SHA", "recorded": "2024-05-06"},  # ISO, as ever
    ]
    path = export(tmp_path, "legacy", rows)
    refused = run(ims, "import", path, "--kind", "hazards", "--org", "MAG", "--approve")
    assert refused.exit_code == 1, refused.output
    message = " ".join(refused.output.split())
    assert "'31/03/2024' is not a date ims reads" in message
    assert "--dates day-first" in message and "Traceback" not in message

    wrong = run(ims, "import", path, "--kind", "hazards", "--org", "MAG", "--dates", "dmy")
    assert wrong.exit_code == 2 and "--dates dmy: it is day-first" in wrong.output

    imported = run(
        ims, "import", path, "--kind", "hazards", "--org", "MAG", "--dates", "day-first",
        "--approve",
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    assert 'field mapping: {"dates": "day-first"}' in imported.output
    with committed_engine.connect() as conn:
        recorded = conn.execute(
            text(
                "SELECT h.reference, r.effective FROM hazard h "
                "JOIN hazard_revision r ON r.hazard_id = h.id ORDER BY h.reference"
            )
        ).all()
    assert [(ref, day.isoformat()) for ref, day in recorded] == [
        ("D-1", "2024-03-31"),
        ("D-2", "2024-02-01"),
        ("D-3", "2024-05-06"),
    ]
    # remembered for the organisation's next files, as any mapping given
    as_json = json.loads(run(ims, "mappings", "list", "--org", "MAG", "--json").output)
    assert [m["mapping"].get("dates") for m in as_json] == ["day-first"]
