"""IMS_ALLOWED_HOSTS: the names, and the ports, a request's Host header may name."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ims.api.hosts import AllowedHost, AllowedHosts, parse_allowed, split_host
from ims.cli import app as cli
from ims.config import get_settings


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("ims.example.org", ("ims.example.org", None)),
        ("IMS.Example.org:8443", ("ims.example.org", 8443)),
        ("[::1]:8000", ("::1", 8000)),
        ("[::1]", ("::1", None)),
        ("localhost:", None),
        ("localhost:0", None),
        ("localhost:65536", None),
        ("localhost:８０", None),  # full-width digits are digits to str.isdigit
        (":8000", None),
        ("[::1", None),
        ("[::1]x", None),
        ("", None),
    ],
)
def test_a_host_header_is_read_as_a_name_and_a_port(
    value: str, parsed: tuple[str, int | None] | None
) -> None:
    assert split_host(value) == parsed


def _client(setting: str, port: int) -> TestClient:
    app = FastAPI()
    app.get("/", response_class=PlainTextResponse)(lambda: "here")
    app.add_middleware(AllowedHosts, allowed=parse_allowed(setting))
    # the port the server listens on reaches the app as the scope's "server"
    return TestClient(app, base_url=f"http://localhost:{port}")


@pytest.mark.parametrize(
    ("host", "answered"),
    [
        ("ims.example.org", True),
        ("ims.example.org:443", True),
        ("ims.example.org:80", True),
        ("ims.example.org:8000", True),  # the port ims listens on
        ("ims.example.org:1", False),  # links would name port 1 (an attack on our own instance)
        ("maps.example.org", True),
        ("example.org", False),
        ("maps.example.org:1", False),
        ("proxy.example.net:8443", True),
        ("proxy.example.net", False),  # listed with its port: that port only
        ("proxy.example.net:443", False),
        ("evil.example", False),
        ("ims.example.org.evil.example", False),
        ("", False),
    ],
)
def test_a_listed_name_is_answered_on_the_usual_ports_or_the_one_listed(
    host: str, answered: bool
) -> None:
    client = _client("ims.example.org, *.example.org, proxy.example.net:8443", 8000)
    got = client.get("/", headers={"Host": host})
    assert got.status_code == (200 if answered else 400), got.text
    if not answered:
        assert "host name (or port)" in got.text


def test_an_entry_admits_the_port_the_server_listens_on_not_another() -> None:
    entry = AllowedHost("localhost", None)
    assert entry.admits("localhost", 8790, 8790)
    assert not entry.admits("localhost", 8790, 8000)


def test_a_setting_that_is_not_a_host_is_a_one_line_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unreadable setting ended every command in a pydantic traceback."""
    monkeypatch.setenv("IMS_ALLOWED_HOSTS", "ims.example.org, ims.example.org:https")
    monkeypatch.setenv("IMS_LOGIN_ATTEMPTS", "five")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["db", "status"])
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "IMS_ALLOWED_HOSTS=" in result.output
    assert "'ims.example.org:https' is not a host name" in result.output
    assert "IMS_LOGIN_ATTEMPTS='five'" in result.output
