"""`ims submissions list|show|approve|reject|note` (issue 18, item 5): a reviewer's
housekeeping from the command line, every change in the audit trail, and `--org` that
never makes an organisation of a typo."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon, box
from sqlalchemy import Engine, text
from typer.testing import CliRunner, Result

from ims.cli import app as cli_app
from ims.config import get_settings

BOWTIE = Polygon([(103.2, 19.4), (103.21, 19.41), (103.21, 19.4), (103.2, 19.41)])


def hazards(folder: Path, name: str, *, broken: bool = False) -> Path:
    """A hazards file in the template's names: clean, or with a bow-tie (an error)."""
    geom = BOWTIE if broken else box(103.1, 19.4, 103.11, 19.41)
    row = {"hazard_id": f"{name.upper()}-1", "status": "SHA", "recorded": "2021-01-01"}
    path = folder / f"{name}.geojson"
    gpd.GeoDataFrame([row], geometry=[geom], crs=4326).to_file(path, driver="GeoJSON")
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


def submission_id(result: Result) -> int:
    (line,) = [line for line in result.output.splitlines() if line.startswith("submission ")]
    return int(line.split()[1].rstrip(":"))


def test_a_reviewer_lists_shows_approves_rejects_and_notes_from_the_command_line(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    trials = []
    for name in ("trial1", "trial2"):
        trial = run(
            ims, "import", hazards(tmp_path, name, broken=True), "--kind", "hazards", "--org", "NPA"
        )
        assert trial.exit_code == 1, trial.output
        assert "sets this one aside" in trial.output
        trials.append(submission_id(trial))
    other = run(
        ims, "import", hazards(tmp_path, "other", broken=True), "--kind", "hazards", "--org", "MAG"
    )
    clean = run(ims, "import", hazards(tmp_path, "clean"), "--kind", "hazards", "--org", "MAG")
    assert clean.exit_code == 0, clean.output
    assert f"ims submissions approve {submission_id(clean)}" in clean.output
    other_id, clean_id = submission_id(other), submission_id(clean)

    listed = run(ims, "submissions", "list")
    assert listed.exit_code == 0, listed.output
    for sid in (*trials, other_id, clean_id):
        assert f"│ {sid} │" in listed.output.replace("  ", " ")
    npa = run(ims, "submissions", "list", "--org", "npa", "--status", "validated")
    assert "trial1.geojson" in npa.output and "other.geojson" not in npa.output
    assert run(ims, "submissions", "list", "--kind", "releases").output.strip() == (
        "no submission matches"
    )
    assert "did you mean NPA" in run(ims, "submissions", "list", "--org", "NAP").output
    bad_status = run(ims, "submissions", "list", "--status", "pending")
    assert bad_status.exit_code == 2 and "use uploaded, validated" in bad_status.output

    shown = run(ims, "submissions", "show", trials[0])
    assert shown.exit_code == 0, shown.output
    assert f"submission {trials[0]}: hazards from trial1.geojson" in shown.output
    assert "status: validated, awaiting review; not noted in reports" in shown.output
    assert "field mapping: none" in shown.output
    assert "choices: none" in shown.output
    assert "findings by kind: 1 error invalid_geometry" in shown.output
    assert "error invalid_geometry (feature 1, TRIAL1-1" in shown.output
    assert run(ims, "submissions", "show", 999).exit_code == 2

    refused = run(ims, "submissions", "approve", other_id)
    assert refused.exit_code == 1, refused.output
    assert "error invalid_geometry" in refused.output and "nothing applied" in refused.output
    approved = run(ims, "submissions", "approve", clean_id)
    assert approved.exit_code == 0, approved.output
    assert "approving: recording 1 new hazard\n" in approved.output  # the steps
    assert f"submission {clean_id} approved and applied" in approved.output
    twice = run(ims, "submissions", "approve", clean_id)
    assert twice.exit_code == 0 and "was approved 20" in twice.output
    assert "nothing to do" in twice.output

    # Noting: only a submission awaiting review; audited; un-noting.
    noted = run(ims, "submissions", "note", other_id)
    assert noted.exit_code == 0 and "noted in reports while it awaits review" in noted.output
    assert "validated, noted" in run(ims, "submissions", "list", "--org", "MAG").output
    assert "is approved: only a submission awaiting review" in " ".join(
        run(ims, "submissions", "note", clean_id).output.split()
    )
    unset = run(ims, "submissions", "note", other_id, "--unset")
    assert "no longer noted" in unset.output

    # Rejecting in bulk those left with errors, of one organisation; a dry run first.
    needs_reason = run(ims, "submissions", "reject", "--with-errors")
    assert needs_reason.exit_code == 2 and "--reason is needed" in needs_reason.output
    assert run(ims, "submissions", "reject", "--reason", "x").exit_code == 2  # which one?
    dry = run(ims, "submissions", "reject", "--with-errors", "--org", "NPA", "--dry-run")
    assert dry.exit_code == 0 and dry.output.count("would reject submission") == 2
    bulk = run(
        ims,
        "submissions",
        "reject",
        "--with-errors",
        "--org",
        "NPA",
        "--reason",
        "trial import of the national database",
    )
    assert bulk.exit_code == 0, bulk.output
    assert bulk.output.count("rejected submission") == 2
    assert "2 submissions with errors rejected" in bulk.output
    one = run(ims, "submissions", "reject", other_id, "--reason", "wrong layer")
    assert one.exit_code == 0 and "rejected: wrong layer" in one.output
    again = run(ims, "submissions", "reject", other_id, "--reason", "again")
    assert again.exit_code == 2 and "rejected already" in again.output

    with committed_engine.connect() as conn:
        events = conn.execute(
            text(
                "SELECT action, object_id, after ->> 'reason' FROM audit_event "
                "WHERE action IN ('submission.rejected', 'submission.noted', "
                "'submission.unnoted', 'submission.approved') ORDER BY id"
            )
        ).all()
    assert [tuple(e) for e in events] == [
        ("submission.approved", str(clean_id), None),
        ("submission.noted", str(other_id), None),
        ("submission.unnoted", str(other_id), None),
        ("submission.rejected", str(trials[0]), "trial import of the national database"),
        ("submission.rejected", str(trials[1]), "trial import of the national database"),
        ("submission.rejected", str(other_id), "wrong layer"),
    ]


def test_an_unknown_org_is_refused_with_close_matches_unless_new_org(
    ims: CliRunner, committed_engine: Engine, tmp_path: Path
) -> None:
    # Issue 18: --org silently created an organisation from a typo.
    path = hazards(tmp_path, "org")
    typo = run(ims, "import", path, "--kind", "hazards", "--org", "NPAA")
    assert typo.exit_code == 2, typo.output
    message = " ".join(typo.output.split())
    assert "unknown organisation 'NPAA': did you mean NPA?" in message
    assert "--new-org" in message
    added = run(ims, "import", path, "--kind", "hazards", "--org", "Demining Alpha", "--new-org")
    assert added.exit_code == 0, added.output
    with committed_engine.connect() as conn:
        names = set(conn.execute(text("SELECT name FROM organisation")).scalars())
    assert "Demining Alpha" in names and "NPAA" not in names


def test_show_tells_the_uploaders_choices(ims: CliRunner, tmp_path: Path) -> None:
    first = run(ims, "import", hazards(tmp_path, "bowtie", broken=True), "--kind", "hazards")
    again = run(
        ims,
        "import",
        hazards(tmp_path, "bowtie2", broken=True),
        "--kind",
        "hazards",
        "--repair",
        "--replaces",
        submission_id(first),
    )
    assert again.exit_code == 0, again.output
    (line,) = [x for x in again.output.splitlines() if " is superseded by submission " in x]
    shown = run(ims, "submissions", "show", line.split()[-1])
    assert shown.exit_code == 0, shown.output
    assert (
        f"choices: invalid polygons repaired (--repair); replaces submission {submission_id(first)}"
        in " ".join(shown.output.split())
    )


def test_import_corrects_a_rejected_submission(ims: CliRunner, tmp_path: Path) -> None:
    first = run(ims, "import", hazards(tmp_path, "zone", broken=True), "--kind", "hazards")
    earlier = submission_id(first)
    rejected = run(ims, "submissions", "reject", earlier, "--reason", "wrong zone")
    assert rejected.exit_code == 0, rejected.output
    fixed = run(
        ims, "import", hazards(tmp_path, "zone2"), "--kind", "hazards", "--replaces", earlier
    )
    assert fixed.exit_code == 0, fixed.output
    (line,) = [x for x in fixed.output.splitlines() if " corrects submission " in x]
    assert line.endswith(f"corrects submission {earlier}, which stays rejected")
    shown = run(ims, "submissions", "show", earlier)
    assert "rejected" in shown.output


def test_errors_found_when_approval_checks_again_are_kept_with_the_submission(
    ims: CliRunner, tmp_path: Path
) -> None:
    # The same release in two files: the second approved first. Approving the first then
    # checks it again (the database changed since it was staged) and finds it recorded;
    # the refusal's findings were rolled back with the approval, and `show` (as the review
    # page) still said no error.
    assert (
        run(ims, "import", hazards(tmp_path, "clean"), "--kind", "hazards", "--approve").exit_code
        == 0
    )

    def releases(name: str) -> Path:
        row = {
            "release_id": "REL-1",
            "hazard_id": "CLEAN-1",
            "method": "cleared",
            "released": "2022-03-01",
        }
        path = tmp_path / f"{name}.geojson"
        frame = gpd.GeoDataFrame([row], geometry=[box(103.1, 19.4, 103.105, 19.41)], crs=4326)
        frame.to_file(path, driver="GeoJSON")
        return path

    first = run(ims, "import", releases("first"), "--kind", "releases")
    assert first.exit_code == 0, first.output
    second = run(ims, "import", releases("second"), "--kind", "releases", "--approve")
    assert second.exit_code == 0, second.output
    refused = run(ims, "submissions", "approve", submission_id(first))
    assert refused.exit_code == 1, refused.output
    assert "checking the 1 feature again" in refused.output
    (code,) = {line.split()[1] for line in refused.output.splitlines() if line.startswith("error ")}
    shown = run(ims, "submissions", "show", submission_id(first))
    assert f"findings by kind: 1 error {code}" in shown.output, shown.output


def test_an_import_prints_its_own_lines_not_the_logs_timing_unless_asked(
    ims: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by a review as a data manager: `ims import --approve` of releases printed the
    ledger's timing line, stamped and at INFO, among its own lines. A command logs warnings
    only; IMS_LOG_LEVEL (as the bench sets it) or --verbose brings the log back."""
    ims_ = str(Path(sys.executable).with_name("ims"))
    done = run(ims, "import", hazards(tmp_path, "field"), "--kind", "hazards", "--approve")
    assert done.exit_code == 0, done.output

    def releases(n: int, *options: str) -> str:
        row = {"release_id": f"REL-{n}", "hazard_id": "FIELD-1", "method": "cleared"}
        row["released"] = f"2022-03-0{n}"
        path = tmp_path / f"releases{n}.geojson"
        frame = gpd.GeoDataFrame([row], geometry=[box(103.1, 19.4, 103.1 + n / 1000, 19.41)])
        frame.set_crs(4326).to_file(path, driver="GeoJSON")
        command = [ims_, *options, "import", str(path), "--kind", "releases", "--approve"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "submission" in done.stdout and "approved" in done.stdout
        return done.stdout + done.stderr

    timing = "INFO ims.db.ledger: ledger of 1 hazard in "
    quiet = releases(1)
    assert " INFO " not in quiet and "ledger of 1 hazard in" not in quiet, quiet
    monkeypatch.setenv("IMS_LOG_LEVEL", "INFO")
    assert timing in releases(2)
    monkeypatch.delenv("IMS_LOG_LEVEL")
    assert timing in releases(3, "--verbose")


def test_a_submission_approved_in_part_is_listed_as_such(ims: CliRunner, tmp_path: Path) -> None:
    """The list said "approved" where the page says "approved in part" (a new user's
    review)."""
    rows = [
        {"hazard_id": "PART-1", "status": "SHA", "recorded": "2021-01-01"},
        {"hazard_id": "PART-2", "status": "SHA", "recorded": "2021-01-01"},
    ]
    path = tmp_path / "part.geojson"
    frame = gpd.GeoDataFrame(rows, geometry=[box(103.1, 19.4, 103.11, 19.41), BOWTIE], crs=4326)
    frame.to_file(path, driver="GeoJSON")
    done = run(ims, "import", path, "--kind", "hazards", "--org", "MAG", "--approve", "--partial")
    assert done.exit_code == 0, done.output
    sid = int(done.output.split("submission ", 1)[1].split(":")[0].split()[0])
    listed = " ".join(run(ims, "submissions", "list").output.split())
    assert f"│ {sid} │ hazards │ approved in part │" in listed, listed


def test_the_audit_trail_is_read_from_the_command_line(ims: CliRunner, tmp_path: Path) -> None:
    """helper-133: `ims audit` only verified the seals; who did what and when could be
    read on the admin pages and the API alone, not on a server reached by its terminal."""
    staged = run(ims, "import", hazards(tmp_path, "a"), "--kind", "hazards", "--org", "NPA")
    number = submission_id(staged)
    rejected = run(ims, "submissions", "reject", number, "--reason", "a test of the trail")
    assert rejected.exit_code == 0, rejected.output
    listed = run(ims, "audit", "list", "--action", "submission", "--limit", "1")
    assert listed.exit_code == 0, listed.output
    assert "submission.rejected" in listed.output and f"submission {number}" in listed.output
    assert "submission.uploaded" not in listed.output  # one, the latest
    assert "older events: --before" in listed.output
    lines = run(ims, "audit", "list", "--action", "submission", "--json").output.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["action"] for e in events[:2]] == ["submission.rejected", "submission.uploaded"]
    assert events[0]["after"]["reason"] == "a test of the trail"
    assert events[0]["id"] > events[1]["id"]
    older = run(ims, "audit", "list", "--before", events[0]["id"], "--action", "submission")
    assert "submission.rejected" not in older.output and "submission.uploaded" in older.output
    none = run(ims, "audit", "list", "--actor", "nobody-at-all")
    assert none.exit_code == 0 and "no audit event matches" in none.output
