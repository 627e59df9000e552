"""What the benchmarks that talk to a running ims share: a database, a server, users.

Not a benchmark itself. ``bench/tiles.py`` and ``bench/load.py`` import it (a script's own
directory is on its import path).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db import accounts
from ims.db.migrate import upgrade
from ims.db.models import AppUser
from ims.db.session import app_url, embedded_cluster, make_engine
from ims.domain.enums import Role

IMS = Path(sys.executable).with_name("ims")
OUT = Path(__file__).resolve().parent / "out"  # the benchmarks' logs (not in git)
PASSWORD = "a benchmark's own password"  # the benchmarks' own databases only


WARMED = "ims.api.warm: answers computed again"  # the warming thread's line in the log


def say(message: str) -> None:
    """Print a line of the benchmark's report at once."""
    print(message, flush=True)


def free_port() -> int:
    """A TCP port free on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database(name: str) -> tuple[str, Engine, Engine]:
    """The database ``name`` in the embedded cluster, migrated to the head: its owner's URL,
    the owner's engine and the application's (as ims logs in)."""
    cluster = embedded_cluster(get_settings())
    cluster.up()
    cluster.ensure_database(name)
    owner_url = cluster.url(name)
    owner = create_engine(owner_url)
    t = time.perf_counter()
    upgrade(owner)
    say(f"{name}: schema at head ({time.perf_counter() - t:.1f} s)")
    return owner_url, owner, make_engine(app_url(owner_url))


def user(engine: Engine, name: str, role: Role, organisation: str | None = None) -> str:
    """A new API token of user ``name`` (made on the first run), who signs in with PASSWORD."""
    with Session(engine) as session, session.begin():
        if session.scalar(select(AppUser.id).where(AppUser.username == name)) is None:
            accounts.create_user(
                session, name, role, organisation=organisation, password=PASSWORD, by="bench"
            )
        else:
            accounts.set_password(session, name, PASSWORD, by="bench")
        _, secret = accounts.create_token(session, name, "benchmark", by="bench", days=1)
    return secret


@contextmanager
def ims_serve(
    owner_url: str, log: Path, *, env: dict[str, str] | None = None, warmed: bool = False
) -> Iterator[str]:
    """``ims serve`` on a free loopback port against the database at ``owner_url``, as a
    process of its own (its output in ``log``); yields its address and stops it afterwards.

    ``warmed``: not before its warming thread has computed the answers read first, as on a
    server that has been up a while (a few seconds on a national database)."""
    warmed = warmed and get_settings().warm_interval_s > 0  # IMS_WARM_INTERVAL_S=0: none
    port = free_port()
    environment = dict(os.environ)
    environment.update(
        IMS_DATABASE_URL=app_url(owner_url),
        IMS_ADMIN_DATABASE_URL=owner_url,
        PYTHONUNBUFFERED="1",
    )
    environment.update(env or {})
    log.parent.mkdir(parents=True, exist_ok=True)
    output = log.open("w")
    server = subprocess.Popen(
        [str(IMS), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"ims serve stopped ({server.returncode}); see {log}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("ims serve did not answer within a minute")
            time.sleep(0.2)
        while warmed and WARMED not in log.read_text():
            if server.poll() is not None:
                raise RuntimeError(f"ims serve stopped ({server.returncode}); see {log}")
            if time.monotonic() > deadline + 60:
                raise RuntimeError(f"ims serve did not warm within two minutes; see {log}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        output.close()
