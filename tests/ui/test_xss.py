"""An operator's upload can never act for the person who reads it (issue 13: stored XSS).

A live ims holds files whose every text field is a classic XSS payload: approved hazards
and releases (references, organisation, province, user names), a pending submission with
payloads in every field (its findings quote them), and a rejection whose reason is one.
Each role then visits every page and opens the popups of every payload's hazard and
release in Chromium, under the site's own Content-Security-Policy; each payload's hazard
page is read as the two roles whose hazard pages differ (HAZARD_PAGES_AS). The test
fails on any dialog, console error, failed or foreign request, or element that markup
injected (event handler attributes, javascript: URLs, inline scripts, frames…).

The first payloads are the attack found by the held-out review: an upload whose
references, once run, read the reviewer's CSRF token and approve the submission itself.
"""

from __future__ import annotations

import io
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page
from shapely.geometry import MultiPolygon, box, mapping
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from ims.app import create_app
from ims.db import accounts
from ims.db.recording import load_boundaries
from ims.db.session import use_app_role
from ims.domain.enums import Role
from ims.domain.records import BoundaryFeature
from tests.ui.conftest import _free_port, open_settled
from tests.ui.test_browser import ARTIFACTS, browser  # noqa: F401 (the fixture)

PASSWORD = "a long enough password"

# Classic payloads, each also a hazard reference (so each must be a distinct string of at
# most 100 characters). They try every way out: HTML elements and attributes, script
# ends, JavaScript strings and template literals, URLs, templates, mutation XSS.
PAYLOADS = [
    "P1${window.m=document.querySelector('meta[name=csrf-token]').content}",
    "P2${fetch('/api/v1'+location.pathname+'/approve',{method:'POST',headers:{'X-CSRF-Token':m}})}",
    "<script>alert(1)</script>",
    '"><script>alert(2)</script>',
    "'><img src=x onerror=alert(3)>",
    "<img src=x onerror=alert(4)>",
    "<svg onload=alert(5)>",
    "<svg/onload=alert(6)>",
    "<svg><script>alert(7)</script></svg>",
    '<iframe src="javascript:alert(8)">',
    "<body onload=alert(9)>",
    "<details open ontoggle=alert(10)>",
    "<input autofocus onfocus=alert(11)>",
    '<a href="javascript:alert(12)">x12</a>',
    "javascript:alert(13)",
    "</script><script>alert(14)</script>",
    "${alert(15)}",
    "`-alert(16)-`",
    "'-alert(17)-'",
    '";alert(18);//',
    '\\";alert(19);//',
    "{{constructor.constructor('alert(20)')()}}",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(21)>",
    '<object data="javascript:alert(22)">',
    '<embed src="javascript:alert(23)">',
    "<marquee onstart=alert(24)>x</marquee>",
    '<div style="background:url(javascript:alert(25))">',
    "<style>@import 'javascript:alert(26)';</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(27)">',
    '<base href="javascript:alert(28)//">',
    '<form action="javascript:alert(29)"><button>x29</button></form>',
    "&lt;img src=x onerror=alert(30)&gt;",
    "%3Cimg%20src%3Dx%20onerror%3Dalert(31)%3E",
    "<img src=x:alert(32) onerror=eval(src)>",
    "<scr<script>ipt>alert(33)</scr</script>ipt>",
    "<textarea></textarea><img src=x onerror=alert(34)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(35)>">',
    "<x onclick=alert(36) style=position:fixed;inset:0>click</x>",
]
ORGANISATION = "<img src=x onerror=alert('org')>"
PROVINCE = "<svg onload=alert('province')>"
FULL_NAME = "<script>alert('name')</script>"
REASON = "<img src=x onerror=alert('reason')> rejected"

# The payloads' hazards lie on a grid, each square's west half released, so the national
# map can be clicked on every hazard and every release at a known place.
COLUMNS = 7
LON0, LAT0 = 102.30, 19.40
STEP, SIZE = 0.0025, 0.0015
ZOOM = 15

# What markup injection leaves in a page: found by walking the DOM of the live page.
INJECTED = """() => {
  const bad = [];
  const urlAttrs = ["href", "src", "action", "formaction", "data", "xlink:href"];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (/^on/i.test(attr.name)) bad.push(`${el.tagName} ${attr.name}`);
      if (urlAttrs.includes(attr.name) && /^\\s*javascript:/i.test(attr.value))
        bad.push(`${el.tagName} ${attr.name}=javascript:`);
    }
    if (["IFRAME", "OBJECT", "EMBED", "FRAME", "BASE", "MARQUEE", "MATH",
         "TEXTAREA"].includes(el.tagName)) bad.push(el.tagName);
    if (el.tagName === "SCRIPT" && el.type !== "application/json"
        && !(el.src && new URL(el.src).origin === location.origin)) bad.push("inline SCRIPT");
    if (el.tagName === "META" && el.httpEquiv) bad.push("META http-equiv");
    if (el.tagName === "STYLE" && !document.head.contains(el)) bad.push("STYLE in body");
    if (el.tagName === "X") bad.push(el.tagName);
  }
  return bad;
}"""


def cell(i: int) -> tuple[float, float, float, float]:
    """The square of payload ``i`` (lon0, lat0, lon1, lat1)."""
    x = LON0 + (i % COLUMNS) * STEP
    y = LAT0 + (i // COLUMNS) * STEP
    return x, y, x + SIZE, y + SIZE


def geojson(features: list[tuple[dict[str, Any], Any]]) -> bytes:
    """A GeoJSON FeatureCollection of (properties, geometry)."""
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "properties": p, "geometry": mapping(g)} for p, g in features
            ],
        }
    ).encode()


@dataclass
class Hostile:
    """A live site holding the payloads, and what the test found in it."""

    url: str
    engine: Engine
    tokens: dict[Role, str]
    pending: int  # submission with payloads in every field (errors), awaiting review
    applied: list[int]  # approved submissions
    rejected: int
    visits: dict[str, int] = field(default_factory=dict)


def _post(site: str, token: str, path: str, **kwargs: Any) -> httpx.Response:
    response = httpx.post(
        f"{site}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=120, **kwargs
    )
    assert response.status_code < 300, response.text
    return response


def _upload(site: str, token: str, name: str, kind: str, body: bytes) -> int:
    posted = _post(
        site,
        token,
        "/api/v1/submissions",
        files={"file": (name, body, "application/geo+json")},
        data={"kind": kind},
    )
    return int(posted.json()["id"])


@pytest.fixture(scope="module")
def hostile(test_server) -> Iterator[Hostile]:  # type: ignore[no-untyped-def]
    """ims on a database of its own, the payloads uploaded through the API as users do."""
    # Migrated as every test database is, under the workers' lock: migrating here beside
    # the other worker's first migration, both created the cluster's role ims_app at once
    # (a unique violation in pg_authid) when the two files started together.
    url = test_server.migrated_database("ims_xss")
    engine = create_engine(url)
    use_app_role(engine)
    tokens: dict[Role, str] = {}
    with Session(engine) as session, session.begin():
        area = MultiPolygon([box(102.0, 19.0, 103.0, 20.0)])
        load_boundaries(session, [BoundaryFeature("P-X", PROVINCE, area)], level=1)
        for role in Role:
            name = f"xss-{role.value}"
            accounts.create_user(
                session,
                name,
                role,
                password=PASSWORD,
                full_name=FULL_NAME,
                organisation=ORGANISATION if role is Role.OPERATOR else None,
                new_organisation=True,  # the hostile name, added on purpose
                by="tests",
            )
            tokens[role] = accounts.create_token(session, name, FULL_NAME, by="tests")[1]
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(engine),
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
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    site = f"http://127.0.0.1:{port}"
    operator, reviewer = tokens[Role.OPERATOR], tokens[Role.REVIEWER]
    hazards = [
        (
            {
                "hazard_id": p,
                "status": "CHA" if i % 2 else "SHA",
                "recorded": "2020-01-01",
                "operator": ORGANISATION,
                "munitions": "BLU-26:3",
                "village": p,
                "note": p,
            },
            box(*cell(i)),
        )
        for i, p in enumerate(PAYLOADS)
    ]
    applied = [_upload(site, operator, f"{PAYLOADS[4]}.geojson", "hazards", geojson(hazards))]
    _post(site, reviewer, f"/api/v1/submissions/{applied[0]}/approve")
    releases = []
    for i, p in enumerate(PAYLOADS):
        x0, y0, x1, y1 = cell(i)
        releases.append(
            (
                {
                    "release_id": f"R{p}",
                    "hazard_id": p,
                    "method": "cleared",
                    "released": "2021-06-01",
                    "operator": ORGANISATION,
                    "items": "BLU-26:1",
                },
                box(x0, y0, (x0 + x1) / 2, y1),
            )
        )
    applied.append(_upload(site, operator, f"{PAYLOADS[6]}.geojson", "releases", geojson(releases)))
    _post(site, reviewer, f"/api/v1/submissions/{applied[1]}/approve")
    # Payloads in every field, coded ones too: the findings quote them back.
    fields = (
        "hazard_id",
        "status",
        "contam",
        "recorded",
        "revised",
        "used_from",
        "used_to",
        "munitions",
        "marked",
        "operator",
        "village",
    )
    everywhere = [
        ({f: f"{p}{n}" for n, f in enumerate(fields)}, box(*cell(i)))
        for i, p in enumerate(PAYLOADS)
    ]
    pending = _upload(site, operator, f"{PAYLOADS[0]}.geojson", "hazards", geojson(everywhere))
    # noted: its file name reaches the list, the review page and the reports' notes
    _post(site, reviewer, f"/api/v1/submissions/{pending}/note", json={"noted": True})
    rejected = _upload(site, operator, f"{PAYLOADS[5]}.geojson", "hazards", geojson(everywhere))
    _post(site, reviewer, f"/api/v1/submissions/{rejected}/reject", json={"reason": REASON})
    yield Hostile(site, engine, tokens, pending, applied, rejected)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()
    test_server.drop_database(url)


class Guard:
    """Everything that shows a payload ran or was injected, on one browser page."""

    def __init__(self, page: Page, site: str) -> None:
        self.page = page
        self.site = site
        self.problems: list[str] = []
        self.checks = 0
        page.on("dialog", self._dialog)
        page.on(
            "console",
            lambda m: (
                m.type == "error" and self.problems.append(f"console: {m.text} on {page.url}")
            ),
        )
        page.on("pageerror", lambda e: self.problems.append(f"uncaught: {e} on {page.url}"))
        page.on("request", self._request)
        page.on(
            "response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}")
        )

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"dialog {dialog.type}: {dialog.message} on {self.page.url}")
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        if not request.url.startswith((self.site, "data:", "blob:")):
            self.problems.append(f"foreign request: {request.url}")

    def check(self, where: str) -> None:
        """Look for injected elements in the page as it is now."""
        self.checks += 1
        for found in self.page.evaluate(INJECTED):
            self.problems.append(f"injected {found} on {where}")


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    world = 256 * 2**ZOOM
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2
    return (lon + 180) / 360 * world, y * world


def _click_every_feature(page: Page, guard: Guard, site: str) -> int:
    """Open the popup of every payload's release and hazard on the national map at ZOOM."""
    rows = math.ceil(len(PAYLOADS) / COLUMNS)
    centre = (LON0 + (COLUMNS * STEP) / 2, LAT0 + (rows * STEP) / 2)
    page.goto(f"{site}/map#{ZOOM}/{centre[1]}/{centre[0]}")
    page.wait_for_selector("#map[data-shown]", state="attached", timeout=20_000)
    page.wait_for_selector("#map:not([data-loading])", state="attached")
    area = page.locator("#map").bounding_box()
    assert area is not None
    cx, cy = _mercator(*centre)
    opened = 0
    for i in range(len(PAYLOADS)):
        x0, y0, x1, y1 = cell(i)
        for lon in (x0 + (x1 - x0) * 0.25, x0 + (x1 - x0) * 0.75):  # released, remaining
            px, py = _mercator(lon, (y0 + y1) / 2)
            page.mouse.click(
                area["x"] + area["width"] / 2 + px - cx, area["y"] + area["height"] / 2 + py - cy
            )
            page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
            opened += 1
            guard.check(f"map popup of payload {i}")
            assert PAYLOADS[i] in page.inner_text(".leaflet-popup-content"), i
            page.keyboard.press("Escape")
    # At a national zoom the hazards are merged points: their popup too (on a page of its
    # own: from the map, an address differing only after the # is no new page)
    page.goto("about:blank")
    page.goto(f"{site}/map#6/{centre[1]}/{centre[0]}")
    page.wait_for_selector("#map[data-shown]", state="attached", timeout=20_000)
    area = page.locator("#map").bounding_box()
    assert area is not None
    page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
    page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
    guard.check("map popup at zoom 6")
    return opened + 1


def _open_pages(page: Page, guard: Guard, site: str, paths: list[str]) -> int:
    for path in paths:
        open_settled(page, site + path)
        guard.check(path)
    return len(paths)


def _click_around(page: Page, guard: Guard, selector: str, where: str) -> int:
    """Click a grid of points over a map and check the page after each popup."""
    area = page.locator(selector).bounding_box()
    assert area is not None
    opened = 0
    for fx in (0.3, 0.4, 0.5, 0.6, 0.7):
        for fy in (0.3, 0.4, 0.5, 0.6, 0.7):
            page.mouse.click(area["x"] + area["width"] * fx, area["y"] + area["height"] * fy)
            if page.locator(".leaflet-popup-content").count():
                opened += 1
                guard.check(f"{where} popup")
                page.keyboard.press("Escape")
    return opened


def _hover_hazard_maps(page: Page, guard: Guard, site: str) -> int:
    """Each hazard page's map: hover over its released half to show the release's tooltip."""
    shown = 0
    for payload in PAYLOADS:
        page.goto(f"{site}/hazards/{_quote(payload)}", wait_until="load")
        guard.check(f"hazard page of {payload!r}")
        assert payload in page.inner_text("h1")
        page.wait_for_selector("#hazard-map[data-drawn]", state="attached", timeout=10_000)
        area = page.locator("#hazard-map").bounding_box()
        assert area is not None
        page.mouse.move(area["x"] + area["width"] * 0.35, area["y"] + area["height"] * 0.5)
        if page.locator(".leaflet-tooltip").count():
            shown += 1
            guard.check(f"tooltip on the map of {payload!r}")
    return shown


def _quote(reference: str) -> str:
    from urllib.parse import quote

    return quote(reference, safe="")


def _sign_in(page: Page, site: str, role: Role) -> None:
    open_settled(page, f"{site}/login")
    page.fill("#username", f"xss-{role.value}")
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url


# Each payload's hazard page is read as the roles whose hazard pages differ: a reviewer's
# is an admin's (the review controls, the audit trail: rendering.py's can_review and
# can_upload), a viewer's an operator's less its links: read as all four, the same markup
# was read twice over.
HAZARD_PAGES_AS = (Role.ADMIN, Role.OPERATOR)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_no_payload_runs_or_injects_anything_for_any_role(
    browser: Browser,  # noqa: F811
    hostile: Hostile,
    role: Role,
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    guard = Guard(page, hostile.url)
    _sign_in(page, hostile.url, role)
    paths = ["/", "/reports?year=2021", "/reports?year=2021&level=2", "/api/v1/docs"]
    if role is not Role.VIEWER:
        submissions = [hostile.pending, hostile.rejected, *hostile.applied]
        paths += ["/submissions"] + [f"/submissions/{s}" for s in submissions]
        paths += [
            f"/submissions/{hostile.pending}?findings_page=2",
            f"/submissions/{hostile.pending}?page=2",
        ]
    if role is Role.ADMIN:
        paths += ["/admin/users", "/admin/reference", "/admin/audit"]
    pages = _open_pages(page, guard, hostile.url, paths)
    popups = 0
    if role is not Role.VIEWER:
        open_settled(page, f"{hostile.url}/submissions/{hostile.pending}")
        page.wait_for_selector("#review-map[data-drawn]", state="attached", timeout=10_000)
        popups += _click_around(page, guard, "#review-map", "review map")
    popups += _click_every_feature(page, guard, hostile.url)
    if role in HAZARD_PAGES_AS:
        pages += len(PAYLOADS)
        popups += _hover_hazard_maps(page, guard, hostile.url)
    page.screenshot(path=str(ARTIFACTS / f"xss-{role.value}.png"), full_page=True)
    context.close()
    hostile.visits[role.value] = pages
    print(
        f"XSS crawl as {role.value}: {len(PAYLOADS)} payloads, {pages} pages, "
        f"{popups} popups and tooltips, {guard.checks} DOM checks"
    )
    assert guard.problems == [], "\n".join(guard.problems)
    assert popups >= 2 * len(PAYLOADS)


def test_the_pending_upload_never_approved_itself(hostile: Hostile) -> None:
    # The held-out attack: the reviewer's visit ran P1 and P2, which approved it.
    with hostile.engine.connect() as conn:
        status = conn.scalar(
            text("SELECT status FROM submission WHERE id = :s"), {"s": hostile.pending}
        )
        approvals = conn.scalar(
            text(
                "SELECT COUNT(*) FROM audit_event WHERE action = 'submission.approved'"
                " AND submission_id = :s"
            ),
            {"s": hostile.pending},
        )
    assert status == "validated" and approvals == 0


def test_the_report_notes_hold_a_noted_submissions_payloads_as_text(hostile: Hostile) -> None:
    # Its file name is in the XLSX and PDF notes now (issue 18, item 5).
    headers = {"Authorization": f"Bearer {hostile.tokens[Role.REVIEWER]}"}

    def download(fmt: str) -> bytes:
        response = httpx.get(
            f"{hostile.url}/api/v1/reports/article7",
            params={"year": 2021, "format": fmt},
            headers=headers,
            timeout=120,
        )
        assert response.status_code == 200, response.text[:300]
        return response.content

    assert download("pdf").startswith(b"%PDF")
    notes = load_workbook(io.BytesIO(download("xlsx")))["Notes"]
    cells = [c for row in notes.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    (line,) = [c.value for c in cells if f"submission {hostile.pending} (" in str(c.value)]
    assert f"{PAYLOADS[0]}.geojson" in line
