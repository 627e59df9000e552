"""A request's statements are bounded in time in ``ims serve`` (IMS_REQUEST_TIMEOUT_S).

The review page's filters once ran for ten minutes in the database after the browser had
given up; whatever a request asks, the server stops it and says so.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from starlette.requests import Request

from ims.app import create_app
from ims.config import get_settings
from ims.db.session import bound_statements, make_engine


def test_a_statement_past_the_limit_is_stopped_and_answered_504_saying_which_setting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    bounded = bound_statements(make_engine(engine.url.render_as_string(hide_password=False)), 0.2)
    try:
        with bounded.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "200ms"
            with pytest.raises(DBAPIError) as stopped:
                conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        bounded.dispose()
    monkeypatch.setattr(get_settings(), "request_timeout_s", 0.2)
    app = create_app(engine)
    handler = app.exception_handlers[DBAPIError]
    scope = {"type": "http", "method": "GET", "path": "/api/v1/hazards", "headers": [], "app": app}
    request = Request(scope)
    answer = asyncio.run(handler(request, stopped.value))  # type: ignore[arg-type]
    assert answer.status_code == 504
    body = json.loads(answer.body)
    assert body["title"] == "Took too long"
    assert "IMS_REQUEST_TIMEOUT_S" in body["detail"] and "nothing was changed" in body["detail"]
