"""Signing in: sessions and their CSRF token, rate limiting, tokens, operators' own data."""

from __future__ import annotations

import base64
import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon
from sqlalchemy import Connection, Engine, func, select, text, update
from sqlalchemy.orm import Session
from starlette.requests import Request

from ims.api.auth import client_address, over_https, secure_cookies
from ims.api.deps import get_session
from ims.app import create_app
from ims.config import get_settings
from ims.db import accounts
from ims.db.models import ApiToken, KnownDevice, LoginFailure
from ims.db.recording import load_boundaries
from ims.domain.enums import Role
from ims.domain.records import BoundaryFeature
from ims.errors import InvalidRequest
from ims.ingest import submissions
from ims.jobs import InlineJobs
from map_ui.account_pages import OWN_TOKENS_MAX
from tests.api.test_uploads_api import LAOS, good_zip, post
from tests.utils import ClientAs

PASSWORD = "a long enough secret"


@pytest.fixture
def app(engine: Engine, session: Session) -> object:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    accounts.create_user(session, "rev", Role.REVIEWER, password=PASSWORD, by="tests")
    accounts.create_user(
        session, "mag-op", Role.OPERATOR, organisation="MAG", password=PASSWORD, by="tests"
    )
    app = create_app(engine, jobs=InlineJobs())  # jobs in the test's transaction
    app.dependency_overrides[get_session] = lambda: session
    return app


def browser(app: object) -> TestClient:
    return TestClient(app, follow_redirects=False)  # type: ignore[arg-type]


def sign_in(
    client: TestClient, username: str, password: str = PASSWORD, next_: str = "/"
) -> httpx.Response:
    form = client.get("/login", params={"next": next_}).text
    token = re.search(r'class="login".*?name="csrf_token" value="([^"]+)"', form, re.S)
    assert token
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": token.group(1),
            "next": next_,
        },
    )


def csrf_of(client: TestClient) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def test_pages_send_strangers_to_sign_in_and_back_where_they_were(app: object) -> None:
    client = browser(app)
    away = client.get("/reports?year=2024")
    assert away.status_code == 303
    assert away.headers["location"] == "/login?next=%2Freports%3Fyear%3D2024"
    # the path as sent: decoded, "Z%2F%252e%252e%2FAT-1" came back "Z/%2e%2e/AT-1", which a
    # browser reads as AT-1's page (an attack on our own instance)
    quoted = client.get("/hazards/Z%2F%252e%252e%2FAT-1")
    assert quoted.headers["location"] == ("/login?next=%2Fhazards%2FZ%252F%25252e%25252e%252FAT-1")
    signed = sign_in(client, "rev", next_="/reports?year=2024")
    assert signed.status_code == 303 and signed.headers["location"] == "/reports?year=2024"
    cookie = signed.headers["set-cookie"]
    assert "ims_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get("/reports?year=2024")
    assert page.status_code == 200 and "rev · reviewer" in page.text


def test_a_page_that_does_not_exist_names_who_is_signed_in(app: object) -> None:
    """No route runs for a mistyped address, so nobody had been identified: the 404 page
    showed a signed-in user "Sign in", as if they had been signed out."""
    client = browser(app)
    stranger = client.get("/no-such-page")
    assert stranger.status_code == 404 and "There is no page at /no-such-page." in stranger.text
    assert 'href="/login">Sign in</a>' in stranger.text and "rev · reviewer" not in stranger.text
    assert sign_in(client, "rev").status_code == 303
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "There is no page at /no-such-page." in missing.text
    assert "rev · reviewer" in missing.text and ">Sign out</button>" in missing.text
    assert 'href="/login">Sign in</a>' not in missing.text
    # an API address keeps its problem+json answer
    assert client.get("/api/v1/no-such").headers["content-type"] == "application/problem+json"


def test_a_forms_address_opened_by_get_goes_to_the_page_the_form_is_on(app: object) -> None:
    """A failed form (a wrong current password) answers its page at the form's address;
    reloading it without sending again, or the address copied from the bar, had answered
    "405 Method Not Allowed" in JSON. It goes to the form's page; the API keeps its 405."""
    client = browser(app)
    assert sign_in(client, "rev").status_code == 303
    for address, page in [
        ("/account/password", "/account#password-form"),
        ("/account/tokens", "/account#tokens"),
        ("/account/tokens/7/revoke", "/account#tokens"),
        ("/admin/users/someone", "/admin/users"),
        ("/releases/outside/OUT-1/hazard", "/releases/outside"),
        ("/reports/finalise", "/reports"),
        ("/reports/finalise?year=2025&level=2", "/reports?year=2025&level=2"),  # its choices
        ("/account/password?x=1", "/account#password-form"),
        ("/submissions/12/withdraw", "/submissions/12"),
    ]:
        answer = client.get(address, follow_redirects=False)
        assert (answer.status_code, answer.headers.get("location")) == (303, page), address
    assert client.get("/account", follow_redirects=False).status_code == 200  # still signed in
    api = client.get("/api/v1/submissions/12/approve")
    assert api.status_code == 405 and api.headers["content-type"] == "application/problem+json"


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
    forged = client.post(
        "/login", data={"username": "rev", "password": PASSWORD, "csrf_token": "guessed"}
    )
    assert forged.status_code == 403 and "ims_session" not in forged.headers.get("set-cookie", "")


def _age_failures(session: Session | Connection, seconds: float) -> None:
    """Move every recorded failure ``seconds`` into the past (time passing)."""
    session.execute(text(f"UPDATE login_failure SET at = at - interval '{seconds} seconds'"))


def _freeze_clock(monkeypatch: pytest.MonkeyPatch) -> list[dt.datetime]:
    """The sign-in counters' clock, held still until the test moves it: a machine's clock
    can step while a test runs (it did on CI's), and the waits are counted in seconds."""
    now = [dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)]
    monkeypatch.setattr(accounts, "_now", lambda: now[0])
    return now


def test_failed_sign_ins_slow_guessing_down_with_growing_delays(
    app: object, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _freeze_clock(monkeypatch)
    for _ in range(5):
        assert sign_in(browser(app), "rev", "wrong guess").status_code == 401
    paused = sign_in(browser(app), "rev")  # even the right password waits now…
    assert paused.status_code == 429 and 1 <= int(paused.headers["retry-after"]) <= 10
    assert "too many failed sign-ins" in paused.text
    assert sign_in(browser(app), "mag-op").status_code == 303  # other users are not held up
    _age_failures(session, 11)  # …but only for a while: a delay, not a lock
    assert sign_in(browser(app), "rev", "another guess").status_code == 401
    doubled = int(sign_in(browser(app), "rev").headers["retry-after"])
    assert 10 < doubled <= 20  # each failure doubles the wait
    _age_failures(session, 21)
    assert sign_in(browser(app), "rev").status_code == 303  # the right password…
    assert sign_in(browser(app), "rev", "wrong").status_code == 401  # …reset the counter
    assert sign_in(browser(app), "rev").status_code == 303


def test_guessing_cannot_lock_a_user_out_of_their_own_browser(
    app: object, session: Session
) -> None:
    # Issue 13, item 6: 5 failures from anywhere locked the account (admins included).
    own = browser(app)
    assert sign_in(own, "rev").status_code == 303  # the browser becomes a known device
    assert any(cookie.name == "ims_device" for cookie in own.cookies.jar)
    own.post("/logout", data={"csrf_token": csrf_of(own)})
    for _ in range(30):  # an attacker guesses from elsewhere (the same address, even)
        sign_in(browser(app), "rev", "guess")
    assert sign_in(browser(app), "rev").status_code == 429  # unknown browsers wait…
    assert sign_in(own, "rev").status_code == 303  # …the user's own does not
    token = accounts.create_token(session, "rev", "script", by="tests")[1]
    api = TestClient(app)  # type: ignore[arg-type]
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200  # API tokens never pass through sign-in


def test_failures_from_one_address_do_not_hold_up_known_browsers(
    app: object, session: Session
) -> None:
    own = browser(app)
    assert sign_in(own, "mag-op").status_code == 303
    for i in range(50):  # many user names tried from one address
        session.add(LoginFailure(username=f"u{i}", address="testclient"))
    session.flush()
    assert sign_in(browser(app), "rev").status_code == 429
    assert sign_in(own, "mag-op").status_code == 303


def _request(peer: str, headers: dict[str, str], scheme: str = "http") -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request(
        {
            "type": "http",
            "client": (peer, 1234),
            "headers": raw,
            "scheme": scheme,
            "server": ("ims.example", 80),
            "path": "/",
            "query_string": b"",
        }
    )


def test_forwarded_headers_are_believed_only_from_trusted_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    monkeypatch.setattr(get_settings(), "trusted_proxies", "")
    assert client_address(_request("198.51.100.7", forged)) == "198.51.100.7"
    assert not over_https(_request("198.51.100.7", forged))
    monkeypatch.setattr(get_settings(), "trusted_proxies", "10.0.0.0/8, 127.0.0.1")
    assert client_address(_request("198.51.100.7", forged)) == "198.51.100.7"  # not a proxy
    chain = {"X-Forwarded-For": "203.0.113.9, 198.51.100.1, 10.1.2.3"}
    assert client_address(_request("127.0.0.1", chain)) == "198.51.100.1"  # first untrusted
    assert over_https(_request("10.0.0.5", forged))
    monkeypatch.setattr(get_settings(), "cookie_secure", None)
    assert secure_cookies(_request("10.0.0.5", forged))  # HTTPS at the proxy: Secure cookies
    assert not secure_cookies(_request("198.51.100.7", {}))
    assert secure_cookies(_request("198.51.100.7", {}, scheme="https"))


def test_session_cookies_are_secure_over_https(app: object) -> None:
    client = TestClient(app, base_url="https://ims.example", follow_redirects=False)  # type: ignore
    signed = sign_in(client, "rev")
    cookies = signed.headers.get_list("set-cookie")
    assert all("Secure" in c for c in cookies if c.startswith(("ims_session", "ims_device")))


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
    # a page's token differs in every response (BREACH): each is the session's, masked
    first, second = csrf_of(client), csrf_of(client)
    assert first != second
    held = session.scalar(
        text("SELECT csrf_token FROM web_session ORDER BY created_at DESC LIMIT 1")
    )
    assert held not in client.get("/").text
    mixed = first[: len(first) // 2] + second[len(second) // 2 :]
    spliced = client.post(url, json={"reason": "x"}, headers={"X-CSRF-Token": mixed})
    assert spliced.status_code == 403
    login = client.post("/login", data={"username": "rev", "password": "x", "csrf_token": "é"})
    assert login.status_code in (400, 403)  # not 500: a form's text compared as bytes
    done = client.post(url, json={"reason": "overlaps"}, headers={"X-CSRF-Token": first})
    assert done.status_code == 200 and done.json()["status"] == "rejected"
    # signing out takes the form's token too, and ends the session for good; the address
    # opened in the bar asks, with the form (it had gone to the start page, signed in)
    asked = client.get("/logout", follow_redirects=False)
    assert asked.status_code == 200 and 'action="/logout"' in asked.text
    assert "signed in as <strong>rev</strong>" in asked.text
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', asked.text)
    assert form_token is not None
    assert client.get("/account", follow_redirects=False).status_code == 200  # still signed in
    cookie = client.cookies["ims_session"]
    assert client.post("/logout").status_code == 403
    out = client.post("/logout", data={"csrf_token": form_token[1]})  # the page's own form
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    assert "You are signed out." in client.get(out.headers["location"]).text
    replay = browser(app)
    replay.cookies.set("ims_session", cookie)
    assert replay.get("/").status_code == 303  # the old cookie opens nothing
    # nobody to ask, or a session ended in another tab: signed out, as the sign-in page says
    signed_out = replay.get("/logout", follow_redirects=False)
    assert (signed_out.status_code, signed_out.headers["location"]) == (303, "/login?signed_out=1")
    ended = replay.post("/logout", data={"csrf_token": form_token[1]}, follow_redirects=False)
    assert (ended.status_code, ended.headers["location"]) == (303, "/login?signed_out=1")
    assert 'ims_session=""' in ended.headers["set-cookie"]  # the ended one's cookie goes
    assert "You are signed out." in browser(app).get(ended.headers["location"]).text
    # not said to one signed in (another site's form posted to /logout lands there
    # without the session's cookie: helper-115)
    signed_in = browser(app)
    assert sign_in(signed_in, "rev").status_code == 303
    assert "You are signed out." not in signed_in.get("/login?signed_out=1").text


def test_tokens_stop_working_when_revoked_expired_or_the_user_is_disabled(
    app: object, session: Session
) -> None:
    client = browser(app)
    token, secret = accounts.create_token(session, "rev", "script", by="tests")
    headers = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json() == {
        "username": "rev",
        "role": "reviewer",
        "organisation": None,
        "via": "token",
    }
    assert session.get(ApiToken, token.id).token_hash != secret  # only its hash is kept
    accounts.revoke_token(session, token.id, by="tests")
    revoked = client.get("/api/v1/me", headers=headers)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
    assert revoked.headers["www-authenticate"].startswith("Bearer")

    _, second = accounts.create_token(session, "rev", "cron", by="tests", days=1)
    session.execute(
        update(ApiToken)
        .where(ApiToken.name == "cron")
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    expired = client.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"})
    assert expired.status_code == 401

    _, third = accounts.create_token(session, "mag-op", "upload script", by="tests")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {third}"}).status_code == 200
    accounts.disable_user(session, "mag-op", by="tests")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {third}"}).status_code == 401
    # the right password and a wrong one are answered alike: told "disabled" only with
    # the right one, anyone could confirm a guessed password of the account (helper-96);
    # the answer says a disabled account cannot sign in, for its owner
    right = sign_in(browser(app), "mag-op")
    wrong = sign_in(browser(app), "mag-op", "not the password")
    for answer in (right, wrong):
        assert answer.status_code == 401
        assert "Wrong user name or password. An account an administrator has disabled" in (
            answer.text
        )
    assert "This account is disabled" not in right.text
    bad = client.get("/api/v1/me", headers={"Authorization": "Digest cmV2OnB3"})
    assert bad.status_code == 401 and "Bearer" in bad.json()["detail"]


def basic(user: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def test_gis_programs_read_with_a_token_as_the_password_of_basic_credentials(
    app: object, session: Session, tmp_path: Path
) -> None:
    """QGIS before its "API Header" authentication (3.22, Debian 12's) sends only a user
    name and a password, as HTTP Basic: a walk-through with it found no way to connect."""
    client = browser(app)
    _, secret = accounts.create_token(session, "rev", "QGIS", by="tests")
    for user in ("rev", "REV", ""):  # the user name as typed, or none
        me = client.get("/api/v1/me", headers=basic(user, secret))
        assert me.status_code == 200 and me.json()["username"] == "rev", user
        assert me.json()["via"] == "token"
    assert client.get("/ogc/collections", headers=basic("rev", secret)).status_code == 200

    # an account's password is not taken: guessing it this way would skip the sign-in's
    # delays (test_failed_sign_ins_slow_guessing_down_with_growing_delays)
    password = client.get("/api/v1/me", headers=basic("rev", PASSWORD))
    assert password.status_code == 401
    assert "not your account's password" in password.json()["detail"]
    assert "/account" in password.json()["detail"]
    other = client.get("/api/v1/me", headers=basic("mag-op", secret))
    assert other.status_code == 401 and "another account" in other.json()["detail"]
    for garbled in ("Basic", "Basic !!!", "Basic " + base64.b64encode(b"no colon").decode()):
        answer = client.get("/api/v1/me", headers={"Authorization": garbled})
        assert answer.status_code == 401 and "base64" in answer.json()["detail"], garbled
    accounts.revoke_token(session, accounts.list_tokens(session, "rev")[0].id, by="tests")
    revoked = client.get("/api/v1/me", headers=basic("rev", secret))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]

    # Basic only reads: a browser may keep Basic credentials and send them by itself, as
    # it does a cookie, so a change needs the token as a Bearer (or a session and its CSRF)
    _, op_secret = accounts.create_token(session, "mag-op", "QGIS", by="tests")
    client.headers.update(basic("mag-op", op_secret))
    upload = post(client, good_zip(tmp_path))
    assert upload.status_code == 401  # type: ignore[attr-defined]
    assert "only read" in upload.json()["detail"]  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(text("submission"))) == 0
    client.headers.update({"Authorization": f"Bearer {op_secret}"})
    assert post(client, good_zip(tmp_path, "again")).status_code == 201  # type: ignore[attr-defined]


def test_a_browser_sending_basic_credentials_of_another_kind_signs_in_and_works(
    app: object, session: Session
) -> None:
    """A browser that sends Basic credentials that are not ims's (those of a proxy before
    ims that asks for its own user name and password, or ones the browser remembered) was
    sent from the sign-in page to the sign-in page for ever, and its sign-in refused 401
    (an attack on our own instance). The sign-in page ignores them and the session
    decides; without a session the API still says why it refuses them."""
    client = browser(app)
    client.headers.update(basic("proxy-user", "the proxy's password"))
    page = client.get("/login")
    assert page.status_code == 200 and 'name="username"' in page.text
    assert sign_in(client, "rev").status_code == 303
    assert client.get("/reports").status_code == 200
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "rev"
    assert me.json()["via"] == "session"
    # a change with the session and its CSRF token, as from a page
    made = client.post(
        "/account/tokens",
        data={"name": "behind the proxy", "current": PASSWORD, "csrf_token": csrf_of(client)},
    )
    assert made.status_code == 303, made.text
    assert [t.name for t in accounts.list_tokens(session, "rev")] == ["behind the proxy"]
    # an ims token over Basic is still the token's, not the session's, and only reads
    _, secret = accounts.create_token(session, "mag-op", "QGIS", by="tests")
    theirs = client.get("/api/v1/me", headers=basic("mag-op", secret))
    assert theirs.json()["username"] == "mag-op" and theirs.json()["via"] == "token"
    # a stranger sending them: the sign-in page opens, the API says to use a token
    stranger = browser(app)
    stranger.headers.update(basic("proxy-user", "the proxy's password"))
    assert stranger.get("/login").status_code == 200
    refused = stranger.get("/api/v1/me")
    assert refused.status_code == 401 and "not your account's password" in refused.json()["detail"]
    assert stranger.get("/reports").headers["location"] == "/login?next=%2Freports"


def test_operators_upload_for_and_see_only_their_own_organisation(
    app: object, session: Session, tmp_path: Path
) -> None:
    npa = submissions.stage(
        session, good_zip(tmp_path, "npa"), kind="hazards", organisation="NPA"
    ).submission.id
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
    row = session.execute(
        text("SELECT uploaded_by FROM submission WHERE id = :i"), {"i": own_id}
    ).scalar_one()
    assert row == "mag-op"


def test_an_admin_cannot_disable_or_demote_themselves_however_the_name_is_written(
    app: object, session: Session
) -> None:
    # A leading space in the user name got past the page's own check (issue 13, item 12).
    accounts.create_user(session, "boss", Role.ADMIN, password=PASSWORD, by="tests")
    client = browser(app)
    assert sign_in(client, "boss").status_code == 303
    csrf = csrf_of(client)
    for name, action in ((" boss", "disable"), ("BOSS", "role"), ("boss ", "disable")):
        form = {"action": action, "role": "viewer", "csrf_token": csrf}
        answer = client.post(f"/admin/users/{name}", data=form)
        assert answer.status_code == 422 and "yourself" in answer.text
    boss = accounts.get_user(session, "boss")
    assert boss.disabled_at is None and boss.role is Role.ADMIN


def test_enabling_a_user_again_does_not_revive_their_old_tokens(
    app: object, session: Session
) -> None:
    _, secret = accounts.create_token(session, "rev", "old script", by="tests")
    api = TestClient(app)  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    accounts.disable_user(session, "rev", by="tests")
    accounts.enable_user(session, "rev", by="tests")
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    assert sign_in(browser(app), "rev").status_code == 303  # the user is back; the token not


def test_pages_and_answers_are_not_stored_but_static_files_and_tiles_keep_theirs(
    client_as: ClientAs,
) -> None:
    """``no-store`` on whatever says nothing of caching (headers.SecurityHeaders)."""
    client = client_as()
    for path in ("/", "/hazards", "/api/v1/hazards?limit=1", "/login"):
        assert client.get(path).headers["cache-control"] == "no-store", path
    css = client.get("/static/ims.css?v=1")
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    tile = client.get("/api/v1/tiles/hazards/6/50/29.pbf")
    assert tile.headers["cache-control"] == "private, max-age=60"


def test_a_browser_that_came_by_https_is_told_to_come_back_by_https_only(app: object) -> None:
    """No Strict-Transport-Security was sent even behind HTTPS: a first plain request
    could be intercepted (found by a walk-through as a system administrator)."""
    plain = TestClient(app).get("/login")  # type: ignore[arg-type]
    assert "strict-transport-security" not in plain.headers
    direct = TestClient(app, base_url="https://testserver").get("/login")  # type: ignore[arg-type]
    assert direct.headers["strict-transport-security"] == "max-age=31536000"
    # a proxy's word is believed only from one in IMS_TRUSTED_PROXIES (over_https, above)
    said = TestClient(app).get("/login", headers={"X-Forwarded-Proto": "https"})  # type: ignore[arg-type]
    assert "strict-transport-security" not in said.headers


def test_failed_sign_ins_are_in_the_servers_log_without_what_was_typed_for_no_one(
    app: object, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed sign-in and the wait after several were a 401 or 429 of the access log
    only (found by a walk-through as a system administrator). A user name no one has is
    not written: it may be a password typed in the wrong box."""
    with caplog.at_level("WARNING", logger="ims.db.accounts"):
        for _ in range(6):
            sign_in(browser(app), "rev", "wrong guess")
        sign_in(browser(app), "Hunter2-my-password", "x")
    said = [r.getMessage() for r in caplog.records]
    assert "sign-in failed for 'rev' from testclient" in said
    assert any(m.startswith("sign-in of 'rev' from testclient held back") for m in said)
    assert not any("Hunter2" in m for m in said)
    assert "sign-in failed for a user name no one has from testclient" in said


def test_users_change_their_own_password_and_admins_set_one_on_the_web(
    app: object, session: Session
) -> None:
    """Only `ims users password` on the server could: no user could change their own, and
    the users page could set no password (found by a walk-through as an administrator)."""
    own = browser(app)
    assert sign_in(own, "rev").status_code == 303
    page = own.get("/account")
    assert page.status_code == 200 and "Change your password" in page.text
    assert 'href="/account"' in own.get("/").text  # the name at the top leads there
    csrf = csrf_of(own)

    def change(current: str, new: str, again: str | None = None) -> httpx.Response:
        form = {"current": current, "password": new, "again": again or new, "csrf_token": csrf}
        return own.post("/account/password", data=form)

    def marked(answer: httpx.Response) -> list[str]:
        """The fields marked invalid, tied to the error and focused (a keyboard user's
        review: the error had been the page's alone)."""
        return re.findall(
            r'name="(\w+)"[^>]*aria-invalid="true" aria-describedby="password-error" autofocus',
            answer.text,
        )

    wrong = change("a wrong one", "a new long secret")
    assert "not right" in wrong.text and marked(wrong) == ["current"]
    # what is said of the new password tells nothing of the current one (an oracle, found
    # by an attack on our own instance)
    assert "differ" in change("a wrong one", "a new long secret", "another long one").text
    differ = change(PASSWORD, "a new long secret", "another long one")
    assert "differ" in differ.text and marked(differ) == ["again"]
    short = change(PASSWORD, "short")
    assert short.status_code == 422 and marked(short) == ["password"]  # the strength rule
    done = change(PASSWORD, "a new long secret")
    assert done.status_code == 303 and done.headers["location"] == "/login?changed=1"
    assert "Your password is changed" in own.get(done.headers["location"]).text
    assert own.get("/account").status_code == 303  # this session has ended too
    assert sign_in(browser(app), "rev").status_code == 401
    assert sign_in(browser(app), "rev", "a new long secret").status_code == 303

    accounts.create_user(session, "boss", Role.ADMIN, password=PASSWORD, by="tests")
    admin = browser(app)
    sign_in(admin, "boss")
    form = {"action": "password", "password": "set by the admin", "csrf_token": csrf_of(admin)}
    answer = admin.post("/admin/users/rev", data=form)
    assert answer.status_code == 200 and "rev: password set" in answer.text
    assert "API tokens still work" in answer.text
    # after a takeover, the admin revokes the user's tokens with the new password
    _, token = accounts.create_token(session, "rev", "a script", by="tests")
    session.commit()
    api = TestClient(app)  # type: ignore[arg-type]
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    again = admin.post(
        "/admin/users/rev", data={**form, "password": "set by the admin", "revoke_tokens": "true"}
    )
    assert "1 API token revoked" in again.text
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    # an admin's own password is changed with the current one, not on the users page
    itself = admin.post("/admin/users/BOSS", data=form)
    assert itself.status_code == 422 and "account page" in itself.text
    assert sign_in(browser(app), "rev", "set by the admin").status_code == 303
    # a viewer made an operator names an organisation on the page, not a command's option
    accounts.create_user(session, "look", Role.VIEWER, password=PASSWORD, by="tests")
    session.commit()  # (the refusal below rolls back what is not)
    form = {"action": "role", "role": "operator", "csrf_token": csrf_of(admin)}
    refused = admin.post("/admin/users/look", data=form)
    assert refused.status_code == 422 and "choose one for look" in refused.text
    assert "--organisation" not in refused.text
    made = admin.post("/admin/users/look", data={**form, "organisation": "MAG"})
    assert made.status_code == 200 and "look is now operator of MAG." in made.text
    look = accounts.get_user(session, "look")
    assert look.role is Role.OPERATOR and look.organisation.name == "MAG"
    # and a reviewer again belongs to no organisation (it had kept the operator's)
    back = admin.post("/admin/users/look", data={**form, "role": "reviewer"})
    assert "look is now reviewer." in back.text
    session.expire_all()
    assert accounts.get_user(session, "look").organisation is None


def test_the_current_password_is_guessed_no_faster_than_a_sign_in(
    app: object, session: Session
) -> None:
    """40 wrong current passwords on /account/password, then the right one, all answered
    at once: a stolen session could find the password (an attack on our own instance)."""
    own = browser(app)
    sign_in(own, "rev")
    csrf = csrf_of(own)
    form = {"password": "a new long secret", "again": "a new long secret", "csrf_token": csrf}
    answers = [
        own.post("/account/password", data={**form, "current": f"guess {i}"}).status_code
        for i in range(6)
    ]
    assert answers[:5] == [422] * 5 and answers[5] == 429, answers
    held = own.post("/account/password", data={**form, "current": PASSWORD})
    assert held.status_code == 429 and "wait" in held.text  # the right one waits too
    assert accounts.password_matches(accounts.get_user(session, "rev"), PASSWORD)


def test_strangers_guessing_a_users_password_do_not_keep_them_from_changing_it(
    app: object, session: Session
) -> None:
    """Failed sign-ins under the user's name, or from the user's address, had held up the
    user's own change of password, the moment they would want one (a third attack)."""
    own = browser(app)
    sign_in(own, "rev")
    for _ in range(7):
        sign_in(browser(app), "rev", "a stranger's guess")
    assert sign_in(browser(app), "rev").status_code == 429  # sign-ins from elsewhere wait …
    form = {
        "current": PASSWORD,
        "password": "a new long secret",
        "again": "a new long secret",
        "csrf_token": csrf_of(own),
    }
    changed = own.post("/account/password", data=form)  # … the signed-in user does not
    assert changed.status_code == 303, changed.text
    assert accounts.password_matches(accounts.get_user(session, "rev"), "a new long secret")


def test_changing_ones_password_can_revoke_ones_tokens_and_forgets_known_browsers(
    app: object, session: Session
) -> None:
    """API tokens outlived a change of password, and only an admin could revoke them; a
    browser someone had signed in from stayed known, with its own counter (a third attack)."""
    _, token = accounts.create_token(session, "rev", "a script", by="tests")
    own = browser(app)
    sign_in(own, "rev")
    assert session.scalar(select(func.count()).select_from(KnownDevice)) == 1
    page = own.get("/account").text
    assert "revoke my 1 API token too" in page
    form = {
        "current": PASSWORD,
        "password": "a new long secret",
        "again": "a new long secret",
        "revoke_tokens": "true",
        "csrf_token": csrf_of(own),
    }
    assert own.post("/account/password", data=form).status_code == 303
    api = TestClient(app)  # type: ignore[arg-type]
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert session.scalar(select(func.count()).select_from(KnownDevice)) == 0


def test_an_admins_api_token_cannot_add_or_change_users(app: object, session: Session) -> None:
    """With a leaked admin token: add an admin, sign in as it, set every admin's password
    (a third attack). Accounts are managed signed in on the web, or with `ims users`."""
    accounts.create_user(session, "boss", Role.ADMIN, password=PASSWORD, by="tests")
    _, token = accounts.create_token(session, "boss", "a script", by="tests")
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]
    added = api.post(
        "/admin/users", data={"username": "intruder", "role": "admin", "password": "x" * 12}
    )
    assert added.status_code == 403
    changed = api.post("/admin/users/rev", data={"action": "password", "password": "x" * 12})
    assert changed.status_code == 403
    assert accounts.password_matches(accounts.get_user(session, "rev"), PASSWORD)


def test_the_last_admin_who_can_sign_in_is_kept(app: object, session: Session) -> None:
    accounts.create_user(session, "boss", Role.ADMIN, password=PASSWORD, by="tests")
    accounts.create_user(session, "deputy", Role.ADMIN, password=PASSWORD, by="tests")
    accounts.set_role(session, "deputy", Role.REVIEWER, by="tests")  # another admin remains
    with pytest.raises(InvalidRequest, match="boss is the last admin who can sign in"):
        accounts.set_role(session, "boss", Role.VIEWER, by="tests")
    with pytest.raises(InvalidRequest, match="before you disable them"):
        accounts.disable_user(session, "boss", by="tests")
    accounts.set_role(session, "deputy", Role.ADMIN, by="tests")
    accounts.disable_user(session, "boss", by="tests")  # deputy can sign in
    assert accounts.get_user(session, "deputy").role is Role.ADMIN


def test_two_admins_demoting_each_other_at_once_leave_one(committed_engine: Engine) -> None:
    """Both had become viewers, each change checked before the other was made."""
    with Session(committed_engine) as s, s.begin():
        accounts.create_user(s, "one", Role.ADMIN, password=PASSWORD, by="tests")
        accounts.create_user(s, "two", Role.ADMIN, password=PASSWORD, by="tests")
    first, second = Session(committed_engine), Session(committed_engine)
    try:
        accounts.set_role(first, "two", Role.VIEWER, by="tests")  # not committed yet
        with ThreadPoolExecutor(1) as pool:
            later = pool.submit(accounts.set_role, second, "one", Role.VIEWER, by="tests")
            with pytest.raises(TimeoutError):
                later.result(timeout=1)  # waits for the first change
            first.commit()
            with pytest.raises(InvalidRequest, match="one is the last admin"):
                later.result(timeout=30)
    finally:
        first.close()
        second.close()
    with Session(committed_engine) as s:
        assert [u.username for u in accounts.list_users(s) if u.role is Role.ADMIN] == ["one"]


def test_a_server_that_signs_in_over_https_only_says_so_over_http(
    app: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With IMS_COOKIE_SECURE over plain HTTP the browser drops the sign-in form's cookie,
    and the page said "The form had expired: sign in again.", round and round."""
    monkeypatch.setattr(get_settings(), "cookie_secure", True)
    client = browser(app)
    client.get("/login")
    client.cookies.clear()  # as a browser does with a Secure cookie over HTTP
    answer = client.post(
        "/login", data={"username": "rev", "password": PASSWORD, "csrf_token": "x"}
    )
    assert answer.status_code == 403 and "over HTTPS only" in answer.text


def test_guesses_sent_all_at_once_are_counted_one_after_another(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a wait was over, 20 guesses sent together were all checked: each read the
    failures before any had recorded its own. Only wrong ones are sent: the right password,
    when its thread took the lock first, reset the counter (as it should) and the guesses
    after it were checked, which made this test fail one run in a few on a busy machine."""
    # (on CI's machine two guesses saw the five failures, aged a minute, as just made)
    now = _freeze_clock(monkeypatch)
    with Session(committed_engine) as session, session.begin():
        accounts.create_user(session, "target", Role.VIEWER, password=PASSWORD, by="tests")
    app = create_app(committed_engine, jobs=InlineJobs())
    for _ in range(5):
        assert sign_in(browser(app), "target", "wrong guess").status_code == 401
    now[0] += dt.timedelta(minutes=1)  # the wait after five failures (10 s) is over
    guesses = [f"guess {i}" for i in range(8)]
    with ThreadPoolExecutor(len(guesses)) as pool:
        answers = list(pool.map(lambda g: sign_in(browser(app), "target", g).status_code, guesses))
    assert sorted(answers) == [401] + [429] * (len(guesses) - 1), answers  # one checked


def test_users_make_and_revoke_their_own_tokens_on_their_account_page(
    app: object, session: Session
) -> None:
    """A GIS officer could connect QGIS only once an administrator had run `ims token
    create` on the server (found by a walk-through as a GIS officer)."""
    own = browser(app)
    sign_in(own, "rev")
    page = own.get("/account").text
    assert "Connect QGIS, GDAL or a script" in page
    # the address as it is copied (<wbr> lets it break after its slashes, copying nothing)
    assert "<code>http://testserver/ogc</code>" in page.replace("<wbr>", "")
    csrf = csrf_of(own)

    def make(current: str, name: str = "QGIS on my laptop", days: str = "30") -> httpx.Response:
        form = {"name": name, "days": days, "current": current, "csrf_token": csrf}
        return own.post("/account/tokens", data=form)

    refused = make("a wrong guess")
    assert refused.status_code == 422 and "no token was made" in refused.text
    assert 'value="QGIS on my laptop"' in refused.text  # what was typed stays
    assert accounts.list_tokens(session, "rev") == []
    assert make(PASSWORD, days="400").status_code == 422  # a year at most
    # made, then shown on the account page by GET: a reload sends nothing again (the page
    # that answered the form had, and made a second token: a walk-through)
    made = make(PASSWORD)
    assert made.status_code == 303 and made.headers["location"] == "/account#made-token"
    shown = own.get("/account")
    assert shown.headers["cache-control"] == "no-store"
    found = re.search(r'<code id="token-secret">([^<]+)</code>', shown.text)
    assert found
    secret = found.group(1)
    assert "ogrinfo OAPIF:http://testserver/ogc" in shown.text  # GDAL's address, as typed
    assert f"Bearer {secret}" in shown.text
    (token,) = accounts.list_tokens(session, "rev")
    assert token.name == "QGIS on my laptop" and token.expires_at is not None
    api = TestClient(app, headers={"Authorization": f"Bearer {secret}"})  # type: ignore[arg-type]
    assert api.get("/ogc/collections").status_code == 200  # what QGIS reads
    # the tiles' address QGIS asks for first, as the page gives it, works with the token
    template = "http://testserver/api/v1/tiles/hazards/{z}/{x}/{y}.pbf"
    assert f"<code>{template}</code>" in shown.text.replace("<wbr>", "")
    tile = api.get(template.format(z=0, x=0, y=0))
    assert tile.status_code in (200, 204) and "vector-tile" in tile.headers["content-type"]
    assert api.get("/api/v1/me").json()["username"] == "rev"
    # shown once: the account page lists it by its beginning only
    again = own.get("/account").text
    assert secret not in again and token.prefix in again
    # another user's token is not found; one's own is revoked
    accounts.create_user(session, "other", Role.VIEWER, password=PASSWORD, by="tests")
    theirs, _ = accounts.create_token(session, "other", "theirs", by="tests")
    stranger = own.post(f"/account/tokens/{theirs.id}/revoke", data={"csrf_token": csrf})
    assert stranger.status_code == 404 and theirs.revoked_at is None
    revoked = own.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 303
    assert api.get("/api/v1/me").status_code == 401
    # a token cannot make tokens: only a signed-in browser, with the password
    other_api = TestClient(app, headers={"Authorization": f"Bearer {secret}"})  # type: ignore[arg-type]
    assert other_api.post(
        "/account/tokens", data={"name": "x", "current": PASSWORD}
    ).status_code in (401, 403)


def test_tokens_asked_for_all_at_once_stop_at_the_most_one_may_have(
    committed_engine: Engine,
) -> None:
    """20 requests sent together each counted the tokens before any was made, and made 21
    (found by an attack on these changes before release)."""
    with Session(committed_engine) as session, session.begin():
        accounts.create_user(session, "many", Role.VIEWER, password=PASSWORD, by="tests")
        for i in range(OWN_TOKENS_MAX - 2):
            accounts.create_token(session, "many", f"script {i}", by="tests")
    app = create_app(committed_engine, jobs=InlineJobs())
    own = browser(app)
    sign_in(own, "many")
    csrf = csrf_of(own)
    form = {"name": "at once", "days": "30", "current": PASSWORD, "csrf_token": csrf}
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(lambda _: own.post("/account/tokens", data=form).status_code, range(6))
        )
    assert sorted(answers) == [303, 303, 422, 422, 422, 422], answers
    with Session(committed_engine) as session:
        assert len(accounts.list_tokens(session, "many")) == OWN_TOKENS_MAX
