"""A file the upload page has read is held for its user, so that it crosses the network once.

``POST /api/v1/submissions/inspect`` with ``hold`` keeps the file and answers a token;
``POST /api/v1/submissions`` with ``held`` makes the submission of that file (decision 0016).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box
from sqlalchemy.orm import Session

from ims.api.held import PER_OWNER, HeldUploads
from ims.errors import Conflict, Gone
from tests.api.test_upload_page_api import MAPPING, client, inspect, operators_file
from tests.api.test_uploads_api import count, good_zip, post
from tests.utils import ClientAs

__all__ = ["client"]  # the fixture, shared with the upload page's tests


def send_held(client: TestClient, token: str, **form: str) -> object:
    return client.post(
        "/api/v1/submissions",
        data={"kind": "hazards", "held": token, "organisation": "MAG", **form},
    )


def test_a_held_file_is_submitted_by_its_token_once_and_by_its_user_only(
    client: TestClient, client_as: ClientAs, session: Session, tmp_path: Path
) -> None:
    read = inspect(client, operators_file(tmp_path), organisation="MAG", hold="true")
    assert read.status_code == 200, read.text  # type: ignore[attr-defined]
    token = read.json()["held"]  # type: ignore[attr-defined]
    assert token and len(token) == 32
    # without hold, nothing is kept
    assert (
        inspect(client, operators_file(tmp_path, "other"), organisation="MAG").json()[  # type: ignore[attr-defined]
            "held"
        ]
        is None
    )

    # another user cannot name it (told as if it did not exist)
    other = send_held(client_as(), token, mapping=MAPPING)
    assert other.status_code == 410, other.text  # type: ignore[attr-defined]
    assert count(session, "submission") == 0

    # a mapping that fails leaves the file held: corrected, it is sent again by name
    wrong = send_held(client, token, mapping='{"fields": {"hazard_id": "NO_SUCH"}}')
    assert wrong.status_code == 400, wrong.text  # type: ignore[attr-defined]
    assert "no field 'NO_SUCH'" in wrong.json()["detail"]  # type: ignore[attr-defined]
    assert count(session, "submission") == 0
    made = send_held(client, token, mapping=MAPPING)
    assert made.status_code == 201, made.text  # type: ignore[attr-defined]
    body = made.json()  # type: ignore[attr-defined]
    assert (body["feature_count"], body["filename"], body["errors"]) == (3, "theirs.zip", 0)
    assert count(session, "submission_feature") == 3

    # made once: the token names nothing now
    again = send_held(client, token, mapping=MAPPING)
    assert again.status_code == 410, again.text  # type: ignore[attr-defined]
    assert again.headers["content-type"].startswith("application/problem+json")  # type: ignore[attr-defined]
    assert "choose it again" in again.json()["detail"]  # type: ignore[attr-defined]
    assert count(session, "submission") == 1


def test_the_file_or_its_token_one_of_them(client: TestClient, tmp_path: Path) -> None:
    token = inspect(client, good_zip(tmp_path), organisation="MAG", hold="true").json()["held"]  # type: ignore[attr-defined]
    both = post(client, good_zip(tmp_path, "both"), organisation="MAG", held=token)
    neither = client.post("/api/v1/submissions", data={"kind": "hazards", "organisation": "MAG"})
    for refused in (both, neither):
        assert refused.status_code == 422, refused.text  # type: ignore[attr-defined]
        assert "one of them" in refused.json()["detail"]  # type: ignore[attr-defined]
    not_a_token = send_held(client, "../../etc/passwd")
    assert not_a_token.status_code == 422  # type: ignore[attr-defined]


def _file(folder: Path, name: str, size: int = 10) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"x" * size)
    return path


def test_held_files_are_bounded_per_user_in_bytes_and_in_time(tmp_path: Path) -> None:
    held = HeldUploads(most_bytes=100, keep_s=3600)
    tokens = [held.hold(_file(tmp_path / str(i), f"f{i}.gpkg"), owner=1) for i in range(3)]
    # a user holds PER_OWNER files: the oldest went
    with pytest.raises(Gone), held.sending(tokens[0], owner=1):
        pass
    with held.sending(tokens[-1], owner=1) as path:
        assert path.name == "f2.gpkg" and path.read_bytes() == b"x" * 10
    assert not path.exists()  # made into a submission: removed
    assert PER_OWNER == 2

    # all users together hold at most most_bytes, the oldest of whoever holds the most
    # dropped first, of whoever held last among equals: the small file held before them
    # all stays, and so does the first of the large ones
    big = [held.hold(_file(tmp_path / f"b{i}", "big.zip", 40), owner=10 + i) for i in range(3)]
    with pytest.raises(Gone), held.sending(big[1], owner=11):
        pass
    for n in (0, 2):
        with held.sending(big[n], owner=10 + n):
            pass
    with held.sending(tokens[1], owner=1):
        pass

    # and for keep_s at most
    brief = HeldUploads(most_bytes=100, keep_s=0.05)
    token = brief.hold(_file(tmp_path / "brief", "f.zip"), owner=None)
    time.sleep(0.1)
    with pytest.raises(Gone), brief.sending(token, owner=None):
        pass


def test_a_held_file_is_sent_once_at_a_time_and_kept_when_its_checks_fail(tmp_path: Path) -> None:
    held = HeldUploads(most_bytes=1000)
    token = held.hold(_file(tmp_path, "f.zip"), owner=7)
    inside = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with held.sending(token, owner=7):
                inside.set()
                release.wait(5)
                raise ValueError("the mapping names no such field")
        except ValueError:
            pass
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(5)
    with pytest.raises(Conflict, match="being sent"), held.sending(token, owner=7):
        pass
    release.set()
    thread.join(5)
    assert errors == []
    with held.sending(token, owner=7) as path:  # held again after the failure
        assert path.exists()
    folder = path.parent.parent
    held.close()
    assert not folder.exists()


def test_a_file_of_several_layers_names_them_and_the_one_chosen_is_read_and_sent(
    client: TestClient, tmp_path: Path
) -> None:
    """The upload page showed "choose one by its name (e.g. --layer NAME)" for a
    GeoPackage of several layers, and had no way to choose (a review as a data manager):
    the answer names the layers, for the page to offer them."""
    path = tmp_path / "survey.gpkg"
    for name, x in (("north", 103.2), ("south", 103.4)):
        gpd.GeoDataFrame(
            {"hazard_id": [f"{name.upper()}-1"], "status": ["SHA"], "recorded": ["2021-03-04"]},
            geometry=[box(x, 19.4, x + 0.005, 19.405)],
            crs=4326,
        ).to_file(path, layer=name, driver="GPKG")
    refused = inspect(client, path, organisation="MAG", hold="true")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    problem = refused.json()  # type: ignore[attr-defined]
    assert (problem["field"], problem["layers"]) == ("layer", ["north", "south"])
    read = inspect(client, path, organisation="MAG", hold="true", layer="south")
    assert read.status_code == 200, read.text  # type: ignore[attr-defined]
    answer = read.json()  # type: ignore[attr-defined]
    assert (answer["layer"], answer["feature_count"]) == ("south", 1)
    made = send_held(client, answer["held"], layer="south")
    assert made.status_code == 201, made.text  # type: ignore[attr-defined]
    assert made.json()["layer"] == "south"  # type: ignore[attr-defined]


def test_a_user_with_two_accounts_pushes_out_their_own_files_not_anothers(tmp_path: Path) -> None:
    """Found by an attack: all users' held files were capped together, the oldest dropped
    first, so one person reading large files under two accounts could push out everyone
    else's, who then had to send them again."""
    held = HeldUploads(most_bytes=100)
    victim = held.hold(_file(tmp_path / "v", "mine.gpkg", 30), owner=1)
    for round_ in range(5):  # each account holds its two files, again and again
        for account in (8, 9):
            held.hold(_file(tmp_path / f"{round_}{account}", "big.zip", 30), owner=account)
    with held.sending(victim, owner=1) as path:
        assert path.read_bytes() == b"x" * 30
    # still bounded: the two accounts held at most most_bytes with it
    assert sum(h.size for h in held._held.values()) <= 100


def test_a_user_holding_as_many_files_as_another_account_keeps_them(tmp_path: Path) -> None:
    """Who held the most was a tie when a user held their two files and an account of
    another person held two as well; the oldest file of the two went, the user's (an
    attack on our own instance). On a tie the files of whoever held last go first."""
    held = HeldUploads(most_bytes=90)
    victim = [held.hold(_file(tmp_path / f"v{n}", "mine.gpkg", 20), owner=1) for n in (1, 2)]
    for n in (1, 2):
        held.hold(_file(tmp_path / f"a{n}", "big.zip", 20), owner=8)
    held.hold(_file(tmp_path / "b", "big.zip", 20), owner=9)  # 100 bytes: past most_bytes
    for token in victim:
        with held.sending(token, owner=1) as path:
            assert path.read_bytes() == b"x" * 20
    assert sum(h.size for h in held._held.values()) <= 90
    assert [h.owner for h in held._held.values()].count(8) == 1
