"""References that read as another are refused wherever they enter (a file, a form, an
export of a field platform: all are validated alike).

An attack on our own instance recorded "АТ-000013" (Cyrillic), "ᎪᎢ-000013" (Cherokee),
"AT-00০০13" (Bengali digits) and "at-000013" beside AT-000013: hazards whose pages and
register rows read the same, one of them double counted as a self-overlap; and blanks
that are symbols or unassigned characters (a Braille blank, U+2065) after a reference.
"""

from __future__ import annotations

import string
import unicodedata
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, box
from sqlalchemy.orm import Session

from ims.db.recording import load_boundaries
from ims.domain.records import BoundaryFeature
from ims.domain.references import skeleton, twins
from ims.ingest import approval, submissions

LAOS = box(100.0, 13.9, 107.7, 22.5)


def stage(session: Session, tmp_path: Path, kind: str, rows: list[dict], geoms: list):  # type: ignore[no-untyped-def, type-arg]
    path = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.gpkg"
    gpd.GeoDataFrame(rows, geometry=geoms, crs=4326).to_file(path, driver="GPKG")
    return submissions.stage(session, path, kind=kind)


@pytest.fixture
def recorded(session: Session, tmp_path: Path) -> None:
    """Hazard AT-000013 and its release R-1."""
    load_boundaries(session, [BoundaryFeature("LA-XI", "X", MultiPolygon([LAOS]))], level=1)
    out = stage(
        session,
        tmp_path,
        "hazards",
        [{"hazard_id": "AT-000013", "status": "CHA", "recorded": "2020-01-01"}],
        [box(103.0, 19.0, 103.01, 19.01)],
    )
    approval.approve(session, out.submission.id, by="reviewer")
    out = stage(
        session,
        tmp_path,
        "releases",
        [{"release_id": "R-1", "hazard_id": "AT-000013", "method": "cleared",
          "released": "2021-01-01"}],
        [box(103.0, 19.0, 103.005, 19.01)],
    )  # fmt: skip
    approval.approve(session, out.submission.id, by="reviewer")


def findings(staged, kind: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Reference -> message of the findings of ``kind``."""
    return {f.reference: f.message for f in staged.findings if f.code == kind}


def test_a_new_hazard_that_reads_as_a_recorded_one_or_another_in_the_file_is_refused(
    session: Session, recorded: None, tmp_path: Path
) -> None:
    lookalikes = ["АТ-000013", "ΑΤ-000013", "ᎪᎢ-000013", "ꓮꓔ-000013", "AT-00০০13", "at-000013"]
    twins_in_file = ["AT-É1", "AT-E\u03011", "NEW-7", "new-7"]
    fine = ["ບ-001", "AT-000014"]  # Lao script reads as nothing else; a new number
    refs = lookalikes + twins_in_file + fine
    rows = [{"hazard_id": r, "status": "SHA", "recorded": "2022-01-01"} for r in refs]
    geoms = [box(104 + i / 100, 19.0, 104.005 + i / 100, 19.005) for i in range(len(refs))]
    # and the recorded one revised under its very reference: that is no twin
    rows.append({"hazard_id": "AT-000013", "status": "SHA", "revised": "2022-01-01"})
    geoms.append(box(103.0, 19.0, 103.01, 19.01))
    staged = stage(session, tmp_path, "hazards", rows, geoms)
    said = findings(staged, "reads_as_another")
    # of two in the file, the later one (the first may be recorded alone)
    assert set(said) == {*lookalikes, "AT-E\u03011", "new-7"}, said
    assert 'reads as hazard "AT-000013"' in said["АТ-000013"]
    assert "differs from it only in characters that look the same" in said["АТ-000013"]
    assert "only in capitals" in said["at-000013"]
    assert 'reads as hazard "AT-É1"' in said["AT-E\u03011"]
    assert all(f.field == "hazard_id" for f in staged.findings if f.code == "reads_as_another")


def test_a_new_release_that_reads_as_a_recorded_one_is_refused(
    session: Session, recorded: None, tmp_path: Path
) -> None:
    rows = [
        {"release_id": ref, "hazard_id": "AT-000013", "method": "cleared",
         "released": "2022-01-01"}
        for ref in ("r-1", "Ꮢ-1", "R-2")
    ]  # fmt: skip
    geoms = [box(103.005, 19.0, 103.01, 19.01)] * 3
    staged = stage(session, tmp_path, "releases", rows, geoms)
    said = findings(staged, "reads_as_another")
    assert set(said) == {"r-1", "Ꮢ-1"}, said
    assert 'release_id "r-1" reads as release "R-1"' in said["r-1"]


@pytest.mark.parametrize("blank", ["\u2800", "\u2065", "\U000e0080", "\ue000"])
def test_a_reference_with_a_blank_symbol_or_an_unassigned_character_is_refused(
    session: Session, recorded: None, tmp_path: Path, blank: str
) -> None:
    staged = stage(
        session,
        tmp_path,
        "hazards",
        [{"hazard_id": f"AT-9{blank}", "status": "SHA", "recorded": "2022-01-01"}],
        [box(104.0, 19.0, 104.01, 19.01)],
    )
    [bad] = [f for f in staged.findings if f.code == "bad_value" and f.field == "hazard_id"]
    assert (
        "invisible or change how it reads" in bad.message and f"U+{ord(blank):04X}" in bad.message
    )


ascii_refs = st.text(alphabet=string.ascii_letters + string.digits + "-/_", min_size=1, max_size=12)


@given(st.lists(ascii_refs, max_size=8), st.lists(ascii_refs, max_size=8))
def test_twins_are_the_references_that_read_alike_and_only_those(
    file: list[str], recorded: list[str]
) -> None:
    """For ASCII references, reading alike is being equal but for case; a recorded
    reference is never its own twin, and each twin names a reference that reads the same."""
    found = twins(file, recorded)
    for ref, other in found.items():
        assert ref not in recorded and ref != other
        assert ref.casefold() == other.casefold() == skeleton(ref)
        assert other in recorded or other in file
    for ref in set(file) - set(recorded) - set(found):
        same = [r for r in recorded if r.casefold() == ref.casefold()]
        assert not same
        assert file.index(ref) == min(
            i for i, r in enumerate(file) if r.casefold() == ref.casefold()
        )


def test_skeleton_takes_letters_and_digits_that_look_ascii_as_ascii() -> None:
    assert skeleton("АТ-00০০13") == skeleton("ᎪᎢ-000013") == "at-000013"
    assert skeleton("AT-E\u03011") == skeleton(unicodedata.normalize("NFC", "AT-E\u03011"))
    assert skeleton("ບ-001") == "ບ-001"
