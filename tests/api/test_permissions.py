"""The permission table, checked against the app's own route list.

Every route must have a rule, and every role (and an anonymous caller) is sent to every
route: allowed → 2xx (or a redirect), denied → 403, anonymous → 401 or the sign-in page.
The requests are real ones on a small programme, so "allowed" means the route worked.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import MultiPolygon, box, mapping
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from ims.api.deps import get_session
from ims.api.permissions import PERMISSIONS, routes_of
from ims.app import create_app
from ims.config import get_settings
from ims.db import accounts
from ims.db.models import Submission
from ims.db.recording import (
    load_boundaries,
    record_hazards,
    record_outside_releases,
    record_releases,
)
from ims.domain.enums import HazardStatus, ReleaseMethod, Role
from ims.domain.records import BoundaryFeature, NewHazard, NewOutsideRelease, NewRelease
from ims.ingest import approval, submissions
from ims.jobs import InlineJobs
from tests.api.test_uploads_api import LAOS, good_zip
from tests.ingest.test_submissions import hazard_frame, write_zip

PASSWORD = "correct horse battery"
ORG = "Test operator"


@dataclass
class World:
    """The programme the requests act on, and a token per role."""

    app: Any
    tokens: dict[Role, str]
    users: dict[Role, str]
    zip_path: Path
    hazard: str
    own_submission: int  # the operator's organisation's, clean
    to_reject: int
    target_user: str  # changed by change_user
    to_withdraw: tuple[int, int] = (0, 0)  # by the API, and by the page's form
    releases_files: tuple[int, int] = (0, 0)  # approved, their releases withdrawn: API, form


def _hazards_zip(folder: Path, reference: str) -> Path:
    frame = hazard_frame([{"hazard_id": reference}], [box(103.4, 19.4, 103.405, 19.405)])
    return write_zip(frame, folder, reference, crs=32648)


@pytest.fixture
def world(engine: Engine, session: Session, tmp_path: Path) -> World:
    load_boundaries(
        session, [BoundaryFeature("LA-XI", "Xiangkhouang", MultiPolygon([LAOS]))], level=1
    )
    zip_path = good_zip(tmp_path)
    applied = submissions.stage(session, zip_path, kind="hazards", organisation=ORG)
    approval.approve(session, applied.submission.id, by="tests")
    own = submissions.stage(
        session, _hazards_zip(tmp_path, "P-OWN"), kind="hazards", organisation=ORG
    ).submission.id
    to_reject = submissions.stage(
        session, _hazards_zip(tmp_path, "P-REJ"), kind="hazards", organisation=ORG
    ).submission.id
    # sent by one of the organisation's operators: a withdrawal is the sender's act, not
    # that of an operator of the organisation the authority sent a file for
    api_withdraws, form_withdraws = (
        submissions.stage(
            session,
            _hazards_zip(tmp_path, reference),
            kind="hazards",
            organisation=ORG,
            uploaded_by="p-sender",
            own_records=True,
        ).submission.id
        for reference in ("P-WD1", "P-WD2")
    )
    record_outside_releases(
        session,
        [
            NewOutsideRelease(
                ref,
                ReleaseMethod.CLEARED,
                dt.date(2021, 1, 1),
                box(104.0 + k / 100, 20.0, 104.001 + k / 100, 20.001),  # apart: each its own
            )
            # made into hazards (1, 2); withdrawn (4 by the API, 5 by the page's form)
            for k, ref in enumerate(("OUT-1", "OUT-2", "OUT-3", "OUT-4", "OUT-5"))
        ],
    )
    # two releases of API-1: what withdrawing the first would change, the second withdrawn
    record_releases(
        session,
        [
            NewRelease(
                ref, "API-1", ReleaseMethod.CLEARED, dt.date(2021, 1, 1), box(*corner, 19.401)
            )
            for ref, corner in (
                ("REL-P1", (103.2, 19.4, 103.201)),
                ("REL-P2", (103.202, 19.4, 103.203)),
            )
        ],
    )
    # two approved files of releases of API-1, whose releases are withdrawn together
    files = []
    for ref, corner in (("REL-F1", (103.204, 19.4, 103.205)), ("REL-F2", (103.206, 19.4, 103.207))):
        file = Submission(
            kind="releases", filename=f"{ref}.gpkg", sha256="0" * 64, size_bytes=1,
            status="approved",
        )  # fmt: skip
        session.add(file)
        session.flush()
        shape = box(*corner, 19.401)
        record_releases(
            session,
            [NewRelease(ref, "API-1", ReleaseMethod.CLEARED, dt.date(2021, 2, 1), shape)],
            submission_id=file.id,
        )
        files.append(file.id)
    # two hazards with no release: what withdrawing the first would change, the second withdrawn
    record_hazards(
        session,
        [
            NewHazard(ref, HazardStatus.SHA, box(*corner, 19.301), dt.date(2020, 1, 1))
            for ref, corner in (
                ("HAZ-P1", (103.2, 19.3, 103.201)),
                ("HAZ-P2", (103.202, 19.3, 103.203)),
            )
        ],
    )
    tokens, users = {}, {}
    for role in Role:
        name = f"perm-{role.value}"
        accounts.create_user(
            session,
            name,
            role,
            organisation=ORG if role is Role.OPERATOR else None,
            password=PASSWORD,
            by="tests",
        )
        tokens[role] = accounts.create_token(session, name, "tests", by="tests")[1]
        users[role] = name
    accounts.create_user(session, "perm-target", Role.VIEWER, by="tests")
    # requests use the test's session (uploads and approvals too); the health check the engine
    app = create_app(engine, jobs=InlineJobs())
    app.dependency_overrides[get_session] = lambda: session
    return World(
        app,
        tokens,
        users,
        zip_path,
        "API-1",
        own,
        to_reject,
        "perm-target",
        (api_withdraws, form_withdraws),
        (files[0], files[1]),
    )


Call = Callable[[TestClient, World], httpx.Response]


def _login(client: TestClient, world: World) -> httpx.Response:
    form = client.get("/login").text
    token = re.search(r'class="login".*?name="csrf_token" value="([^"]+)"', form, re.S)
    assert token, form
    return client.post(
        "/login",
        data={
            "username": world.users[Role.ADMIN],
            "password": PASSWORD,
            "csrf_token": token.group(1),
        },
        follow_redirects=False,
    )


def _upload(client: TestClient, world: World, path: str = "/api/v1/submissions") -> httpx.Response:
    with world.zip_path.open("rb") as fh:
        return client.post(
            path,
            files={"file": (world.zip_path.name, fh)},
            data={"kind": "hazards"},
        )


def _followed(client: TestClient, world: World) -> httpx.Response:
    """An upload followed under a token of the caller's, then its steps read."""
    token = secrets.token_hex(16)
    with world.zip_path.open("rb") as fh:
        client.post(
            "/api/v1/submissions",
            files={"file": (world.zip_path.name, fh)},
            data={"kind": "hazards", "progress": token},
        )
    return client.get(f"/api/v1/progress/{token}")


def _feature(geometry: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


_RECORD_BOX = mapping(box(103.6, 19.6, 103.601, 19.601))


# One real request per route name. A route added without a case here fails the test below.
REQUESTS: dict[str, Call] = {
    "openapi": lambda c, w: c.get("/api/v1/openapi.json"),
    "swagger_ui_html": lambda c, w: c.get("/api/v1/docs"),
    "static": lambda c, w: c.get("/static/ims.css"),
    "health": lambda c, w: c.get("/api/v1/health"),
    "who_am_i": lambda c, w: c.get("/api/v1/me"),
    "list_audit_events": lambda c, w: c.get("/api/v1/audit"),
    "get_article7": lambda c, w: c.get("/api/v1/reports/article7", params={"year": 2024}),
    "finalise_article7": lambda c, w: c.post(
        "/api/v1/reports/article7/finalise", params={"year": 2024}
    ),
    "finalise_report": lambda c, w: c.post(
        "/reports/finalise", data={"year": 2024}, follow_redirects=False
    ),
    "get_explanation": lambda c, w: c.get(
        "/api/v1/reports/article7/explain",
        params={"year": 2024, "admin": "TOTAL", "column": "total_area_m2"},
    ),
    "get_article4": lambda c, w: c.get(
        "/api/v1/reports/article4", params={"baseline": "2010-08-01", "as_of": "2024-12-31"}
    ),
    "get_progress": lambda c, w: c.get("/api/v1/reports/progress"),
    "get_marking": lambda c, w: c.get("/api/v1/reports/marking"),
    "get_priorities": lambda c, w: c.get("/api/v1/reports/priorities"),
    "get_workplan": lambda c, w: c.get("/api/v1/reports/workplan", params={"year": 2025}),
    "put_workplan": lambda c, w: c.put(
        "/api/v1/workplans/2026",
        json=[{"province": "LA-XI", "method": "cleared", "target_m2": 1000}],
    ),
    "create_submission": _upload,
    "read_progress": _followed,
    "read_submission": lambda c, w: c.get(f"/api/v1/submissions/{w.own_submission}"),
    "get_findings_file": lambda c, w: c.get(f"/api/v1/submissions/{w.own_submission}/findings.csv"),
    "approve_submission": lambda c, w: c.post(f"/api/v1/submissions/{w.own_submission}/approve"),
    "reject_submission": lambda c, w: c.post(
        f"/api/v1/submissions/{w.to_reject}/reject", json={"reason": "tests"}
    ),
    "favicon": lambda c, w: c.get("/favicon.ico"),
    "withdraw_submission": lambda c, w: c.post(
        f"/api/v1/submissions/{w.to_withdraw[0]}/withdraw", json={"reason": "tests"}
    ),
    "note_submission": lambda c, w: c.post(
        f"/api/v1/submissions/{w.own_submission}/note", json={"noted": False}
    ),
    "get_template": lambda c, w: c.get("/api/v1/templates/hazards.zip"),
    "get_field_form": lambda c, w: c.get("/api/v1/forms/releases.xlsx"),
    "list_outside_releases": lambda c, w: c.get("/api/v1/outside-releases"),
    "make_hazard_of_outside_release": lambda c, w: c.post(
        "/api/v1/outside-releases/OUT-1/hazard", json={"hazard_id": "RETRO-1"}
    ),
    "get_tile": lambda c, w: c.get("/api/v1/tiles/hazards/9/401/224.pbf"),
    "get_hazard": lambda c, w: c.get(f"/api/v1/hazards/{w.hazard}"),
    "get_submission_tile": lambda c, w: c.get(
        f"/api/v1/tiles/submissions/{w.own_submission}/9/401/224.pbf"
    ),
    "get_tile_style": lambda c, w: c.get("/api/v1/tiles/style.json"),
    "get_tilejson": lambda c, w: c.get("/api/v1/tiles/hazards.json"),
    "ogc_landing": lambda c, w: c.get("/ogc"),
    "ogc_conformance": lambda c, w: c.get("/ogc/conformance"),
    "ogc_api": lambda c, w: c.get("/ogc/api"),
    "ogc_collections": lambda c, w: c.get("/ogc/collections"),
    "ogc_collection": lambda c, w: c.get("/ogc/collections/hazards"),
    "ogc_schema": lambda c, w: c.get("/ogc/collections/hazards/schema"),
    "ogc_feature_schema": lambda c, w: c.get("/ogc/collections/hazards/feature-schema"),
    "ogc_queryables": lambda c, w: c.get("/ogc/collections/hazards/queryables"),
    "ogc_items": lambda c, w: c.get("/ogc/collections/hazards/items"),
    "ogc_item": lambda c, w: c.get(f"/ogc/collections/hazard_boundaries/items/{w.hazard}"),
    "ogc_landing_on": lambda c, w: c.get("/ogc/on/2020-12-31"),
    "ogc_conformance_on": lambda c, w: c.get("/ogc/on/2020-12-31/conformance"),
    "ogc_api_on": lambda c, w: c.get("/ogc/on/2020-12-31/api"),
    "ogc_collections_on": lambda c, w: c.get("/ogc/on/2020-12-31/collections"),
    "ogc_collection_on": lambda c, w: c.get("/ogc/on/2020-12-31/collections/hazards"),
    "ogc_schema_on": lambda c, w: c.get("/ogc/on/2020-12-31/collections/hazards/schema"),
    "ogc_feature_schema_on": lambda c, w: c.get(
        "/ogc/on/2020-12-31/collections/hazards/feature-schema"
    ),
    "ogc_queryables_on": lambda c, w: c.get("/ogc/on/2020-12-31/collections/hazards/queryables"),
    "ogc_items_on": lambda c, w: c.get("/ogc/on/2020-12-31/collections/hazards/items"),
    "ogc_item_on": lambda c, w: c.get(
        f"/ogc/on/{dt.date.today()}/collections/hazard_boundaries/items/{w.hazard}"
    ),
    "login_page": lambda c, w: c.get("/login"),
    "sign_out_page": lambda c, w: c.get("/logout", follow_redirects=False),
    "problem_types_page": lambda c, w: c.get("/problems"),
    "problem_type_page": lambda c, w: c.get("/problems/not-found"),
    "login": _login,
    "logout": lambda c, w: c.post("/logout", follow_redirects=False),
    "users_page": lambda c, w: c.get("/admin/users"),
    "add_user": lambda c, w: c.post(
        "/admin/users",
        data={"username": f"new-{secrets.token_hex(3)}", "role": "viewer", "password": PASSWORD},
    ),
    "change_user": lambda c, w: c.post(f"/admin/users/{w.target_user}", data={"action": "disable"}),
    "account_page": lambda c, w: c.get("/account"),
    "change_own_password": lambda c, w: c.post(
        "/account/password", data={"current": PASSWORD, "password": "x" * 12, "again": "x" * 12}
    ),
    "make_own_token": lambda c, w: c.post(
        "/account/tokens", data={"name": "QGIS", "days": "30", "current": PASSWORD}
    ),
    "revoke_own_token": lambda c, w: c.post("/account/tokens/999999/revoke"),
    "audit_page": lambda c, w: c.get("/admin/audit"),
    "reference_page": lambda c, w: c.get("/admin/reference"),
    "add_reference": lambda c, w: c.post(
        "/admin/reference",
        data={"list": "organisations", "name": f"Org {secrets.token_hex(3)}"},
    ),
    "list_munitions": lambda c, w: c.get("/api/v1/reference/munitions"),
    "add_munition": lambda c, w: c.post(
        "/api/v1/reference/munitions",
        json={"code": "M-42", "name": "test item", "category": "ERW", "is_cmr": False},
    ),
    "list_organisations": lambda c, w: c.get("/api/v1/reference/organisations"),
    "add_organisation": lambda c, w: c.post(
        "/api/v1/reference/organisations", json={"name": f"Org {secrets.token_hex(3)}"}
    ),
    "dashboard_page": lambda c, w: c.get("/", follow_redirects=False),
    "map_page": lambda c, w: c.get("/map", follow_redirects=False),
    "map_figures": lambda c, w: c.get("/map/figures", follow_redirects=False),
    "map_find": lambda c, w: c.get("/map/find?q=a", follow_redirects=False),
    "hazard_page": lambda c, w: c.get(f"/hazards/{w.hazard}", follow_redirects=False),
    "submissions_page": lambda c, w: c.get("/submissions", follow_redirects=False),
    "submission_page": lambda c, w: c.get(
        f"/submissions/{w.own_submission}", follow_redirects=False
    ),
    "withdraw_submission_form": lambda c, w: c.post(
        f"/submissions/{w.to_withdraw[1]}/withdraw",
        data={"reason": "tests", "sure": "yes"},
        follow_redirects=False,
    ),
    "reports_page": lambda c, w: c.get("/reports", follow_redirects=False),
    "outside_releases_page": lambda c, w: c.get("/releases/outside", follow_redirects=False),
    "record_hazard": lambda c, w: c.post(
        "/api/v1/hazards",
        json=_feature(
            _RECORD_BOX, hazard_id=f"R-{secrets.token_hex(3)}", status="SHA", recorded="2020-01-01"
        ),
    ),
    "revise_hazard": lambda c, w: c.post(
        f"/api/v1/hazards/{w.hazard}/revisions",
        json=_feature(None, revised="2022-01-01", status="CHA", reason="tests"),
    ),
    "record_release": lambda c, w: c.post(
        "/api/v1/releases",
        json=_feature(
            _RECORD_BOX,
            release_id=f"REL-{secrets.token_hex(3)}",
            method="cleared",
            released="2022-01-01",
        ),
    ),
    "preview_release": lambda c, w: c.post(
        f"/api/v1/hazards/{w.hazard}/releases/preview",
        json={"geometry": _RECORD_BOX, "released": "2022-01-01"},
    ),
    "read_polygon": lambda c, w: c.post(
        "/api/v1/polygons/read", json={"text": "103.4 19.4, 103.41 19.4, 103.41 19.41"}
    ),
    "new_hazard_page": lambda c, w: c.get("/hazards/new", follow_redirects=False),
    "record_hazard_page": lambda c, w: c.post(
        "/hazards/new",
        data={
            "hazard_id": f"RP-{secrets.token_hex(3)}",
            "status": "SHA",
            "recorded": "2020-01-01",
            "coordinates": "103.7 19.7, 103.701 19.7, 103.701 19.701, 103.7 19.701",
        },
        follow_redirects=False,
    ),
    "revise_hazard_page": lambda c, w: c.get(f"/hazards/{w.hazard}/revise", follow_redirects=False),
    "revise_hazard_form": lambda c, w: c.post(
        f"/hazards/{w.hazard}/revise",
        data={"status": "CHA", "revised": "2022-01-01", "reason": "tests"},
        follow_redirects=False,
    ),
    "new_release_page": lambda c, w: c.get(
        f"/hazards/{w.hazard}/releases/new", follow_redirects=False
    ),
    "record_release_page": lambda c, w: c.post(
        f"/hazards/{w.hazard}/releases/new",
        data={
            "released": "2022-01-01",
            "method": "cleared",
            "action": "preview",
            "coordinates": "POLYGON((103.2 19.4, 103.21 19.4, 103.21 19.41, 103.2 19.4))",
        },
        follow_redirects=False,
    ),
    "make_hazard_page": lambda c, w: c.post(
        "/releases/outside/OUT-2/hazard", data={"hazard_id": "RETRO-2"}, follow_redirects=False
    ),
    "inspect_submission": lambda c, w: _upload(c, w, "/api/v1/submissions/inspect"),
    "clear_mapping": lambda c, w: c.delete(
        "/api/v1/submissions/mappings/hazards", params={"organisation": ORG}
    ),
    "list_mappings": lambda c, w: c.get(
        "/api/v1/submissions/mappings/hazards", params={"organisation": ORG}
    ),
    "new_submission_page": lambda c, w: c.get("/submissions/new", follow_redirects=False),
    "data_dictionary_page": lambda c, w: c.get("/submissions/dictionary", follow_redirects=False),
    "guide_page": lambda c, w: c.get("/help/migration", follow_redirects=False),
    "list_hazards": lambda c, w: c.get("/api/v1/hazards"),
    "export_hazards": lambda c, w: c.get("/api/v1/hazards.csv"),
    "list_releases": lambda c, w: c.get("/api/v1/releases"),
    "export_releases": lambda c, w: c.get("/api/v1/releases.csv"),
    "get_withdrawal_effect": lambda c, w: c.get("/api/v1/releases/REL-P1/withdrawal"),
    "withdraw_release": lambda c, w: c.post(
        "/api/v1/releases/REL-P2/withdrawal", json={"reason": "sent twice"}
    ),
    "get_hazard_withdrawal_effect": lambda c, w: c.get("/api/v1/hazards/HAZ-P1/withdrawal"),
    "withdraw_hazard": lambda c, w: c.post(
        "/api/v1/hazards/HAZ-P2/withdrawal", json={"reason": "recorded twice"}
    ),
    "get_releases_withdrawal_effect": lambda c, w: c.get(
        f"/api/v1/submissions/{w.releases_files[0]}/releases-withdrawal"
    ),
    "withdraw_submission_releases": lambda c, w: c.post(
        f"/api/v1/submissions/{w.releases_files[0]}/releases-withdrawal",
        json={"reason": "approved in error"},
    ),
    "withdraw_releases_page": lambda c, w: c.get(
        f"/submissions/{w.releases_files[1]}/withdraw-releases", follow_redirects=False
    ),
    "withdraw_releases_form": lambda c, w: c.post(
        f"/submissions/{w.releases_files[1]}/withdraw-releases",
        data={"reason": "approved in error", "sure": "yes"},
        follow_redirects=False,
    ),
    "register_page": lambda c, w: c.get("/hazards", follow_redirects=False),
    "get_outside_withdrawal_effect": lambda c, w: c.get(
        "/api/v1/outside-releases/OUT-3/withdrawal"
    ),
    "withdraw_outside_release": lambda c, w: c.post(
        "/api/v1/outside-releases/OUT-4/withdrawal", json={"reason": "sent twice"}
    ),
    "withdraw_outside_page": lambda c, w: c.get(
        "/releases/outside/OUT-3/withdraw", follow_redirects=False
    ),
    "withdraw_outside_form": lambda c, w: c.post(
        "/releases/outside/OUT-5/withdraw",
        data={"reason": "sent twice", "sure": "yes"},
        follow_redirects=False,
    ),
}


def test_every_route_has_a_rule_and_a_case_and_no_rule_is_stale() -> None:
    # (an engine never connected: listing the routes needs no database, nor a cluster started)
    names = [r.name for r in routes_of(create_app(create_engine("postgresql+psycopg://")))]
    assert len(names) == len(set(names)), "route names must be unique: they key the table"
    assert sorted(set(names) - PERMISSIONS.keys()) == [], "routes without a permission rule"
    assert sorted(PERMISSIONS.keys() - set(names)) == [], "rules for routes that do not exist"
    assert sorted(set(names) - REQUESTS.keys()) == [], "routes this test does not exercise"


def _client(world: World, role: Role | None) -> TestClient:
    client = TestClient(world.app, follow_redirects=False)
    if role is not None:
        client.headers["Authorization"] = f"Bearer {world.tokens[role]}"
    return client


@pytest.mark.parametrize("role", [*Role, None], ids=[*(r.value for r in Role), "anonymous"])
def test_each_role_against_each_route(world: World, role: Role | None) -> None:
    problems = []
    for route in routes_of(world.app):
        rule = PERMISSIONS[route.name]
        response = REQUESTS[route.name](_client(world, role), world)
        status = response.status_code
        methods = ", ".join(sorted(route.methods))
        where = f"{route.name} ({methods} {route.path}) as {role}: {status}"
        if rule.allows(role) and rule.browser_only and role is not None:
            if status != 403:  # the callers here come with API tokens
                problems.append(f"{where}, expected 403 for an API token")
        elif rule.allows(role):
            if not 200 <= status < 400:
                problems.append(f"{where}, expected success: {response.text[:200]}")
        elif role is not None:
            if status != 403:
                problems.append(f"{where}, expected 403")
        elif route.path.startswith("/api/"):
            if status != 401 or not response.headers["content-type"].startswith(
                "application/problem+json"
            ):
                problems.append(f"{where}, expected a 401 problem+json")
        elif status == 303:
            # (signing out when no one is signed in: signed out, the sign-in page says so)
            to = "/login?signed_out=1" if route.path == "/logout" else "/login?next="
            if not response.headers["location"].startswith(to):
                problems.append(f"{where}, redirected elsewhere than the sign-in page")
        elif status != 401:
            problems.append(f"{where}, expected 401 or the sign-in page")
    assert problems == []


def test_public_read_lets_anonymous_callers_read_what_viewers_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMS_PUBLIC_READ", "true")
    get_settings.cache_clear()
    try:
        for name, call in REQUESTS.items():
            rule = PERMISSIONS[name]
            status = call(_client(world, None), world).status_code
            if rule.public or rule.readable:
                assert 200 <= status < 400, (name, status)
            else:
                assert status in (401, 303), (name, status)
    finally:
        get_settings.cache_clear()
