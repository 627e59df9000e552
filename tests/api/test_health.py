"""``/api/v1/health`` reports the database, and errors are problem+json."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ims.app import create_app
from ims.db import accounts
from ims.domain.enums import Role


def test_health_reports_postgis_and_schema_revision_to_signed_in_users_only(
    committed_engine: Engine,
) -> None:
    client = TestClient(create_app(committed_engine))
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}  # no versions for anyone who asks
    with Session(committed_engine) as s, s.begin():
        accounts.create_user(s, "health-viewer", Role.VIEWER, by="tests")
        token = accounts.create_token(s, "health-viewer", "tests", by="tests")[1]
    body = client.get("/api/v1/health", headers={"Authorization": f"Bearer {token}"}).json()
    assert body["status"] == "ok"
    assert body["postgis"].startswith("3.")
    assert body["schema_revision"] != "none"


def test_health_answers_503_problem_json_when_the_database_is_down() -> None:
    dead = create_engine("postgresql+psycopg://nobody@/nowhere?host=/nonexistent-socket-dir")
    client = TestClient(create_app(dead))
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Database unavailable"
    assert "Traceback" not in response.text


def test_health_answers_503_with_the_reason_when_a_running_database_goes_down(
    committed_engine: Engine,
    committed_database: str,
    test_server,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    # Issue 13, item 12: a bare 500 while the database was down. The app has been used
    # (its pool holds connections); then the database refuses connections and every
    # session is ended, as when a server stops.
    client = TestClient(create_app(committed_engine))
    with Session(committed_engine) as session, session.begin():
        secret = accounts.create_token(
            session,
            accounts.create_user(session, "mon", Role.ADMIN, by="t").username,
            "t",
            by="t",
        )[1]
    assert client.get("/api/v1/health").status_code == 200
    name = make_url(committed_database).database
    admin = create_engine(test_server.admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                {"d": name},
            )
        for headers in (
            {},
            {"Authorization": f"Bearer {secret}"},
            {"Cookie": "ims_session=a-signed-in-browser"},
        ):
            response = client.get("/api/v1/health", headers=headers)
            assert response.status_code == 503, (headers, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            body = response.json()
            assert body["title"] == "Database unavailable"
            assert body["detail"].startswith("cannot reach the database: ")
            assert len(body["detail"]) > len("cannot reach the database: ")
            # the driver's reason (its socket's path, its host) is for the server's log
            assert "socket" not in body["detail"] and name not in body["detail"]
        # and any other route that needs the database says the same
        assert (
            client.get(
                "/api/v1/reports/article7?year=2024", headers={"Authorization": f"Bearer {secret}"}
            ).status_code
            == 503
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_health_answers_503_when_no_server_listens_on_the_socket(tmp_path: Path) -> None:
    silent = create_engine(f"postgresql+psycopg://ims_app@/ims?host={tmp_path}")
    client = TestClient(create_app(silent))
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "cannot reach the database" in response.json()["detail"]
    # Nobody is told where the database listens (a walk-through as an administrator
    # found the socket's path in the answers to anyone, and on the sign-in page).
    for answer in (response, client.post("/login", data={"username": "a", "password": "b"})):
        assert str(tmp_path) not in answer.text and "socket" not in answer.text


def test_unknown_route_is_problem_json(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_openapi_is_served_under_api_v1(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "ims"
