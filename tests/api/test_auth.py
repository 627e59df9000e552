"""Signing in: sessions and their CSRF token, rate limiting, tokens, operators' own data."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session

from ims.api.deps import get_session
from ims.api.main import create_app
from ims.db import accounts
from ims.db.models import ApiToken
from ims.db.recording import load_boundaries
from ims.domain.enums import Role
from ims.domain.records import BoundaryFeature
from ims.ingest import submissions
from ims.jobs import InlineJobs
from tests.api.test_uploads_api import LAOS, good_zip, post

PASSWORD = "a long enough secret"


@pytest.fixture
def app(engine: Engine, session: Session) -> object:
    load_boundaries(session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))],
                    level=1)  # fmt: skip
    accounts.create_user(session, "rev", Role.REVIEWER, password=PASSWORD, by="tests")
    accounts.create_user(session, "mag-op", Role.OPERATOR, organisation="MAG",
                         password=PASSWORD, by="tests")  # fmt: skip
    app = create_app(engine, jobs=InlineJobs())  # jobs in the test's transaction
    app.dependency_overrides[get_session] = lambda: session
    return app


def browser(app: object) -> TestClient:
    return TestClient(app, follow_redirects=False)  # type: ignore[arg-type]


def sign_in(client: TestClient, username: str, password: str = PASSWORD,
            next_: str = "/") -> httpx.Response:  # fmt: skip
    form = client.get("/login", params={"next": next_}).text
    token = re.search(r'class="login".*?name="csrf_token" value="([^"]+)"', form, re.S)
    assert token
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token.group(1), "next": next_})  # fmt: skip


def csrf_of(client: TestClient) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def test_pages_send_strangers_to_sign_in_and_back_where_they_were(app: object) -> None:
    client = browser(app)
    away = client.get("/reports?year=2024")
    assert away.status_code == 303
    assert away.headers["location"] == "/login?next=%2Freports%3Fyear%3D2024"
    signed = sign_in(client, "rev", next_="/reports?year=2024")
    assert signed.status_code == 303 and signed.headers["location"] == "/reports?year=2024"
    cookie = signed.headers["set-cookie"]
    assert "ims_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/reports?year=2024")
    assert page.status_code == 200 and "rev · reviewer" in page.text


def test_sign_in_never_redirects_to_another_site(app: object) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        response = sign_in(browser(app), "rev", next_=target)
        assert response.status_code == 303 and response.headers["location"] == "/"


def test_wrong_password_and_unknown_user_get_the_same_answer(app: object) -> None:
    wrong = sign_in(browser(app), "rev", "not the password")
    nobody = sign_in(browser(app), "nobody", "not the password")
    assert wrong.status_code == nobody.status_code == 401
    assert "Wrong user name or password" in wrong.text and "Wrong user name" in nobody.text
    assert "ims_session" not in wrong.headers.get("set-cookie", "")


def test_sign_in_without_the_forms_token_is_refused(app: object) -> None:
    client = browser(app)
    client.get("/login")
    forged = client.post("/login", data={"username": "rev", "password": PASSWORD,
                                         "csrf_token": "guessed"})  # fmt: skip
    assert forged.status_code == 403 and "ims_session" not in forged.headers.get("set-cookie", "")


def test_sign_in_is_rate_limited_per_user_name(app: object, session: Session) -> None:
    for _ in range(5):
        assert sign_in(browser(app), "rev", "wrong guess").status_code == 401
    paused = sign_in(browser(app), "rev")  # even the right password waits now
    assert paused.status_code == 429 and paused.headers["retry-after"] == "900"
    assert "too many failed sign-ins" in paused.text
    assert sign_in(browser(app), "mag-op").status_code == 303  # other users are not held up
    session.execute(text("UPDATE login_failure SET at = at - interval '16 minutes'"))
    assert sign_in(browser(app), "rev").status_code == 303  # the pause is over


def test_changes_from_a_browser_need_the_sessions_csrf_token(
    app: object, session: Session, tmp_path: Path
) -> None:
    staged = submissions.stage(session, good_zip(tmp_path), kind="hazards", organisation="MAG")
    client = browser(app)
    sign_in(client, "rev")
    url = f"/api/v1/submissions/{staged.submission.id}/reject"
    forged = client.post(url, json={"reason": "from another site"})
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    wrong = client.post(url, json={"reason": "x"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    done = client.post(url, json={"reason": "overlaps"}, headers={"X-CSRF-Token": csrf_of(client)})
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    # signing out takes the form's token too, and ends the session for good
    cookie = client.cookies["ims_session"]
    assert client.post("/logout").status_code == 403
    out = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = browser(app)
    replay.cookies.set("ims_session", cookie)
    assert replay.get("/").status_code == 303  # the old cookie opens nothing


def test_tokens_stop_working_when_revoked_expired_or_the_user_is_disabled(
    app: object, session: Session
) -> None:
    client = browser(app)
    token, secret = accounts.create_token(session, "rev", "script", by="tests")
    headers = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json() == {
        "username": "rev", "role": "reviewer", "organisation": None, "via": "token"}  # fmt: skip
    assert session.get(ApiToken, token.id).token_hash != secret  # only its hash is kept
    accounts.revoke_token(session, token.id, by="tests")
    revoked = client.get("/api/v1/me", headers=headers)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    assert revoked.headers["www-authenticate"].startswith("Bearer")

    _, second = accounts.create_token(session, "rev", "cron", by="tests", days=1)
    session.execute(update(ApiToken).where(ApiToken.name == "cron").values(
        expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))  # fmt: skip
    expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"})
    assert expired.status_code == 401

    _, third = accounts.create_token(session, "mag-op", "upload script", by="tests")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {third}"}).status_code == 200
    accounts.disable_user(session, "mag-op", by="tests")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {third}"}).status_code == 401
    assert sign_in(browser(app), "mag-op").status_code == 401
    bad = client.get("/api/v1/me", headers={"Authorization": "Basic cmV2OnB3"})
    assert bad.status_code == 401 and "Bearer" in bad.json()["detail"]


def test_operators_upload_for_and_see_only_their_own_organisation(
    app: object, session: Session, tmp_path: Path
) -> None:
    npa = submissions.stage(session, good_zip(tmp_path, "npa"), kind="hazards",
                            organisation="NPA").submission.id  # fmt: skip
    client = browser(app)
    _, secret = accounts.create_token(session, "mag-op", "uploads", by="tests")
    client.headers["Authorization"] = f"Bearer {secret}"
    mine = post(client, good_zip(tmp_path, "mag"))  # no organisation given: their own
    assert mine.status_code == 201, mine.text  # type: ignore[attr-defined]
    own_id = mine.json()["id"]  # type: ignore[attr-defined]
    assert client.get(f"/api/v1/submissions/{own_id}").status_code == 200
    assert client.get(f"/api/v1/submissions/{npa}").status_code == 404  # as if it did not exist
    assert client.get(f"/submissions/{npa}").status_code == 404
    listed = client.get("/submissions").text
    assert f'href="/submissions/{own_id}"' in listed and f'href="/submissions/{npa}"' not in listed
    other = post(client, good_zip(tmp_path, "mag2"), organisation="NPA")
    assert other.status_code == 403  # type: ignore[attr-defined]
    assert client.post(f"/api/v1/submissions/{own_id}/approve").status_code == 403
    row = session.execute(text("SELECT uploaded_by FROM submission WHERE id = :i"),
                          {"i": own_id}).scalar_one()  # fmt: skip
    assert row == "mag-op"
