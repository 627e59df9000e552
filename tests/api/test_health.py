"""``/api/v1/health`` reports the database, and errors are problem+json."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from ims.api.main import create_app


def test_health_reports_postgis_and_schema_revision(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
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


def test_unknown_route_is_problem_json(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_openapi_is_served_under_api_v1(engine: Engine) -> None:
    client = TestClient(create_app(engine))
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "ims"
