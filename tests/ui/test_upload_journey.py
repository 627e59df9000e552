"""The upload journey in Chromium: an operator uploads a file in their own words, matches
it to the template with a constant and a value map, sees the findings, fixes the file and
uploads it again replacing the first; a reviewer approves the second after confirming.

Screenshots at 1366 and 390 px, as the operator and the reviewer, go to tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import httpx
import pytest
from playwright.sync_api import Browser, Request, Route, expect
from shapely.geometry import Polygon, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from ims.db import accounts
from ims.domain.enums import Role
from ims.ingest import field_maps, submissions
from ims.ingest.approval import APPROVAL_LOCK
from tests.ingest.test_submissions import hazard_frame, write_zip
from tests.ui.conftest import PASSWORD, LiveSite, open_settled
from tests.ui.test_browser import Watched, browser, sign_in

__all__ = ["browser"]  # the module's browser fixture, shared

WIDTHS = {"wide": 1366, "narrow": 390}
# a bow-tie: the self-intersecting polygon the operator fixes
BOWTIE = Polygon([(103.90, 18.90), (103.902, 18.902), (103.902, 18.90), (103.90, 18.902)])


def operators_file(folder: Path, name: str, *, fixed: bool, blank_contam: bool = False) -> Path:
    """Three hazards named and typed the operator's way; the third a bow-tie unless fixed;
    with a column ``contam`` left blank if asked."""
    third = box(103.90, 18.90, 103.902, 18.902) if fixed else BOWTIE
    frame = gpd.GeoDataFrame(
        {
            "HAZ_REF": ["JRN-001", "JRN-002", "JRN-003"],
            "TypeArea": ["Suspected Minefield", "Confirmed Minefield", "Suspected Minefield"],
            "Village": ["ບ້ານນາ", "Ban Phon", "Ban Done"],
            **({"contam": [None, None, None]} if blank_contam else {}),
        },
        geometry=[box(103.80, 18.90, 103.802, 18.902), box(103.85, 18.90, 103.852, 18.902), third],
        crs=4326,
    )
    return write_zip(frame, folder, name, crs=32648)


def without_aborted(tab: Watched, path: str) -> list[str]:
    """The tab's errors but the request to ``path`` its reload aborted (which must be
    among them: the request was cut, the job it started went on)."""
    aborted = [e for e in tab.errors if e.startswith("failed: ") and path in e]
    assert len(aborted) == 1, tab.errors
    # a poll of the job's progress still in flight when the page reloaded, or when it went
    # on to the review, is cut as well (under load in CI, one was); so are the tiles of the
    # review's map still loading then (under load in CI, thirty were)
    polls = [
        e
        for e in tab.errors
        if e.startswith("failed: ") and ("/api/v1/progress/" in e or "/api/v1/tiles/" in e)
    ]
    return [e for e in tab.errors if e not in aborted and e not in polls]


def sent_for_checking(request: Request) -> bool:
    return request.method == "POST" and request.url.endswith("/api/v1/submissions")


def watched(browser: Browser, site: LiveSite, user: str, width: int) -> Watched:
    context = browser.new_context(viewport={"width": width, "height": 900})
    tab = Watched(context.new_page())
    sign_in(tab.page, site, user)
    return tab


@pytest.fixture
def operator(browser: Browser, site: LiveSite) -> Iterator[Watched]:
    tab = watched(browser, site, "ui-operator", WIDTHS["wide"])
    yield tab
    tab.page.context.close()


def choose_and_match(tab: Watched, path: Path, *, first: bool | None) -> None:
    """Choose the file, read its columns, and match them (the first time by hand)."""
    page = tab.page
    page.set_input_files("#file", str(path))
    page.click("#inspect")
    page.wait_for_selector("#mapping-step:not([hidden])")
    # the usual names are recognised: HAZ_REF is the reference, TypeArea the status
    assert page.input_value("#map-hazard_id") == "HAZ_REF"
    assert page.input_value("#map-status") == "TypeArea"
    if first:
        # MAG's mapping remembered from its own files (the demo's) does not fit this one:
        # shown, not used, and forgotten here
        assert "does not fit" in page.inner_text("#remembered-fit")
        page.click("#forget")
        page.wait_for_selector("#remembered[hidden]", state="attached")
        page.fill("#const-contam", "APM")
        page.fill("#const-recorded", "2021-03-04")
        status_map = 'fieldset[data-field="status"]'
        # values that read as no status are marked until one is chosen for them
        unknown = f"{status_map} .row.unknown label"
        marked = page.locator(unknown).all_inner_texts()
        assert sorted(marked) == ["Confirmed Minefield", "Suspected Minefield"]
        page.select_option(f'{status_map} select[data-source="Suspected Minefield"]', "SHA")
        page.select_option(f'{status_map} select[data-source="Confirmed Minefield"]', "CHA")
        assert page.locator(unknown).count() == 0
    elif first is False:  # remembered from the first upload, and shown
        assert page.locator("#remembered").is_visible()
        assert "Suspected Minefield" in page.inner_text("#remembered-text")
        assert page.input_value("#const-contam") == "APM"
        assert page.input_value("#const-recorded") == "2021-03-04"


def test_upload_match_fix_replace_and_approve_with_confirmation(
    browser: Browser, operator: Watched, site: LiveSite, tmp_path: Path
) -> None:
    page = operator.page
    open_settled(page, f"{site.url}/submissions")
    page.click("#new-upload")
    page.wait_for_url(re.compile(r"/submissions/new"))
    assert page.input_value("#organisation") == "MAG"  # fixed to the operator's own
    choose_and_match(operator, operators_file(tmp_path, "first", fixed=False), first=True)
    operator.shoot("upload-mapping-operator-1366")
    with page.expect_request(sent_for_checking) as request:
        page.click("#send")
    # the server kept the file it read for the columns: only its token crosses again
    body = request.value.post_data_buffer or b""
    assert b'name="held"' in body and b'name="file"' not in body
    page.wait_for_url(re.compile(r"/submissions/\d+$"), timeout=60_000)
    page.wait_for_load_state("networkidle")  # its map's tiles (leaving aborts them)
    first = int(page.url.rsplit("/", 1)[1])
    # the findings: the bow-tie is an error beside its feature, and approval is blocked
    page.wait_for_selector("#features .feature-findings .error")
    assert "invalid_geometry" in page.inner_text("#features")
    operator.shoot("review-with-errors-operator-1366")

    page.click("#replace-link")  # fix the file and upload it again, replacing the first
    page.wait_for_url(re.compile(rf"/submissions/new\?kind=hazards&replaces={first}"))
    assert page.input_value("#replaces") == str(first)
    # a submission of the other kind is not offered to be replaced
    page.select_option("#kind", "releases")
    assert page.input_value("#replaces") == ""
    assert page.locator(f'#replaces option[value="{first}"]').is_disabled()
    # ...and said so, with what to do with the first (it had been cleared without a word)
    dropped = page.locator("#replaces-dropped")
    assert dropped.is_visible() and dropped.inner_text().startswith(
        f"Submission {first} was sent as hazards: a file of releases cannot replace it."
    )
    page.select_option("#kind", "hazards")
    page.select_option("#replaces", str(first))
    assert dropped.is_hidden()
    choose_and_match(operator, operators_file(tmp_path, "fixed", fixed=True), first=False)
    # the held copy is gone by the time it is sent (an hour later, a restart): the page
    # sends the file itself
    bodies: list[bytes] = []

    def gone_once(route: Route) -> None:
        bodies.append(route.request.post_data_buffer or b"")
        if len(bodies) == 1:
            route.fulfill(
                status=410,
                content_type="application/problem+json",
                body='{"status": 410, "title": "Gone", "detail": "no longer held"}',
            )
        else:
            route.continue_()

    page.route(re.compile(r"/api/v1/submissions$"), gone_once)
    page.click("#send")
    page.wait_for_url(re.compile(r"/submissions/\d+$"), timeout=60_000)
    page.wait_for_load_state("networkidle")  # its map's tiles (leaving aborts them)
    second = int(page.url.rsplit("/", 1)[1])
    assert second != first
    page.unroute(re.compile(r"/api/v1/submissions$"))
    assert len(bodies) == 2
    assert b'name="held"' in bodies[0] and b'name="file"' not in bodies[0]
    assert b'name="held"' not in bodies[1] and b'filename="fixed.zip"' in bodies[1]
    answered = [e for e in operator.errors if "410" in e]  # the answer faked above, logged
    assert answered and len(answered) <= 2
    operator.errors[:] = [e for e in operator.errors if e not in answered]
    assert page.get_attribute("#replaces a", "href") == f"/submissions/{first}"
    assert page.locator("#features .feature-findings .error").count() == 0
    open_settled(page, f"{site.url}/submissions/{first}")
    assert page.inner_text("#status") == "superseded"
    assert page.get_attribute("#replaced-by a", "href") == f"/submissions/{second}"
    assert operator.errors == []

    with site.engine.connect() as conn:
        recorded = conn.execute(
            text(
                "SELECT clean->>'status', clean->>'contam', clean->>'recorded' "
                "FROM submission_feature WHERE submission_id = :s ORDER BY row_number"
            ),
            {"s": second},
        ).all()
    assert [tuple(r) for r in recorded] == [
        ("SHA", "APM", "2021-03-04"),
        ("CHA", "APM", "2021-03-04"),
        ("SHA", "APM", "2021-03-04"),
    ]

    reviewer = watched(browser, site, "ui-reviewer", WIDTHS["wide"])
    try:
        rpage = reviewer.page
        open_settled(rpage, f"{site.url}/submissions/{second}")
        assert "3 new hazards recorded" in rpage.inner_text("#preview-summary")
        # the review map's legend (eight rows) would hide half of its 460 px: folded until asked
        legend = rpage.locator("#review-map details.legend")
        assert legend.get_attribute("open") is None
        legend.locator("summary").click()
        assert legend.get_attribute("open") == ""
        assert legend.get_by_text("Feature with an error").is_visible()
        legend.locator("summary").click()
        reviewer.shoot("review-preview-reviewer-1366")
        # keyboard: from the top of the content, Approve comes before the map
        rpage.focus("#approve")
        rpage.keyboard.press("Enter")
        rpage.wait_for_selector("#confirm-approve[open]")
        assert "3 new hazards" in rpage.inner_text("#confirm-text")
        reviewer.shoot("review-confirm-reviewer-1366")
        rpage.click("#confirm-yes")
        rpage.wait_for_selector("#outcome:has-text('approved')", timeout=60_000)
        assert rpage.inner_text("#status") == "approved"
        assert reviewer.errors == []
    finally:
        reviewer.page.context.close()


@pytest.mark.parametrize("user", ["ui-operator", "ui-reviewer"])
def test_upload_and_review_pages_fit_a_phone(
    browser: Browser, site: LiveSite, user: str, tmp_path: Path
) -> None:
    tab = watched(browser, site, user, WIDTHS["narrow"])
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        if user == "ui-reviewer":
            page.select_option("#organisation", "MAG")
        phone = operators_file(tmp_path, "phone", fixed=True, blank_contam=True)
        choose_and_match(tab, phone, first=None)
        tab.shoot(f"upload-mapping-{user}-390")
        # a value map for each coded column with values: status, not the blank contam
        page.select_option("#map-contam", "contam")
        maps = page.locator("fieldset.value-map")
        assert [maps.nth(i).get_attribute("data-field") for i in range(maps.count())] == ["status"]
        # a field every feature needs, left unmatched: said before anything is sent
        page.select_option("#map-hazard_id", "")
        posted: list[str] = []
        page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
        page.click("#send")
        expect(page.locator("#upload-error")).to_have_text(
            "hazard_id is required: choose the column of the file that holds it, or give one "
            "value for every feature."
        )
        assert page.evaluate("document.activeElement.id") == "map-hazard_id"
        # beside the field too, tied to it, and in sight (it had been below the buttons
        # alone, off the screen: a keyboard user's review)
        expect(page.locator("#unmatched-hazard_id")).to_contain_text("hazard_id is required")
        assert page.get_attribute("#map-hazard_id", "aria-invalid") == "true"
        described = page.get_attribute("#map-hazard_id", "aria-describedby") or ""
        assert "unmatched-hazard_id" in described.split()
        assert page.locator("#unmatched-hazard_id").is_visible()
        tab.shoot(f"upload-unmatched-{user}-390")
        assert posted == []
        page.select_option("#map-hazard_id", "HAZ_REF")
        # the page scrolls down, not sideways: wide tables scroll in their own box
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["narrow"] + 1
        # and the mapping is a card per field: its constant and samples on the screen too
        for field in ("#const-hazard_id", "#samples-hazard_id", "#map-status"):
            box = page.locator(field).bounding_box()
            assert box is not None and box["x"] + box["width"] <= WIDTHS["narrow"], field
        open_settled(page, f"{site.url}/submissions/{site.clean_submission}")
        tab.shoot(f"review-{user}-390")
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["narrow"] + 1
        assert tab.errors == []
    finally:
        tab.page.context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_an_approval_shows_the_servers_steps_while_it_waits_and_runs(
    browser: Browser, site: LiveSite, width: int, tmp_path: Path
) -> None:
    y = 18.6 if width > 1000 else 18.65  # apart from the other width's
    frame = hazard_frame(
        [{"hazard_id": f"STEP-{width}-{n}"} for n in range(3)],
        [box(103.6 + n / 100, y, 103.602 + n / 100, y + 0.002) for n in range(3)],
    )
    path = write_zip(frame, tmp_path, "steps", crs=32648)
    with Session(site.engine) as session, session.begin():
        staged = submissions.stage(
            session, path, kind="hazards", organisation="MAG", uploaded_by="ui-operator"
        )
        assert staged.errors == 0
        sid = staged.submission.id
    reviewer = watched(browser, site, "ui-reviewer", width)
    # another approval (ims import on the server, say) holds the lock while this one starts
    holder = site.engine.connect()
    try:
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
        page = reviewer.page
        open_settled(page, f"{site.url}/submissions/{sid}")
        page.click("#approve")
        page.click("#confirm-yes")
        page.wait_for_selector(
            "#approving-step:has-text('Waiting for another approval to finish')", timeout=30_000
        )
        assert page.is_visible("#approving progress")
        assert page.inner_text("#outcome") == f"Approving submission {sid}…"
        assert page.is_disabled("#approve") and page.is_disabled("#reject")
        assert page.is_disabled("#noted")  # nothing else changes it meanwhile
        # the seconds it has waited, counted
        expect(page.locator("#approving-time")).to_have_text(re.compile(r"([2-9]|\d\d+) s"))
        reviewer.shoot(f"review-approving-reviewer-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        holder.rollback()  # the other approval ends: this one goes on
        page.wait_for_selector("#outcome:has-text('approved')", timeout=60_000)
        said = page.inner_text("#outcome")
        assert re.fullmatch(rf"Submission {sid}: approved \(in \d+ s\)\.", said), said
        assert page.is_hidden("#approving")
        assert page.inner_text("#status") == "approved"
        # the page as it now is: each feature links to the hazard it recorded (they had
        # been unlinked until a reload: a walk-through as a field team leader)
        assert page.locator("#features td.recorded a[href^='/hazards/']").count() >= 1
        assert reviewer.errors == []
    finally:
        holder.close()
        reviewer.page.context.close()


def test_a_review_page_reloaded_while_its_approval_runs_shows_it_and_then_its_outcome(
    browser: Browser, site: LiveSite, tmp_path: Path
) -> None:
    frame = hazard_frame(
        [{"hazard_id": f"RELOAD-{n}"} for n in range(2)],
        [box(103.7 + n / 100, 18.7, 103.702 + n / 100, 18.702) for n in range(2)],
    )
    with Session(site.engine) as session, session.begin():
        sid = submissions.stage(
            session,
            write_zip(frame, tmp_path, "reload", crs=32648),
            kind="hazards",
            organisation="MAG",
            uploaded_by="ui-operator",
        ).submission.id
    reviewer = watched(browser, site, "ui-reviewer", WIDTHS["wide"])
    holder = site.engine.connect()  # another approval holds the lock meanwhile
    try:
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPROVAL_LOCK})
        page = reviewer.page
        open_settled(page, f"{site.url}/submissions/{sid}")
        page.click("#approve")
        page.click("#confirm-yes")
        waiting = "#approving-step:has-text('Waiting for another approval to finish')"
        page.wait_for_selector(waiting, timeout=30_000)
        expect(page.locator("#approving-time")).to_have_text(re.compile(r"([2-9]|\d\d+) s"))
        page.reload(wait_until="domcontentloaded")  # the approval goes on in the server
        page.wait_for_selector(waiting, timeout=30_000)
        # the seconds since the approval started, not since the page was loaded again
        expect(page.locator("#approving-time")).to_have_text(
            re.compile(r"([3-9]|\d\d+) s"), timeout=2_500
        )
        assert page.inner_text("#outcome") == f"Approving submission {sid}…"
        assert page.is_disabled("#approve") and page.is_disabled("#reject")
        reviewer.shoot("review-reloaded-while-approving-reviewer-1366")
        with page.expect_navigation(timeout=60_000):  # read again once it has ended
            holder.rollback()
        page.wait_for_selector("#status:has-text('approved')")
        assert page.is_hidden("#approving")
        # nothing is left to resume: the next visit is an ordinary one
        page.reload(wait_until="networkidle")
        assert page.is_hidden("#approving")
        assert without_aborted(reviewer, f"/api/v1/submissions/{sid}/approve?progress=") == []
    finally:
        holder.close()
        reviewer.page.context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_an_upload_page_reloaded_while_its_file_is_checked_follows_it_to_its_review(
    browser: Browser, site: LiveSite, width: int, tmp_path: Path
) -> None:
    tab = watched(browser, site, "ui-operator", width)
    holder = site.engine.connect()
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        choose_and_match(tab, operators_file(tmp_path, f"reload-{width}", fixed=True), first=None)
        # storing the checked features waits for this lock, as behind a long transaction
        holder.execute(text("LOCK TABLE submission_feature IN EXCLUSIVE MODE"))
        page.click("#send")
        page.wait_for_selector(
            "#progress-text:has-text('Storing the features for review')", timeout=30_000
        )
        page.reload(wait_until="domcontentloaded")
        assert page.is_hidden("#mapping-step")
        assert page.inner_text("#earlier-label") == f"Checking reload-{width}.zip"
        page.wait_for_selector(
            "#earlier-text:has-text('Storing the features for review')", timeout=30_000
        )
        expect(page.locator("#earlier-time")).to_have_text(re.compile(r"\d+ s"))
        tab.shoot(f"upload-reloaded-while-checking-operator-{width}")
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        with page.expect_navigation(url=re.compile(r"/submissions/\d+$"), timeout=60_000):
            holder.rollback()
        page.wait_for_load_state("networkidle")
        assert page.inner_text("#status") == "awaiting review"  # its checks done, errors or not
        assert without_aborted(tab, "/api/v1/submissions") == []
    finally:
        holder.close()
        tab.page.context.close()


def test_another_file_chosen_after_a_reload_is_not_thrown_away_when_the_first_is_checked(
    browser: Browser, site: LiveSite, tmp_path: Path
) -> None:
    tab = watched(browser, site, "ui-operator", WIDTHS["wide"])
    holder = site.engine.connect()
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        choose_and_match(tab, operators_file(tmp_path, "first-of-two", fixed=True), first=None)
        holder.execute(text("LOCK TABLE submission_feature IN EXCLUSIVE MODE"))
        page.click("#send")
        page.wait_for_selector(
            "#progress-text:has-text('Storing the features for review')", timeout=30_000
        )
        page.reload(wait_until="domcontentloaded")
        page.wait_for_selector("#earlier-job:not([hidden])")
        # the form is free meanwhile: the next file is chosen; its columns are read once the
        # first is checked (one person's files take one worker at a time: helper-130), as
        # the button says, and the page stays with it
        page.set_input_files("#file", str(operators_file(tmp_path, "second-of-two", fixed=True)))
        page.click("#inspect")
        expect(page.locator("#inspect")).to_have_text(
            "Reading the file once your earlier file is checked…"
        )
        tab.shoot("upload-another-file-waits-for-the-first-operator-1366")
        holder.rollback()  # the first file's checks end
        page.wait_for_selector("#mapping-step:not([hidden])")
        link = page.locator("#earlier-review")
        expect(link).to_be_visible(timeout=30_000)
        assert "first-of-two.zip is checked" in page.inner_text("#earlier-text")
        assert page.url.endswith("/submissions/new")  # still here, the second file with it
        assert page.is_visible("#mapping-step")
        assert page.input_value("#map-hazard_id") == "HAZ_REF"
        assert re.fullmatch(r"/submissions/\d+", link.get_attribute("href") or "")
        tab.shoot("upload-reloaded-then-another-file-operator-1366")
        assert without_aborted(tab, "/api/v1/submissions") == []
    finally:
        holder.close()
        tab.page.context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_file_with_the_day_first_is_read_as_its_dates_show(
    browser: Browser, site: LiveSite, width: int, tmp_path: Path
) -> None:
    """A legacy file's dates written 31/03/2024 had every feature refused, with no way in
    the page to say how the file writes them. The mapping step says it ("Dates in the
    file"), chosen for the user where a date shows it (a day over 12)."""
    tab = watched(browser, site, "ui-reviewer", width)
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        # an organisation of its own a width: the mapping sent is remembered for it
        organisation = "HI" if width == WIDTHS["wide"] else "HALO Trust"
        page.select_option("#organisation", organisation)
        frame = gpd.GeoDataFrame(
            {
                "hazard_id": [f"DMY-{width}-1", f"DMY-{width}-2"],
                "status": ["SHA", "CHA"],
                "contam": ["APM", "APM"],
                "Found": ["02/03/2021", "31/03/2021"],
            },
            geometry=[box(103.80, 18.95, 103.802, 18.952), box(103.85, 18.95, 103.852, 18.952)],
            crs=4326,
        )
        path = tmp_path / "legacy.geojson"
        frame.to_file(path, driver="GeoJSON")
        page.set_input_files("#file", str(path))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        page.select_option("#map-recorded", "Found")
        assert page.input_value("#dates") == "day-first"
        assert "chosen from the file's dates" in page.inner_text("#dates-note")
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        tab.shoot(f"upload-dates-reviewer-{width}")
        page.click("#send")
        page.wait_for_url(re.compile(r"/submissions/\d+$"), timeout=60_000)
        page.wait_for_load_state("networkidle")
        staged = int(page.url.rsplit("/", 1)[1])
        assert page.locator("#features .feature-findings .error").count() == 0
        with site.engine.connect() as conn:
            read = conn.execute(
                text(
                    "SELECT clean->>'recorded' FROM submission_feature "
                    "WHERE submission_id = :s ORDER BY row_number"
                ),
                {"s": staged},
            ).scalars()
            assert list(read) == ["2021-03-02", "2021-03-31"]
            kept = conn.execute(
                text(
                    "SELECT m.mapping->>'dates' FROM field_mapping m "
                    "JOIN organisation o ON o.id = m.organisation_id WHERE o.name = :o"
                ),
                {"o": organisation},
            ).scalar_one()
        assert kept == "day-first"
        assert tab.errors == []
    finally:
        tab.page.context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_an_operator_withdraws_a_trial_upload_from_its_page(
    browser: Browser, site: LiveSite, width: int, tmp_path: Path
) -> None:
    """An operator's trial or mistaken upload waited for a reviewer to reject it: its page
    offered no way to set it aside (a walk-through as an operator's data manager)."""
    frame = hazard_frame([{"hazard_id": f"WD-{width}"}], [box(103.75, 18.75, 103.752, 18.752)])
    with Session(site.engine) as session, session.begin():
        sid = submissions.stage(
            session,
            write_zip(frame, tmp_path, "trial", crs=32648),
            kind="hazards",
            organisation="MAG",
            uploaded_by="ui-operator",
            own_records=True,  # an operator's upload, as the upload page sends it
        ).submission.id
    tab = watched(browser, site, "ui-operator", width)
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/{sid}")
        assert page.locator("#withdraw").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        tab.shoot(f"submission-withdraw-operator-{width}")
        page.fill("#withdraw-reason", "a trial upload")
        page.click("#withdraw button[type=submit]")  # not sent: "yes, withdraw it" unticked
        assert page.evaluate("document.querySelector('#withdraw-sure').validity.valueMissing")
        assert page.url.endswith(f"/submissions/{sid}") and page.locator("#withdraw").count()
        page.check("#withdraw-sure")
        page.click("#withdraw button[type=submit]")
        page.wait_for_url(re.compile(rf"/submissions/{sid}$"))
        page.wait_for_load_state("networkidle")
        expect(page.locator("#status")).to_have_text("withdrawn")
        assert "Withdrawn by ui-operator: a trial upload" in page.inner_text("main")
        assert "Rejected" not in page.inner_text("main")
        tab.shoot(f"submission-withdrawn-operator-{width}")
        assert page.locator("#withdraw").count() == 0
        assert page.locator("#replace-link").count() == 0
        assert tab.errors == []
    finally:
        tab.page.context.close()


def test_a_file_in_the_templates_names_is_not_told_of_a_mapping_it_does_not_need(
    operator: Watched, site: LiveSite, tmp_path: Path
) -> None:
    """MAG's remembered mapping (of its own columns) does not fit a file that names its
    fields as the template does; the page had said so on every such upload ("which this
    file does not fit … not used"), with a button to forget it, which a new user's review
    read as something wrong with the file. It needs no mapping: nothing is said."""
    page = operator.page
    open_settled(page, f"{site.url}/submissions/new")
    frame = hazard_frame(
        [{"hazard_id": "TPL-001"}, {"hazard_id": "TPL-002"}],
        [box(103.80, 18.97, 103.802, 18.972), box(103.85, 18.97, 103.852, 18.972)],
    )
    path = tmp_path / "template.geojson"
    frame.to_file(path, driver="GeoJSON")
    page.set_input_files("#file", str(path))
    with page.expect_response(lambda r: r.url.endswith("/api/v1/submissions/inspect")) as read:
        page.click("#inspect")
    remembered = read.value.json()["remembered"]
    assert remembered is not None and remembered["fits"] is False  # there is one, unfit
    page.wait_for_selector("#mapping-step:not([hidden])")
    assert page.input_value("#map-hazard_id") == "hazard_id"
    assert page.locator("#remembered").is_hidden()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_file_of_several_layers_asks_which_one_and_sends_it(
    browser: Browser, site: LiveSite, width: int, tmp_path: Path
) -> None:
    """A GeoPackage of two layers was refused with "choose one by its name (e.g. --layer
    NAME)", and the page had no way to choose (a review as a data manager)."""
    path = tmp_path / "survey.gpkg"
    for name, x in (("north", 103.80), ("south", 103.85)):
        gpd.GeoDataFrame(
            {
                "hazard_id": [f"LYR-{width}-{name}"],
                "status": ["SHA"],
                "contam": ["APM"],
                "recorded": ["2021-03-04"],
            },
            geometry=[box(x, 18.97, x + 0.002, 18.972)],
            crs=4326,
        ).to_file(path, layer=name, driver="GPKG")
    tab = watched(browser, site, "ui-operator", width)
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        assert not page.locator("#layer").is_visible()
        page.set_input_files("#file", str(path))
        page.click("#inspect")
        expect(page.locator("#layer")).to_be_visible()
        expect(page.locator("#layer")).to_be_focused()
        assert page.locator("#layer option").all_inner_texts() == ["— choose —", "north", "south"]
        assert "holds 2 layers: choose the one to upload" in page.inner_text("#layer-error")
        assert page.locator("#mapping-step").is_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        tab.shoot(f"upload-layers-operator-{width}")
        page.select_option("#layer", "south")
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert "layer south" in page.inner_text("#file-summary")
        page.click("#send")
        page.wait_for_url(re.compile(r"/submissions/\d+$"), timeout=60_000)
        page.wait_for_load_state("networkidle")
        assert f"LYR-{width}-south" in page.inner_text("#features")
        assert f"LYR-{width}-north" not in page.inner_text("#features")
        # a 400 answered the first read (the network line and the console's); nothing else
        unexpected = [e for e in tab.errors if "400" not in e or "/submissions/inspect" not in e]
        assert unexpected == [] and len(tab.errors) <= 2, tab.errors
    finally:
        tab.page.context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_file_in_metres_that_declares_no_crs_asks_which_it_is(
    browser: Browser, site: LiveSite, width: int, tmp_path: Path
) -> None:
    """A UTM shapefile sent without its .prj: the page had left the choice at EPSG:4326,
    and every feature became an error "out of range after reprojection" (a first-time
    user's review). It now says the coordinates are metres and asks which CRS; the one
    chosen is offered for the organisation's next such file (helper-105 chose it again for
    every workbook)."""
    tab = watched(browser, site, "ui-operator", width)
    forget = (
        "fetch('/api/v1/submissions/mappings/hazards', {method: 'DELETE', headers: "
        "{'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content}})"
        ".then((r) => r.text().then(() => r.status))"
    )
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        assert page.evaluate(forget) == 200  # as the organisation's first such file
        # in its own names, which a mapping matches to the template's (the CRS is kept
        # with the mapping)
        frame = hazard_frame(
            [{"HAZ_REF": f"UTM-{width}-1", "contam": "APM"}],
            [box(103.80, 18.95, 103.802, 18.952)],
        )
        path = write_zip(frame, tmp_path, f"utm{width}", crs=32648, keep_prj=False)
        page.set_input_files("#file", str(path))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert page.locator("#crs-row").is_visible()
        assert "too large for longitude and latitude" in page.inner_text("#crs-note")
        assert page.input_value("#crs") == ""  # not left at EPSG:4326
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        tab.shoot(f"upload-no-prj-operator-{width}")
        page.click("#send")  # not chosen: asked at the choice, nothing sent
        expect(page.locator("#crs-note")).to_contain_text("choose the coordinate reference")
        assert "/submissions/new" in page.url
        # "another EPSG code…" with none typed: asked for it there, nothing sent (it had
        # been sent as no choice at all: a keyboard user's review)
        page.select_option("#crs", "other")
        page.click("#send")
        expect(page.locator("#crs-note")).to_contain_text("type the EPSG code")
        assert page.evaluate("document.activeElement.id") == "crs-other"
        assert "/submissions/new" in page.url
        page.fill("#crs-other", "EPSG:32648")
        page.click("#send")
        page.wait_for_url(re.compile(r"/submissions/\d+$"), timeout=60_000)
        page.wait_for_load_state("networkidle")
        assert page.locator("#features .feature-findings .error").count() == 0
        assert "EPSG:32648" in page.inner_text("main")
        # the organisation's next file declaring none: the zone is offered, and said
        open_settled(page, f"{site.url}/submissions/new")
        following = write_zip(
            frame.assign(hazard_id=f"UTM-{width}-2"),
            tmp_path,
            f"utm{width}b",
            crs=32648,
            keep_prj=False,
        )
        page.set_input_files("#file", str(following))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert page.input_value("#crs") == "EPSG:32648"
        assert "EPSG:32648, as chosen for the organisation's files before" in page.inner_text(
            "#crs-note"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        tab.shoot(f"upload-remembered-crs-operator-{width}")
        assert page.evaluate(forget) == 200
        assert tab.errors == []
    finally:
        tab.page.context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_releases_file_chosen_as_hazards_is_said_so_and_read_again_as_releases(
    browser: Browser, site: LiveSite, width: int, tmp_path: Path
) -> None:
    """The mapping step had matched a releases file to the hazards' template without a
    word: only the upload's findings said, afterwards, that it looked like releases (a new
    user's review). The step says so, and reads it again as releases at one click."""
    frame = gpd.GeoDataFrame(
        {
            "hazard_id": ["NONE-1"],
            "release_id": [f"KIND-{width}"],
            "method": ["cleared"],
            "released": ["2021-05-01"],
        },
        geometry=[box(103.80, 18.95, 103.802, 18.952)],
        crs=4326,
    )
    path = write_zip(frame, tmp_path, f"kind{width}")
    tab = watched(browser, site, "ui-operator", width)
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new?kind=hazards")
        page.set_input_files("#file", str(path))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        said = page.locator("#other-kind")
        expect(said).to_be_visible()
        assert page.inner_text("#other-kind-text") == (
            "This looks like a file of releases: it has release_id, method, released, "
            "which a file of hazards does not."
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        tab.shoot(f"upload-other-kind-operator-{width}")
        page.click("#other-kind-switch")
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert said.is_hidden()
        assert page.input_value("#kind") == "releases"
        assert page.locator("#split-row").is_visible()  # the releases' own choice
        rows = page.locator("#mapping tbody tr").all_inner_texts()
        assert any("release_id" in r for r in rows), rows
        assert tab.errors == []
    finally:
        tab.page.context.close()


def test_the_very_file_already_awaiting_review_is_said_before_it_is_sent_again(
    browser: Browser, site: LiveSite, tmp_path: Path
) -> None:
    """A retried upload made five copies awaiting review (a new user's review): reading the
    same file's columns again names the submission that holds it, and offers to send it as
    that one's replacement instead of a copy."""
    frame = hazard_frame(
        [{"hazard_id": "TWICE-1", "contam": "APM"}], [box(103.80, 18.95, 103.802, 18.952)]
    )
    path = write_zip(frame, tmp_path, "twice")
    sent = httpx.post(
        f"{site.url}/api/v1/submissions",
        files={"file": (path.name, path.read_bytes(), "application/zip")},
        data={"kind": "hazards"},
        headers={"Authorization": f"Bearer {site.operator_token}"},
        timeout=60,
    )
    assert sent.status_code == 201, sent.text
    first = sent.json()["id"]
    tab = watched(browser, site, "ui-operator", WIDTHS["narrow"])
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new?kind=hazards")
        page.set_input_files("#file", str(path))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        said = page.locator("#awaiting")
        expect(said).to_be_visible()
        assert f"already awaits review as submission {first}" in page.inner_text("#awaiting-text")
        assert page.get_attribute("#awaiting-link", "href") == f"/submissions/{first}"
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["narrow"] + 1
        tab.shoot("upload-awaiting-390")
        page.click("#awaiting-replace")
        assert page.input_value("#replaces") == str(first) and said.is_hidden()
        assert tab.errors == []
    finally:
        tab.page.context.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_crs_remembered_alone_is_offered_and_forgotten_on_the_page(
    browser: Browser, site: LiveSite, width: int, tmp_path: Path
) -> None:
    """The UTM zone chosen for a file in the template's names is remembered alone (no
    mapping): the next such file is read in it, and the page had no way to forget it
    but the command line's, with every mapping of the organisation. It is forgotten
    beside the choice it fills in."""
    frame = hazard_frame([{"hazard_id": f"ZONE-{width}-1"}], [box(103.80, 18.97, 103.802, 18.972)])
    first = write_zip(frame, tmp_path, "first", crs=32648, keep_prj=False)
    again = write_zip(
        frame.assign(hazard_id=[f"ZONE-{width}-2"]), tmp_path, "again", crs=32648, keep_prj=False
    )
    tab = watched(browser, site, "ui-operator", width)
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        page.set_input_files("#file", str(first))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert page.locator("#forget-crs").is_hidden()  # nothing remembered yet
        page.select_option("#crs", "EPSG:32648")
        page.click("#send")
        page.wait_for_url(re.compile(r"/submissions/\d+$"), timeout=60_000)
        page.wait_for_load_state("networkidle")  # the review's map, not cut by the next page
        open_settled(page, f"{site.url}/submissions/new")
        page.set_input_files("#file", str(again))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert page.input_value("#crs") == "EPSG:32648"
        assert "as chosen for the organisation's files before" in page.inner_text("#crs-note")
        expect(page.locator("#forget-crs")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        tab.shoot(f"upload-crs-remembered-operator-{width}")
        with page.expect_response(lambda r: "/api/v1/submissions/mappings/" in r.url) as gone:
            page.click("#forget-crs")
        assert gone.value.status == 200
        expect(page.locator("#forget-crs")).to_be_hidden()
        assert "EPSG:32648, remembered for the organisation's files, is forgotten" in (
            page.inner_text("#crs-note")
        )
        assert page.input_value("#crs") == ""  # to be chosen, as the note says
        tab.shoot(f"upload-crs-forgotten-operator-{width}")
        # read again: nothing is remembered now
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert "as chosen for" not in page.inner_text("#crs-note")
        assert tab.errors == []
    finally:
        tab.page.context.close()


@pytest.mark.parametrize(
    ("width", "organisation"), [(1366, "HALO Trust"), (390, "HI")], ids=WIDTHS.keys()
)
def test_a_mappings_crs_offered_for_a_file_it_does_not_read_is_forgotten_on_the_page(
    browser: Browser, site: LiveSite, width: int, organisation: str, tmp_path: Path
) -> None:
    """Where none is kept alone, a file in the template's names is offered the CRS of the
    organisation's latest mapping: it had been offered with no way to forget it but
    forgetting the mapping (helper-119). Forgotten here, it is no longer offered for such
    files, and the mapping is kept."""
    user = f"ui-crs-{width}"
    with Session(site.engine) as session, session.begin():
        accounts.create_user(
            session, user, Role.OPERATOR, organisation=organisation, password=PASSWORD, by="t"
        )
        org = submissions.organisation_named(session, organisation, uploading=False)
        assert org is not None
        mapping = field_maps.MappingDocument(fields={"hazard_id": "HAZ_REF"}, crs="EPSG:32648")
        assert field_maps.remember_mapping(session, org, "hazards", mapping)
    frame = hazard_frame([{"hazard_id": f"OFFER-{width}"}], [box(103.80, 18.97, 103.802, 18.972)])
    path = write_zip(frame, tmp_path, "plain", crs=32648, keep_prj=False)
    tab = watched(browser, site, user, width)
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        page.set_input_files("#file", str(path))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert page.input_value("#crs") == "EPSG:32648"
        expect(page.locator("#forget-crs")).to_have_text("Forget EPSG:32648")
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        tab.shoot(f"upload-crs-offered-{width}")
        with page.expect_response(lambda r: "/api/v1/submissions/mappings/" in r.url) as gone:
            page.click("#forget-crs")
        assert gone.value.status == 200
        expect(page.locator("#crs-note")).to_contain_text(
            "EPSG:32648, the organisation's remembered mapping's, is no longer offered"
        )
        assert page.input_value("#crs") == "" and page.locator("#forget-crs").is_hidden()
        tab.shoot(f"upload-crs-offered-forgotten-{width}")
        page.click("#inspect")  # read again: nothing is offered now
        page.wait_for_selector("#mapping-step:not([hidden])")
        assert "as chosen for" not in page.inner_text("#crs-note")
        assert page.locator("#forget-crs").is_hidden()
        assert tab.errors == []
    finally:
        tab.page.context.close()
    with Session(site.engine) as session:
        org = submissions.organisation_named(session, organisation, uploading=False)
        # (other tests may have remembered the organisation's other layouts)
        [kept] = [
            m
            for m in field_maps.list_mappings(session, org)
            if m.mapping.fields == {"hazard_id": "HAZ_REF"}
        ]
        assert kept.mapping.crs == "EPSG:32648"


def test_forget_on_a_page_read_before_another_changed_the_crs_forgets_nothing(
    browser: Browser, site: LiveSite, tmp_path: Path
) -> None:
    """A page that shows "Forget EPSG:32648" while another page has since chosen EPSG:23948
    for such files: clicked, it had forgotten EPSG:23948, unshown (left alone by the last
    session's review). Nothing is forgotten, and the page says which is offered now."""
    with Session(site.engine) as session, session.begin():
        accounts.create_user(
            session, "ui-crs-stale", Role.OPERATOR, organisation="NPA", password=PASSWORD, by="t"
        )
        org = submissions.organisation_named(session, "NPA", uploading=False)
        assert org is not None
        mapping = field_maps.MappingDocument(fields={"hazard_id": "NPA_REF"}, crs="EPSG:32648")
        assert field_maps.remember_mapping(session, org, "hazards", mapping)
    frame = hazard_frame([{"hazard_id": "STALE-UI"}], [box(103.80, 18.97, 103.802, 18.972)])
    path = write_zip(frame, tmp_path, "plain", crs=32648, keep_prj=False)
    tab = watched(browser, site, "ui-crs-stale", WIDTHS["wide"])
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        page.set_input_files("#file", str(path))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        expect(page.locator("#forget-crs")).to_have_text("Forget EPSG:32648")
        with Session(site.engine) as session, session.begin():  # another page, meanwhile
            org = submissions.organisation_named(session, "NPA", uploading=False)
            assert org is not None
            alone = field_maps.MappingDocument(crs="EPSG:23948")
            assert field_maps.remember_mapping(session, org, "hazards", alone)
        with page.expect_response(lambda r: "/api/v1/submissions/mappings/" in r.url) as gone:
            page.click("#forget-crs")
        assert gone.value.status == 409
        said = page.locator("#crs-note")  # beside the button
        expect(said).to_contain_text("EPSG:23948 is offered now")
        expect(said).to_contain_text("not EPSG:32648, which this page showed")
        tab.shoot("upload-crs-forget-stale-1366")
        assert [e for e in tab.errors if "/api/v1/submissions/mappings/" not in e] == []
    finally:
        tab.page.context.close()
    with Session(site.engine) as session:
        org = submissions.organisation_named(session, "NPA", uploading=False)
        crss = sorted(m.mapping.crs or "" for m in field_maps.list_mappings(session, org))
        assert crss == ["EPSG:23948", "EPSG:32648"]  # both kept


def test_a_crs_kept_with_a_mapping_of_no_columns_is_forgotten_as_the_organisations(
    browser: Browser, site: LiveSite, tmp_path: Path
) -> None:
    """A CRS kept with a date order alone (a mapping that reads no column, which every file
    fits) is offered and forgotten as the organisation's: the note had said it was no
    longer offered "for files it does not read", and that mapping reads every file
    (helper-122). The mapping keeps its date order."""
    with Session(site.engine) as session, session.begin():
        accounts.create_user(
            session,
            "ui-crs-dated",
            Role.OPERATOR,
            organisation="UXO Lao",
            password=PASSWORD,
            by="t",
        )
        org = submissions.organisation_named(session, "UXO Lao", uploading=False)
        assert org is not None
        dated = field_maps.MappingDocument(dates="day-first", crs="EPSG:32648")
        assert field_maps.remember_mapping(session, org, "hazards", dated)
    frame = hazard_frame([{"hazard_id": "DATED-UI"}], [box(103.80, 18.97, 103.802, 18.972)])
    path = write_zip(frame, tmp_path, "plain", crs=32648, keep_prj=False)
    tab = watched(browser, site, "ui-crs-dated", WIDTHS["wide"])
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        page.set_input_files("#file", str(path))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        expect(page.locator("#forget-crs")).to_have_text("Forget EPSG:32648")
        with page.expect_response(lambda r: "/api/v1/submissions/mappings/" in r.url) as gone:
            page.click("#forget-crs")
        assert gone.value.status == 200
        expect(page.locator("#crs-note")).to_contain_text(
            "EPSG:32648, remembered for the organisation's files, is forgotten"
        )
        assert tab.errors == []
    finally:
        tab.page.context.close()
    with Session(site.engine) as session:
        org = submissions.organisation_named(session, "UXO Lao", uploading=False)
        [kept] = [m for m in field_maps.list_mappings(session, org) if m.mapping.dates]
        assert kept.mapping.crs is None


def test_another_file_starts_from_the_pages_own_crs_not_the_one_chosen_before(
    browser: Browser, site: LiveSite, tmp_path: Path
) -> None:
    """A CRS chosen for one file (here typed: EPSG:32631) had stayed chosen when another
    file, of which nothing is remembered, was read after "choose another file"; sent, it
    would have been read in that zone (helper-119); and the box left marked invalid for the
    file before (helper-120)."""
    frame = hazard_frame([{"hazard_id": "BACK-1"}], [box(103.80, 18.97, 103.802, 18.972)])
    metres = write_zip(frame, tmp_path, "metres", crs=32648, keep_prj=False)
    degrees = write_zip(frame, tmp_path, "degrees", keep_prj=False)
    tab = watched(browser, site, "ui-operator", WIDTHS["wide"])
    try:
        page = tab.page
        open_settled(page, f"{site.url}/submissions/new")
        page.set_input_files("#file", str(metres))
        page.click("#inspect")
        page.wait_for_selector("#mapping-step:not([hidden])")
        page.select_option("#crs", "other")
        page.click("#send")  # nothing typed: the box is marked invalid
        assert page.get_attribute("#crs-other", "aria-invalid") == "true"
        page.fill("#crs-other", "EPSG:32631")
        page.click("#back")
        page.set_input_files("#file", str(degrees))
        page.click("#inspect")
        expect(page.locator("#file-summary")).to_contain_text("degrees.zip")
        assert page.input_value("#crs") != "other"
        assert page.locator("#crs-other").is_hidden()
        assert page.input_value("#crs-other") == ""
        # nor is the box, chosen for this file, said to be invalid before anything is typed
        page.select_option("#crs", "other")
        assert page.get_attribute("#crs-other", "aria-invalid") is None
        assert tab.errors == []
    finally:
        tab.page.context.close()
