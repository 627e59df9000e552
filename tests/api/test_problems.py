"""Problem types: each error's ``type`` is a page of this server that says what it means.

It had named https://ims.example/problems/…, a placeholder no national server can reach
(a first-time user's review).
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import ims
from ims.api.errors import PROBLEM_BASE, problem_types
from ims.errors import ImsError, slug_of
from tests.utils import session_app


def _every_error_class() -> set[type[ImsError]]:
    for module in pkgutil.walk_packages(ims.__path__, "ims."):
        importlib.import_module(module.name)
    found: set[type[ImsError]] = set()
    pending = [ImsError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found.add(cls)
    return found - {ImsError}


def test_every_error_ims_raises_has_a_problem_type_described() -> None:
    described = {t.slug: t for t in problem_types()}
    for cls in _every_error_class():
        slug = slug_of(cls)
        assert slug in described, cls
        assert described[slug].title == cls.title and described[slug].status == cls.status_code
        assert described[slug].meaning, f"{cls.__name__} has no docstring to say what it means"


def test_an_errors_type_is_a_page_here_that_says_what_it_means(session: Session) -> None:
    client = TestClient(session_app(session))  # not signed in: the page holds no data
    refused = client.get("/api/v1/hazards/NOWHERE")
    assert refused.status_code == 401
    kind = refused.json()["type"]
    assert kind == PROBLEM_BASE + "not-authenticated" and kind.startswith("/problems/")
    page = client.get(kind)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    chosen = re.search(
        r'<section class="notice" id="problem-chosen">(.*?)</section>', page.text, re.S
    )
    assert chosen and "Sign-in required" in chosen.group(1) and "HTTP 401" in chosen.group(1)
    listing = client.get("/problems")
    assert listing.status_code == 200
    slugs = re.findall(r'<tr id="([a-z-]+)"', listing.text)
    assert slugs == [t.slug for t in problem_types()] and "invalid-request" in slugs
    unknown = client.get("/problems/no-such-thing")
    assert unknown.status_code == 404 and "no-such-thing" in unknown.text


def test_an_unknown_route_says_so_rather_than_repeating_its_title(session: Session) -> None:
    client = TestClient(session_app(session))
    got = client.get("/api/v1/nowhere")
    assert got.status_code == 404
    body = got.json()
    assert body["type"] == "/problems/http-error" and body["title"] == "Not Found"
    assert body["detail"] == "there is no route at /api/v1/nowhere (the routes: /api/v1/docs)"
    wrong = client.delete("/api/v1/health")
    assert wrong.status_code == 405 and "no DELETE at /api/v1/health" in wrong.json()["detail"]
