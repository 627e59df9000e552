"""Test fixtures: a throw-away PostGIS database, migrated by Alembic, per test run.

The tests' connections work as the application's role (``ims_app``), as ims itself does.

With ``IMS_TEST_DATABASE_URL`` set, the throw-away database is created on that server;
otherwise ims's own embedded mechanism starts a private cluster in ``.ims-test/``.
Each test runs inside a connection-level transaction that is rolled back at the end, so
code under test may commit.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ims.db.embedded import EmbeddedCluster
from ims.db.migrate import upgrade
from ims.db.session import normalise_url, use_app_role

REPO_ROOT = Path(__file__).resolve().parents[1]


class TestServer:
    """Where throw-away databases are created: the embedded test cluster or a given server."""

    def __init__(self) -> None:
        given = os.environ.get("IMS_TEST_DATABASE_URL")
        self.cluster: EmbeddedCluster | None = None
        self.started = False
        if given:
            self.admin_url = normalise_url(given)
        else:
            data_dir = Path(os.environ.get("IMS_TEST_DATA_DIR", REPO_ROOT / ".ims-test"))
            self.cluster = EmbeddedCluster(data_dir)
            self.cluster.init()
            self.started = self.cluster.start()
            self.admin_url = self.cluster.url("postgres")

    def create_database(self, prefix: str = "ims_test") -> str:
        """Create an empty database and return its URL."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database made by create_database."""
        name = make_url(url).database
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    def close(self) -> None:
        """Stop the embedded test cluster if this run started it."""
        if self.cluster is not None and self.started and not os.environ.get("IMS_TEST_KEEP"):
            self.cluster.stop()


@pytest.fixture(scope="session")
def test_server() -> Iterator[TestServer]:
    """The server that holds this run's throw-away databases."""
    server = TestServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def engine(test_server: TestServer) -> Iterator[Engine]:
    """An engine on a fresh database migrated to head by Alembic (never create_all)."""
    url = test_server.create_database()
    eng = create_engine(url)
    upgrade(eng)
    eng.dispose()
    use_app_role(eng)  # the tests work as ims works: as the application's role
    yield eng
    eng.dispose()
    test_server.drop_database(url)


@pytest.fixture
def committed_engine(test_server: TestServer) -> Iterator[Engine]:
    """A migrated database of the test's own, for tests that need real commits."""
    url = test_server.create_database("ims_committed")
    eng = create_engine(url)
    upgrade(eng)
    eng.dispose()
    use_app_role(eng)
    yield eng
    eng.dispose()
    test_server.drop_database(url)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        trans = conn.begin()
        yield conn
        trans.rollback()


@pytest.fixture
def session(connection: Connection) -> Iterator[Session]:
    """A session whose commits become savepoints of the rolled-back test transaction."""
    with Session(bind=connection, join_transaction_mode="create_savepoint") as sess:
        yield sess


def authorise(client: Any, session: Session, role: str = "admin",
              organisation: str | None = None) -> str:  # fmt: skip
    """Make a user of ``role`` with an API token and send it with every request of ``client``.

    Returns the user name. The user lives in ``session`` (commit it for a committed engine).
    """
    from ims.db import accounts

    if role == "operator" and organisation is None:
        organisation = "Test operator"
    name = f"test-{role}-{secrets.token_hex(3)}"
    accounts.create_user(session, name, role, organisation=organisation, by="tests")
    _, secret = accounts.create_token(session, name, "tests", by="tests")
    client.headers["Authorization"] = f"Bearer {secret}"
    return name
