"""Hostile input across the API: schemathesis generates requests from the OpenAPI schema.

A bounded run (up to 20 cases per operation, so the suite stays fast): whatever comes in,
no response is a server error, and every error is problem+json without a stack trace.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ims.app import create_app
from ims.db import accounts
from ims.domain.enums import Role

CASES_PER_OPERATION = 20


def test_no_generated_request_gets_a_server_error_or_a_stack_trace(
    committed_engine: Engine,
) -> None:
    # Each request gets its own session and commits, as in production; as an admin, so every
    # operation is reached (tests/api/test_permissions.py covers the other roles).
    with Session(committed_engine) as session, session.begin():
        accounts.create_user(session, "fuzz-admin", Role.ADMIN, by="tests")
        _, secret = accounts.create_token(session, "fuzz-admin", "schemathesis", by="tests")
    headers = {"Authorization": f"Bearer {secret}"}
    app = create_app(committed_engine)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    calls: list[int] = []

    def check(case: Any) -> None:
        response = case.call(headers=headers)
        calls.append(response.status_code)
        where = f"{case.method} {case.formatted_path} -> {response.status_code}"
        body = bytes(response.content)
        assert response.status_code < 500, f"{where}: {body[:300]!r}"
        assert b"Traceback" not in body, where
        if response.status_code >= 400:
            content_type = response.headers.get("content-type", [""])
            content_type = content_type[0] if isinstance(content_type, list) else content_type
            assert content_type.startswith("application/problem+json"), f"{where}: {content_type}"

    for operation in operations:
        run = settings(
            max_examples=CASES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(given(case=operation.as_strategy())(check))
        run()
    print(f"schemathesis: {len(operations)} operations, {len(calls)} cases, 0 failures")
