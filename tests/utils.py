"""Helpers the tests share (the fixtures are in conftest.py, which tests do not import).

Clients of the app are signed in with API tokens: ``authorise`` makes a user of a role and
sends its token with every request; ``client_as`` (a fixture in conftest.py) gives such
clients on the test's rolled-back session.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Protocol

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.types import ASGIApp

from ims.api.deps import get_session
from ims.app import create_app
from ims.config import get_settings
from ims.db import accounts
from ims.jobs import InlineJobs

REPO_ROOT = Path(__file__).resolve().parents[1]


class ClientAs(Protocol):
    """The ``client_as`` fixture: ``client_as("reviewer")`` is a client signed in as a reviewer."""

    def __call__(self, role: str = "admin", *, organisation: str | None = None) -> TestClient:
        """A client of the test's app, sending the token of a new user of ``role``."""
        ...


def authorise(
    client: TestClient, session: Session, role: str = "admin", organisation: str | None = None
) -> str:
    """Make a user of ``role`` with an API token and send it with every request of ``client``.

    Returns the user name. The user lives in ``session`` (commit it for a committed engine).
    """
    if role == "operator" and organisation is None:
        organisation = "Test operator"
    name = f"test-{role}-{secrets.token_hex(3)}"
    accounts.create_user(session, name, role, organisation=organisation, by="tests")
    _, secret = accounts.create_token(session, name, "tests", by="tests")
    client.headers["Authorization"] = f"Bearer {secret}"
    return name


def signed_in(
    app: ASGIApp,
    session: Session,
    role: str = "admin",
    *,
    organisation: str | None = None,
    **options: Any,
) -> TestClient:
    """A client of ``app`` (TestClient ``options``) signed in as a new user of ``role``."""
    client = TestClient(app, **options)
    authorise(client, session, role, organisation)
    return client


def session_app(session: Session) -> FastAPI:
    """The app with every request on ``session`` (the test's rolled-back transaction).

    Uploads and approvals run in that session too (a worker process could not see it).
    """
    app = create_app(session.get_bind(), jobs=InlineJobs())  # type: ignore[arg-type]
    app.dependency_overrides[get_session] = lambda: session
    return app


def point_cli_at(monkeypatch: pytest.MonkeyPatch, app: str, owner: str) -> None:
    """Make ``ims`` use a test database: the application's and the owner's logins."""
    monkeypatch.setenv("IMS_DATABASE_URL", app)
    if owner != app:
        monkeypatch.setenv("IMS_ADMIN_DATABASE_URL", owner)
    get_settings.cache_clear()
