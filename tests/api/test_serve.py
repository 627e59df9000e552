"""`ims serve` leaves forwarded headers to ims, which believes them from IMS_TRUSTED_PROXIES
only (docs/design.md §5; found by a walk-through as a system administrator: with no proxy
configured, a request from 127.0.0.1 saying X-Forwarded-Proto: https got Secure cookies,
and its X-Forwarded-For was logged as the client)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

import ims.cli.serve as serve_command
from ims.app import create_app
from tests.api.test_gate import _free_port


def test_forwarded_headers_from_an_untrusted_peer_change_nothing(
    committed_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: asked.update(kwargs))
    monkeypatch.setattr(serve_command, "database_up", lambda **kwargs: None)
    serve_command.serve(host=None, port=None)
    options = {k: v for k, v in asked.items() if k not in {"host", "port", "factory"}}
    assert options == {"proxy_headers": False}

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(committed_engine),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            **options,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    try:
        claimed = httpx.get(
            f"http://127.0.0.1:{port}/login",
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.1.2.3"},
        )
        assert claimed.status_code == 200
        cookie = claimed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "Secure" not in cookie
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_serving_plain_http_beyond_this_machine_is_warned_of(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(serve_command, "database_up", lambda **kwargs: None)
    serve_command.serve(host="0.0.0.0", port=None)
    assert "serving plain HTTP on 0.0.0.0" in capsys.readouterr().err
    serve_command.serve(host="127.0.0.1", port=None)
    assert "warning" not in capsys.readouterr().err


def test_serving_beyond_this_machine_without_allowed_hosts_is_warned_of(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The OGC pages build links from the Host header: a forged one made links elsewhere."""
    from ims.config import get_settings

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(serve_command, "database_up", lambda **kwargs: None)
    monkeypatch.setenv("IMS_TRUSTED_PROXIES", "127.0.0.1")
    get_settings.cache_clear()
    serve_command.serve(host="0.0.0.0", port=None)
    assert "list the names users reach ims by in IMS_ALLOWED_HOSTS" in capsys.readouterr().err
    monkeypatch.setenv("IMS_ALLOWED_HOSTS", "ims.example.org")
    get_settings.cache_clear()
    serve_command.serve(host="0.0.0.0", port=None)
    assert "warning" not in capsys.readouterr().err
