"""A gazetteer's other names of the provinces and districts: `ims boundaries names` loads
them, `ims boundaries list` shows them, and the map's find box finds an area by them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from ims.cli import app as cli_app
from ims.config import get_settings
from ims.db import audit
from ims.db.models import PlaceName
from ims.db.recording import load_boundaries
from ims.domain.place_names import search_key
from ims.domain.records import BoundaryFeature
from ims.queries.places import find

pytestmark = pytest.mark.db


@pytest.fixture
def ims(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """`ims` pointed at a database of its own holding two provinces and a district."""
    with Session(committed_engine) as session, session.begin():
        load_boundaries(
            session,
            [
                BoundaryFeature("LA-XA", "Xaignabouli", MultiPolygon([box(101, 18, 102, 19)])),
                BoundaryFeature("LA-LP", "Luang Prabang", MultiPolygon([box(102, 19, 103, 20)])),
            ],
            level=1,
        )
        load_boundaries(
            session,
            [BoundaryFeature("LA-LP-1", "Luangprabang", MultiPolygon([box(102, 19, 102.5, 19.5)]))],
            level=2,
        )
    monkeypatch.setenv("IMS_DATABASE_URL", committed_engine.url.render_as_string(False))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def run(runner: CliRunner, *args: object) -> Result:
    return runner.invoke(cli_app, [str(a) for a in args])


def gazetteer(path: Path, *lines: str) -> Path:
    path.write_text("level,code,name\n" + "".join(f"{line}\n" for line in lines), "utf-8")
    return path


def names(engine: Engine) -> set[tuple[int, str]]:
    with Session(engine) as session:
        return {(a, n) for a, n in session.execute(select(PlaceName.admin_area_id, PlaceName.name))}


def labels(engine: Engine, q: str) -> list[str]:
    with Session(engine) as session:
        return [p.label for p in find(session, q, hazards=False).places]


def test_an_area_is_found_by_a_name_the_gazetteer_gives_it_and_the_list_says_which(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """ "Sayaboury" found nothing on the map: the boundaries say Xaignabouli, and the two
    read too little alike to be offered. Loaded as another name, it finds the province,
    and the answer says the name it was found by."""
    assert labels(committed_engine, "Sayaboury") == []
    file = gazetteer(
        tmp_path / "names.csv",
        "1,LA-XA,Sayaboury",
        "1,LA-XA,ໄຊຍະບູລີ",
        "1,LA-LP,ຫຼວງພະບາງ",
        "2,LA-LP-1,Luang Prabang",
    )
    loaded = run(ims, "boundaries", "names", file)
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 4 other names of 3 areas from names.csv: 4 added, 0 removed" in loaded.output
    assert labels(committed_engine, "sayab") == ["Xaignabouli (province, also written Sayaboury)"]
    assert labels(committed_engine, "ໄຊຍະ") == ["Xaignabouli (province, also written ໄຊຍະບູລີ)"]
    # Lao written with the letter lo after HO SUNG, where the gazetteer has the subscript
    assert labels(committed_engine, "ຫລວງພະບາງ") == [
        "Luang Prabang (province, also written ຫຼວງພະບາງ)"
    ]
    # an area's own name is found as before, and before one found by another name
    assert labels(committed_engine, "Luang Prabang") == [
        "Luang Prabang (province)",
        "Luangprabang (district of Luang Prabang, also written Luang Prabang)",
    ]
    # a word for the kind of area, before or after the name, lists only that kind (a
    # first-time user's review: "Sepone district" and "Muang Xay" had found nothing)
    assert labels(committed_engine, "Luang Prabang district") == [
        "Luangprabang (district of Luang Prabang, also written Luang Prabang)"
    ]
    assert labels(committed_engine, "muang luangprabang") == [
        "Luangprabang (district of Luang Prabang)"
    ]
    assert labels(committed_engine, "Luang Prabang Province") == ["Luang Prabang (province)"]
    assert labels(committed_engine, "ແຂວງຫຼວງພະບາງ") == [
        "Luang Prabang (province, also written ຫຼວງພະບາງ)"
    ]
    # a name given whole with its kind is that place, not those beginning with it too
    gazetteer(
        file,
        "1,LA-XA,Sayaboury",
        "1,LA-LP,ຫຼວງພະບາງ",
        "2,LA-LP-1,Luang Prabang",
        "1,LA-LP,Xaignabouli Road",  # a name another province's begins
    )
    assert run(ims, "boundaries", "names", file).exit_code == 0
    assert labels(committed_engine, "Xaignabouli") == [
        "Xaignabouli (province)",
        "Luang Prabang (province, also written Xaignabouli Road)",
    ]
    assert labels(committed_engine, "Xaignabouli province") == ["Xaignabouli (province)"]
    # a kind that holds no such name: the other kind's, offered (it had said nothing)
    with Session(committed_engine) as session:
        offered = find(session, "Xaignabouli district", hazards=False)
    assert offered.places[0].label == "Xaignabouli (province)" and offered.alike
    # two kind words, one each side (the review's "Muang Sepone district" found nothing)
    assert labels(committed_engine, "Muang Luangprabang district") == [
        "Luangprabang (district of Luang Prabang)"
    ]
    # words naming both kinds name neither
    assert labels(committed_engine, "province Luangprabang district") == [
        "Luangprabang (district of Luang Prabang)"
    ]
    # a kind word alone lists that kind (it had found an area by another name holding it)
    assert labels(committed_engine, "province") == [
        "Luang Prabang (province)",
        "Xaignabouli (province)",
    ]
    assert labels(committed_engine, "muang") == ["Luangprabang (district of Luang Prabang)"]
    # the whole of what was typed, kind word and all, is a name the gazetteer may give
    gazetteer(file, "1,LA-XA,Sayaboury", "1,LA-LP,Nakhon Luang district")
    assert run(ims, "boundaries", "names", file).exit_code == 0
    assert labels(committed_engine, "Nakhon Luang district") == [
        "Luang Prabang (province, also written Nakhon Luang district)"
    ]
    with Session(committed_engine) as session:
        (found,) = find(session, "sayaboury", hazards=False).places
    assert found.also == "Sayaboury"  # the map says it when it goes straight to the area
    # and an area's code, as `ims boundaries list` shows it, whole only
    assert labels(committed_engine, "la-lp-1") == ["Luangprabang (district of Luang Prabang)"]
    assert labels(committed_engine, "LA-") == []
    # misspelt: the closest names, its other names among them
    assert labels(committed_engine, "Sayabouri") == [
        "Xaignabouli (province, also written Sayaboury)"
    ]


def test_a_gazetteer_loaded_again_replaces_the_names_and_the_audit_keeps_each_change(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    file = gazetteer(tmp_path / "names.csv", "1,LA-XA,Sayaboury", "1,LA-XA,Sainyabuli")
    assert run(ims, "boundaries", "names", file).exit_code == 0
    again = run(ims, "boundaries", "names", file)  # safe to run twice
    assert "0 added, 0 removed, 2 as before" in again.output, again.output
    # the area's own name, and one written twice, are left out and said to be
    gazetteer(file, "1,LA-XA,Sayaboury", "1,LA-XA,SAYABOURY", "1,LA-XA,xaignabouli")
    changed = run(ims, "boundaries", "names", file)
    assert changed.exit_code == 0, changed.output
    assert "loaded 1 other name of 1 area from names.csv: 0 added, 1 removed, 1 as before" in (
        changed.output
    )
    assert "2 left out (an area's own name or a repeat)" in changed.output
    assert "  removed: LA-XA Xaignabouli: Sainyabuli" in changed.output
    assert {n for _, n in names(committed_engine)} == {"Sayaboury"}
    assert labels(committed_engine, "Sainyabuli") == []
    with Session(committed_engine) as session:
        events = audit.recent_events(session, actions=["place_names"])
    assert [e.action for e in events] == ["place_names.loaded"] * 3
    assert events[0].before == {"removed": ["LA-XA Xaignabouli: Sainyabuli"]}
    assert events[2].after is not None
    assert sorted(events[2].after["added"]) == [
        "LA-XA Xaignabouli: Sainyabuli",
        "LA-XA Xaignabouli: Sayaboury",
    ]


def test_a_gazetteer_with_a_wrong_line_says_where_and_loads_nothing(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    file = gazetteer(tmp_path / "names.csv", "1,LA-XA,Sayaboury")
    assert run(ims, "boundaries", "names", file).exit_code == 0
    before = names(committed_engine)
    cases = {
        "unknown code": (
            ["1,LA-XA,Sainyabuli", "2,LA-XX-9,Nowhere"],
            "line 3, code: no district 'LA-XX-9'",
        ),
        "level": (["3,LA-XA,Sainyabuli"], "line 2, level: '3': 1 for a province, 2 for a district"),
        "empty name": (["1,LA-XA,"], "line 2, name: empty"),
        "invisible": (["1,LA-XA,Saya\u200bboury"], "line 2, name: holds characters that are"),
        # `ims boundaries list --csv` gives names back to open in a spreadsheet
        "formula": (['1,LA-XA,"=HYPERLINK(""x"")"'], "line 2, name: starts with =, which a"),
    }
    for case, (lines, said) in cases.items():
        wrong = run(ims, "boundaries", "names", gazetteer(file, *lines))
        assert wrong.exit_code != 0, case
        assert said in wrong.output and "nothing was loaded" in wrong.output, (case, wrong.output)
        assert "Traceback" not in wrong.output
        assert names(committed_engine) == before, case
    # a file the csv module cannot read, a folder, a file too large: one line, no traceback
    # (a review of our own changes)
    for given, said in (
        (gazetteer(file, "1,LA-XA," + "x" * 140_000), "cannot be read as CSV"),
        (tmp_path, "not a file"),
    ):
        wrong = run(ims, "boundaries", "names", given)
        assert wrong.exit_code == 2 and said in wrong.output, wrong.output
        assert "Traceback" not in wrong.output
    file.write_text("level,code,name\n" + "1,LA-XA,Sayaboury\n" * 100_001, "utf-8")
    too_many = run(ims, "boundaries", "names", file)
    assert "more than 100,000 lines" in too_many.output, too_many.output
    file.write_text("code,name\nLA-XA,Sainyabuli\n", "utf-8")
    no_level = run(ims, "boundaries", "names", file)
    assert "no column level" in no_level.output, no_level.output
    file.write_bytes("level,code,name\n1,LA-XA,Sa\xefnyabuli\n".encode("cp1252"))
    latin = run(ims, "boundaries", "names", file)
    assert "not UTF-8 text" in latin.output and "save it as CSV UTF-8" in latin.output
    assert names(committed_engine) == before


def test_the_list_gives_the_codes_and_a_gazetteer_to_start_from(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    file = gazetteer(tmp_path / "names.csv", "1,LA-XA,Sayaboury")
    assert run(ims, "boundaries", "names", file).exit_code == 0
    listed = run(ims, "boundaries", "list")
    assert listed.exit_code == 0, listed.output
    assert "LA-LP-1" in listed.output and "Sayaboury" in listed.output
    start = tmp_path / "start.csv"
    written = run(ims, "boundaries", "list", "--output", start)
    assert written.exit_code == 0, written.output
    rows = list(csv.DictReader(io.StringIO(start.read_text("utf-8"))))
    assert [(r["level"], r["code"], r["name"], r["province"]) for r in rows] == [
        ("1", "LA-LP", "Luang Prabang", ""),
        ("1", "LA-XA", "Xaignabouli", ""),
        ("1", "LA-XA", "Sayaboury", ""),
        ("2", "LA-LP-1", "Luangprabang", "Luang Prabang"),
    ]
    # and it loads as it is: an area's own name is left out
    again = run(ims, "boundaries", "names", start)
    assert "0 added, 0 removed, 1 as before, 3 left out" in again.output, again.output
    with Session(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(PlaceName)) == 1


def test_names_are_compared_as_written_in_any_of_the_ways_unicode_allows() -> None:
    # Lao's AM as one character or two, the subscript lo or the letter, a full-width
    # letter, doubled spaces and capitals: each pair is the same name to the find box
    assert search_key("ຈຳປາສັກ") == search_key("ຈໍາປາສັກ")
    assert search_key("ຫຼວງນ້ຳທາ") == search_key("ຫລວງນ້ຳທາ")
    assert search_key("Ｓekong") == search_key("sekong")
    assert search_key("Luang  Prabang ") == search_key("luang prabang")


def test_a_dry_run_says_what_a_gazetteer_would_change_and_a_name_of_another_area_is_warned(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    """A one-line file removed the other 152 names without a word, and another province's
    own name given as an other name made the find box list both (a first-time user's
    review): the removed names are listed, --dry-run says so first, and the clash is warned."""
    file = gazetteer(tmp_path / "names.csv", "1,LA-XA,Sayaboury", "1,LA-XA,Sainyabuli")
    assert run(ims, "boundaries", "names", file).exit_code == 0
    before = names(committed_engine)
    gazetteer(file, "1,LA-XA,Sayaboury", "1,LA-LP,Xaignabouli", "2,LA-LP-1,Luang Prabang")
    tried = run(ims, "boundaries", "names", file, "--dry-run")
    assert tried.exit_code == 0, tried.output
    assert tried.output.startswith("would load 3 other names of 3 areas from names.csv: 2 added")
    # a district given its own province's name is no slip (the shipped gazetteer has six)
    assert "given to LA-LP-1" not in tried.output
    assert "  removed: LA-XA Xaignabouli: Sainyabuli" in tried.output
    assert (
        "warning: line 3: 'Xaignabouli', given to LA-LP, is the name of province LA-XA: "
        "the find box lists both" in tried.output
    )
    assert names(committed_engine) == before  # nothing changed, nor audited
    with Session(committed_engine) as session:
        assert len(audit.recent_events(session, actions=["place_names"])) == 1


def test_a_kind_said_lists_its_own_alike_first_and_invisible_characters_are_not_read(
    ims: CliRunner, committed_engine: Engine
) -> None:
    """An attack on our own instance: "Phongsali district" listed the province Phongsali
    before the district Phongsaly (the answers sorted again by how well the name matched),
    "Khouang" alone listed every province (a kind word of its own), and a zero-width space
    copied with "Attapeu" made it only alike."""
    with Session(committed_engine) as session, session.begin():
        load_boundaries(
            session,
            [
                BoundaryFeature(
                    "LA-LP-1", "Luangprabang", MultiPolygon([box(102, 19, 102.5, 19.5)])
                ),
                BoundaryFeature(
                    "LA-XA-1", "Xaignaboury", MultiPolygon([box(101, 18, 101.5, 18.5)])
                ),
            ],
            level=2,
        )
    with Session(committed_engine) as session:
        offered = find(session, "Xaignabouli district", hazards=False)
    assert offered.alike
    assert [p.label for p in offered.places][:2] == [
        "Xaignaboury (district of Xaignabouli)",
        "Xaignabouli (province)",
    ]
    assert labels(committed_engine, "Khouang") == []
    with Session(committed_engine) as session:
        found = find(session, "Xaigna\u200bbouli", hazards=False)
    assert not found.alike
    assert [p.label for p in found.places] == ["Xaignabouli (province)"]
