"""A live ims on a demo database of its own, for the browser tests.

The demo programme is small (300 hazards) and committed, as a browser needs it, in a
database of this session's own (the rolled-back per-test database is not involved); the
server runs in a thread of the test process on a free port.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, Request, Response
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from ims.app import create_app
from ims.db import accounts
from ims.db.session import make_engine
from ims.domain.enums import Role
from ims.sample.demo import load_demo

PASSWORD = "browser test password"


def launch_chromium(playwright: Playwright, *args: str) -> Browser:
    """Debian's Chromium, in its headless shell: the same Blink and V8 without the desktop
    browser around them, which is what Playwright runs headless pages in by default (its own
    browser download does not work offline). The crawl of the site as four roles took 114 s
    in it against 129 s in the full browser, whose processes used 98 CPU-seconds to the
    shell's 69: the browser tests are a third of the suite's time.
    """
    executable = shutil.which("chromium-headless-shell")
    if executable is None:
        pytest.fail(
            "Chromium's headless shell is not installed, so the browser tests cannot run: "
            "run scripts/setup.sh --dev (it installs Debian's chromium-headless-shell package)"
        )
    return playwright.chromium.launch(executable_path=executable, args=["--no-sandbox", *args])


# The requests each page has in flight (see settle).
_IN_FLIGHT: weakref.WeakKeyDictionary[Page, set[Request]] = weakref.WeakKeyDictionary()


def _in_flight(page: Page) -> set[Request]:
    if page not in _IN_FLIGHT:
        flight: set[Request] = set()
        page.on("request", lambda request: flight.add(request))
        page.on("requestfinished", lambda request: flight.discard(request))
        page.on("requestfailed", lambda request: flight.discard(request))
        _IN_FLIGHT[page] = flight
    return _IN_FLIGHT[page]


def open_settled(page: Page, url: str, *, quiet_ms: int = 150) -> Response | None:
    """Open ``url`` and wait until the page has loaded and its requests (tiles, data) are done.

    Playwright's ``networkidle`` waits for half a second without a request after the last
    one: some 0.4 s of nothing per page, a minute of each crawl of the site. This waits
    for the requests the page made to finish, then for ``quiet_ms`` without a new one.
    """
    _in_flight(page)  # listening before the page asks for anything
    response = page.goto(url, wait_until="load")
    settle(page, quiet_ms=quiet_ms)
    return response


def settle(page: Page, *, quiet_ms: int = 150, timeout_s: float = 30) -> None:
    """Wait until none of the page's requests is in flight, and none started for quiet_ms."""
    flight = _in_flight(page)
    page.wait_for_load_state("load")
    deadline = time.monotonic() + timeout_s
    quiet_since = time.monotonic()
    while True:
        page.wait_for_timeout(25)  # Playwright hands the page's events over meanwhile
        now = time.monotonic()
        if flight:
            quiet_since = now
            if now > deadline:
                raise TimeoutError(f"{page.url} still loading {sorted(r.url for r in flight)}")
        elif now - quiet_since >= quiet_ms / 1000:
            return


@dataclass(frozen=True)
class LiveSite:
    """The address of the live server and facts about its data."""

    url: str
    engine: Engine
    hazard: str  # a hazard with releases
    hazard_at: tuple[float, float]  # (lat, lon) of a point of its remaining ground
    broken_submission: int  # a staged submission with errors
    clean_submission: int  # a staged submission without errors
    username: str  # an admin who signs in with PASSWORD
    token: str  # an API token of that admin, for requests made outside the browser
    operator_token: str  # an API token of the operator of MAG (uploads the admin approves)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def demo_engine(test_server) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A migrated database holding the committed demo programme, dropped at the end."""
    url = test_server.migrated_database("ims_ui")
    engine = make_engine(test_server.app_url(url))  # the live site works as ims does
    with Session(engine) as session, session.begin():
        load_demo(session, hazards=300)
        accounts.create_user(session, "ui-admin", Role.ADMIN, password=PASSWORD, by="tests")
        accounts.create_user(session, "ui-viewer", Role.VIEWER, password=PASSWORD, by="tests")
        accounts.create_user(session, "ui-reviewer", Role.REVIEWER, password=PASSWORD, by="tests")
        accounts.create_user(
            session, "ui-operator", Role.OPERATOR, organisation="MAG", password=PASSWORD, by="tests"
        )
    yield engine
    engine.dispose()
    test_server.drop_database(url)


@pytest.fixture(scope="session")
def site(demo_engine: Engine) -> Iterator[LiveSite]:
    """ims served by uvicorn in a background thread, on the demo database."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(demo_engine),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            # uvicorn closes a connection idle 5 s; a browser that reused it just then met
            # the close, sent again, and Playwright reported the first try failed (an
            # upload's POST, under load). Idle connections stay open through a test.
            timeout_keep_alive=300,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    with demo_engine.connect() as conn:
        # An open hazard with ground enough to click on: one that is closed can keep a
        # remaining sliver of a fraction of a square metre under a release.
        hazard = conn.scalar(
            text(
                "SELECT h.reference FROM hazard h JOIN release r ON r.hazard_id = h.id "
                "JOIN hazard_remaining m ON m.hazard_id = h.id WHERE m.remaining_m2 > 1000 "
                "ORDER BY h.id LIMIT 1"
            )
        )
        lat, lon = conn.execute(
            text(
                "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface(m.geom) AS p "
                "FROM hazard_remaining m JOIN hazard h ON h.id = m.hazard_id "
                "WHERE h.reference = :r) x"
            ),
            {"r": hazard},
        ).one()
        broken = conn.scalar(
            text(
                "SELECT s.id FROM submission s WHERE s.status = 'validated' AND EXISTS ("
                " SELECT 1 FROM finding f WHERE f.submission_id = s.id AND f.severity = 'error')"
            )
        )
        clean = conn.scalar(
            text(
                "SELECT s.id FROM submission s WHERE s.status = 'validated' AND NOT EXISTS ("
                " SELECT 1 FROM finding f WHERE f.submission_id = s.id AND f.severity = 'error')"
            )
        )
    with Session(demo_engine) as session, session.begin():
        _, token = accounts.create_token(session, "ui-admin", "browser tests", by="tests")
        _, operator = accounts.create_token(session, "ui-operator", "browser tests", by="tests")
    yield LiveSite(
        f"http://127.0.0.1:{port}",
        demo_engine,
        hazard,
        (float(lat), float(lon)),
        broken,
        clean,
        "ui-admin",
        token,
        operator,
    )
    server.should_exit = True
    thread.join(timeout=10)
