"""Every link, form and download, as each role and as a stranger, in Chromium.

Round one's browser tests passed while every report download on /reports answered 422:
the pages were tested, not the links between them. This crawler starts at ``/`` as each
role (and as someone not signed in, with and without public read), follows every link and
GET form of every page on the site (a few of each kind of page: one hazard page is like
another), opens every kind of download (a few of each: one province's register file is
like another's) and checks it is a valid file of its type, and runs axe-core over every
page. It fails on any 4xx/5xx a page led to, any console error, any download that does
not open, any page over 1 MB, and any serious or critical accessibility violation (axe
runs once for pages of a kind whose structure another role saw already). The national
map is clicked at zoom 6 and at zoom 12.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pypdfium2
import pytest
from openpyxl import load_workbook
from playwright.sync_api import APIResponse, Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError

from ims.config import get_settings
from tests.ui.conftest import PASSWORD, LiveSite, open_settled
from tests.ui.test_browser import ARTIFACTS, browser  # noqa: F401 (the fixture)

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
MAX_HTML_BYTES = 1_000_000
PER_KIND = 2  # pages (/hazards/*, /submissions/*…) or files of one kind fetched per role
MAX_PAGES = 60
ROLES = {
    "admin": "ui-admin",
    "reviewer": "ui-reviewer",
    "operator": "ui-operator",
    "viewer": "ui-viewer",
}
SKIPPED = ("/logout",)  # changes state: not a link to follow
MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "png": "image/png",
    "zip": "application/zip",
    "gpkg": "application/geopackage+sqlite3",
    "json": "application/json",
    "html": "text/html",
    "kml": "application/vnd.google-earth.kml+xml",
    "geojson": "application/geo+json",
}


@dataclass
class Crawl:
    """What a crawl saw: pages, links, downloads, and what went wrong."""

    pages: list[str] = field(default_factory=list)
    links: int = 0
    forms: int = 0
    downloads: list[str] = field(default_factory=list)
    weights: dict[str, int] = field(default_factory=dict)  # kind of page -> largest bytes
    problems: list[str] = field(default_factory=list)

    def summary(self, who: str) -> str:
        """One line for the test log (and the closing note)."""
        return (
            f"crawl as {who}: {len(self.pages)} pages, {self.links} links, "
            f"{self.forms} forms, {len(self.downloads)} downloads; heaviest page "
            f"{max(self.weights.values(), default=0) / 1e3:,.0f} KB"
        )


def kind_of(url: str) -> str:
    """The kind of page a URL is: its path with identifiers replaced by *."""
    path = urlsplit(url).path
    path = re.sub(r"^/hazards/.+", "/hazards/*", path)
    # what each of the API's error types means: one page, eighteen times over, had been
    # opened and checked by axe-core in full as each role (a quarter of each crawl's pages)
    path = re.sub(r"^/problems/.+", "/problems/*", path)
    return re.sub(r"/\d+(?=/|$)", "/*", path)


def download_kind(url: str) -> str:
    """The kind of file a link fetches: its path and the names of its parameters (the
    reports page links each province's register in six formats: 102 links, two of a kind
    enough, as for pages)."""
    parts = urlsplit(url)
    names = sorted({name for name, _ in parse_qsl(parts.query)})
    return f"{parts.path}?{','.join(names)}"


def is_download(url: str) -> bool:
    """Whether a link fetches a file rather than a page."""
    parts = urlsplit(url)
    return parts.path.startswith("/api/v1/") and parts.path != "/api/v1/docs"


def check_download(body: bytes, content_type: str, url: str) -> str | None:
    """What is wrong with a downloaded file (None: it opens as its type)."""
    query = dict(parse_qsl(urlsplit(url).query))
    fmt = query.get("format") or urlsplit(url).path.rsplit(".", 1)[-1]
    if fmt not in MEDIA:
        fmt = "json"
    if not content_type.startswith(MEDIA[fmt]):
        return f"{url}: {content_type}, expected {MEDIA[fmt]}"
    try:
        if fmt == "xlsx":
            assert load_workbook(io.BytesIO(body)).sheetnames
        elif fmt == "pdf":
            assert len(pypdfium2.PdfDocument(body)) >= 1
        elif fmt == "csv":
            assert list(csv.reader(io.StringIO(body.decode("utf-8"))))
        elif fmt == "png":
            assert body[:8] == b"\x89PNG\r\n\x1a\n"
        elif fmt == "zip":
            assert zipfile.ZipFile(io.BytesIO(body)).namelist()
        elif fmt == "html":
            assert b"<table" in body
        elif fmt == "gpkg":
            assert body[:16] == b"SQLite format 3\x00"
        elif fmt == "kml":
            assert b"<kml" in body[:500]
        elif fmt == "geojson":  # a file for field teams: no page's weight limit
            assert json.loads(body)["type"] == "FeatureCollection"
        else:
            json.loads(body)
            if len(body) > MAX_HTML_BYTES:
                return f"{url}: {len(body):,} bytes of JSON"
    except Exception as exc:  # any failure to open is the finding
        return f"{url}: not a valid {fmt} file ({type(exc).__name__}: {exc})"
    return None


def form_urls(page: Page) -> list[str]:
    """The URL each GET form on the page sends with its default values."""
    forms = page.eval_on_selector_all(
        "form",
        """forms => forms
             .filter(f => (f.getAttribute('method') || 'get').toLowerCase() === 'get')
             .map(f => {
               const params = new URLSearchParams(new FormData(f));
               const action = new URL(f.getAttribute('action') || '', location.href);
               return action.origin + action.pathname + '?' + params.toString();
             })""",
    )
    return list(forms)


# The structure of a page, text aside: every element's tag, id, classes, role, type and
# ARIA attributes, once each. Two roles' pages of a kind with the same structure (the
# same controls, dialogs, tables, labels) get the same axe-core findings; one with a button
# or a dialog more is checked again (axe took 0.7 s a page, a fifth of each crawl).
STRUCTURE = """() => [...new Set([...document.querySelectorAll('body *')].map(e =>
    [e.tagName, e.id, e.getAttribute('class') || '', e.getAttribute('role') || '',
     e.getAttribute('type') || '', e.hasAttribute('hidden'),
     ...[...e.attributes].filter(a => a.name.startsWith('aria-')).map(a => a.name)].join(' ')
  ))].sort().join('\\n')"""
CHECKED: dict[tuple[str, int], list[str]] = {}  # (kind, structure) -> violations, this run


def run_axe_once(page: Page, site: str, kind: str) -> list[str]:
    """``run_axe``, unless a page of this kind with the same structure was checked."""
    key = (kind, hash(page.evaluate(STRUCTURE)))
    if key not in CHECKED:
        CHECKED[key] = run_axe(page, site)
    return CHECKED[key]


def run_axe(page: Page, site: str) -> list[str]:
    """Serious and critical accessibility violations on the page (axe-core)."""
    page.add_script_tag(url=f"{site}/__tests__/axe.js")  # same origin: allowed by the CSP
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
             .filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3)
               .map(n => n.target.join(' ')).join('; ')}`)"""
    )
    return list(violations)


def _get(context: BrowserContext, url: str) -> APIResponse:
    """GET ``url`` as the browser would: a browser sends a request again on a fresh
    connection when the server has just closed the idle one it was reused on (uvicorn
    closes them after 5 s; under load the crawler took longer between two downloads, and
    met the close: ECONNRESET). A server that died would refuse the second one too."""
    try:
        return context.request.get(url)
    except PlaywrightError as error:
        if "ECONNRESET" not in str(error):
            raise
        return context.request.get(url)


def crawl(context: BrowserContext, site: str, also: tuple[str, ...] = ()) -> Crawl:
    """Visit the site from / (and ``also``) as the context's user, following links and forms."""
    found = Crawl()
    page = context.new_page()
    page.route(
        "**/__tests__/axe.js",
        lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"),
    )
    page.on(
        "console",
        lambda m: m.type == "error" and found.problems.append(f"console on {page.url}: {m.text}"),
    )
    page.on("pageerror", lambda e: found.problems.append(f"uncaught on {page.url}: {e}"))
    queue: deque[tuple[str, str]] = deque([(f"{site}/", ""), *((u, "") for u in also)])
    seen: set[str] = set()
    per_kind: Counter[str] = Counter()
    per_download: Counter[str] = Counter()
    fetched: set[str] = set()
    while queue and len(found.pages) < MAX_PAGES:
        url, source = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        kind = kind_of(url)
        if per_kind[kind] >= PER_KIND:
            continue
        per_kind[kind] += 1
        response = open_settled(page, url)
        if response is None or response.status >= 400:
            status = response.status if response else "no answer"
            found.problems.append(f"{url} (linked from {source}) answered {status}")
            continue
        if source and urlsplit(page.url).path == "/login" and urlsplit(url).path != "/login":
            found.problems.append(f"{url} (linked from {source}) sent the reader to sign in")
            continue
        found.pages.append(page.url)
        size = len(response.body())
        found.weights[kind] = max(found.weights.get(kind, 0), size)
        if size > MAX_HTML_BYTES:
            found.problems.append(f"{url} weighs {size:,} bytes")
        # an attribute escaped whole (maxlength=&#34;100&#34;): the browser holds no limit
        if re.search(rb"\s[a-z-]+=&#34;", response.body()):
            found.problems.append(f"{url} has an attribute escaped as text")
        if per_kind[kind] == 1:
            found.problems += [f"axe on {url}: {v}" for v in run_axe_once(page, site, kind)]
        links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        forms = form_urls(page)
        found.links += len(links)
        found.forms += len(forms)
        for target in [*links, *forms]:
            target = target.split("#")[0]
            if not target.startswith(site) or urlsplit(target).path in SKIPPED:
                continue
            if is_download(target):
                if target not in fetched and per_download[download_kind(target)] < PER_KIND:
                    fetched.add(target)
                    per_download[download_kind(target)] += 1
                    answer = _get(context, target)
                    found.downloads.append(target)
                    if answer.status >= 400:
                        found.problems.append(
                            f"download {target} (from {page.url}) answered {answer.status}: "
                            f"{answer.text()[:200]}"
                        )
                    else:
                        problem = check_download(
                            answer.body(), answer.headers.get("content-type", ""), target
                        )
                        if problem:
                            found.problems.append(problem)
            elif target not in seen:
                queue.append((target, page.url))
    page.close()
    return found


def click_map(context: BrowserContext, site: LiveSite) -> tuple[list[str], tuple[str, ...]]:
    """Click a hazard on the national map at zoom 6 and at zoom 12: what went wrong, and
    the hazard pages the popups link to (the crawl follows them: no page links to every
    hazard, the map does)."""
    problems: list[str] = []
    linked: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
    lat, lon = site.hazard_at
    for zoom in (6, 12):
        # a page of its own each time: from the map, an address that differs only after
        # the # is no new page, and the second click had been on the first zoom's map
        page.goto("about:blank")
        page.goto(f"{site.url}/map#{zoom}/{lat}/{lon}")
        page.wait_for_selector("#map[data-shown]", state="attached", timeout=20_000)
        page.wait_for_selector("#map:not([data-loading])", state="attached")
        area = page.locator("#map").bounding_box()
        assert area is not None
        page.mouse.click(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
        try:
            link = page.wait_for_selector(
                ".leaflet-popup-content a[href^='/hazards/']", timeout=5_000
            )
            if link is not None:
                linked.append(site.url + str(link.get_attribute("href")))
        except Exception:
            problems.append(f"no hazard popup at zoom {zoom}")
    page.close()
    return problems, tuple(linked)


def _signed_in(browser: Browser, site: LiveSite, username: str) -> BrowserContext:  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    open_settled(page, f"{site.url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, f"{username} could not sign in"
    page.close()
    return context


@pytest.mark.parametrize("role", list(ROLES))
def test_every_link_form_and_download_works_for_each_role(
    browser: Browser,  # noqa: F811
    site: LiveSite,
    role: str,
) -> None:
    context = _signed_in(browser, site, ROLES[role])
    on_map, hazard_pages = click_map(context, site)
    found = crawl(context, site.url, hazard_pages)
    found.problems += on_map
    context.close()
    print(found.summary(role))
    print(
        "  page weights (KB): "
        + ", ".join(f"{k} {v / 1e3:,.0f}" for k, v in sorted(found.weights.items()))
    )
    assert found.problems == [], "\n".join(found.problems)
    assert len(found.pages) >= 5 and found.downloads
    assert any("/hazards/" in p for p in found.pages)


@pytest.fixture
def public_read() -> Iterator[None]:
    """IMS_PUBLIC_READ on, for the live server too (it runs in this process)."""
    settings = get_settings()
    before = settings.public_read
    settings.public_read = True
    yield
    settings.public_read = before


@pytest.mark.parametrize("public", [False, True], ids=["private", "public read"])
def test_strangers_follow_only_links_that_work(
    browser: Browser,  # noqa: F811
    site: LiveSite,
    public: bool,
    request: pytest.FixtureRequest,
) -> None:
    if public:
        request.getfixturevalue("public_read")
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    on_map, hazard_pages = click_map(context, site) if public else ([], ())
    found = crawl(context, site.url, hazard_pages)
    found.problems += on_map
    context.close()
    print(found.summary("anonymous" + (" (public read)" if public else "")))
    assert found.problems == [], "\n".join(found.problems)
    visited = {urlsplit(p).path for p in found.pages}
    if public:
        assert {"/", "/map", "/reports"} <= visited
    else:
        # and what the API's error types mean (linked from its documentation): no data
        documented = {v for v in visited if v == "/problems" or v.startswith("/problems/")}
        assert visited - documented <= {"/login", "/api/v1/docs"}, visited


def test_a_page_at_390_px_fits_the_screen(browser: Browser, site: LiveSite) -> None:  # noqa: F811
    context = _signed_in(browser, site, "ui-admin")
    context.close()
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        storage_state=_state(browser, site),
    )
    page = context.new_page()
    page.route(
        "**/__tests__/axe.js",
        lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"),
    )
    lat, lon = site.hazard_at
    paths = [
        "/",
        "/map",
        "/reports",
        "/submissions",
        f"/submissions/{site.broken_submission}",
        "/submissions/dictionary",
        f"/hazards/{site.hazard}",
        "/account",
        "/admin/users",
        "/admin/audit",
        "/admin/reference",
        # the OGC API's pages: a relation that is a URL overflowed by 20 px (a review as a
        # GIS officer)
        "/ogc",
        "/ogc/collections",
        "/ogc/collections/hazards",
        "/ogc/collections/releases",
        "/ogc/collections/hazards/items",
        f"/ogc/collections/hazards/items/{site.hazard}",
    ]
    wide = []
    for path in paths:
        open_settled(page, site.url + path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > 390:
            wide.append(f"{path}: {width} px")
        # a table wider than the phone scrolls in its box, which the keyboard reaches:
        # fourteen pages' boxes did not take the focus (a keyboard user's review)
        wide += [f"axe on {path} at 390 px: {v}" for v in run_axe(page, site.url)]
        if path == "/reports":  # and the Article 7 report as a page, which the reports link
            # to: its tables had widened the whole page to 878 px (a crawl as each role)
            document = page.get_attribute("a[href*='article7'][href*='format=html']", "href")
            assert document, "the reports page links no HTML report"
            paths.append(document.removeprefix(site.url))
        if path == "/":  # a chart wider than the phone opens on its latest years
            ends = page.eval_on_selector_all(
                ".chart-scroll",
                "boxes => boxes.map(b => [b.scrollWidth > b.clientWidth,"
                " b.querySelector('svg').getBoundingClientRect().right"
                " - b.getBoundingClientRect().right])",
            )
            assert ends and all(wider and abs(gap) <= 1 for wider, gap in ends), ends
            # and its scale is in sight there (it was on the left alone, scrolled away)
            scales = page.eval_on_selector_all(
                ".chart-scroll",
                "boxes => boxes.map(b => { const box = b.getBoundingClientRect();"
                " return [...b.querySelectorAll('text.scale-right')].some(t => {"
                " const r = t.getBoundingClientRect();"
                " return r.left >= box.left && r.right <= box.right; }); })",
            )
            assert scales and all(scales), scales
        name = re.sub(r"[^\w.-]", "_", path.strip("/").replace("/", "-") or "dashboard")
        page.screenshot(path=str(ARTIFACTS / f"mobile-{name}.png"), full_page=True)
        viewport = page.eval_on_selector("meta[name=viewport]", "m => m.content")
        assert "width=device-width" in viewport, path
        assert "maximum-scale" not in viewport and "user-scalable" not in viewport
    page.goto(f"{site.url}/map#12/{lat}/{lon}")
    page.wait_for_selector("#map[data-shown]", state="attached", timeout=20_000)
    assert page.locator("details.legend[open]").count() == 0  # folded on a phone
    page.screenshot(path=str(ARTIFACTS / "mobile-map-legend-folded.png"))
    context.close()
    assert wide == [], wide


def _state(browser: Browser, site: LiveSite) -> Any:  # noqa: F811
    context = _signed_in(browser, site, "ui-admin")
    state = context.storage_state()
    context.close()
    return state


def test_the_query_of_a_url_keeps_its_order() -> None:
    # kind_of and is_download read URLs the way the crawler meets them.
    assert kind_of("http://x/hazards/VTE/2021/001") == "/hazards/*"
    assert kind_of("http://x/submissions/12?page=2") == "/submissions/*"
    assert kind_of("http://x/problems/not-found") == kind_of("http://x/problems/gone")
    assert is_download("http://x/api/v1/reports/article7?" + urlencode({"format": "pdf"}))
    assert not is_download("http://x/api/v1/docs")


def test_back_after_signing_out_shows_no_page_read_before(
    browser: Browser,  # noqa: F811
    site: LiveSite,
) -> None:
    """On a shared computer, Back after "Sign out" had shown the pages read before from the
    browser's cache: no page may be stored (a downloaded file neither)."""
    context = _signed_in(browser, site, ROLES["viewer"])
    page = context.new_page()
    hazard = f"{site.url}/hazards?open=true"
    answer = open_settled(page, hazard)
    assert answer is not None and answer.headers["cache-control"] == "no-store"
    page.click("form[action='/logout'] button")
    page.wait_for_url("**/login**")
    page.go_back(wait_until="networkidle")
    assert "/login" in page.url, f"Back showed {page.url} after signing out"
    assert page.locator("#username").count() == 1
    context.close()
