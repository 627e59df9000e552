"""Test fixtures: a throw-away PostGIS database, migrated by Alembic, per test run.

The tests' connections work as ims itself does: the application's as the role ``ims_app``
(its own login on the embedded test cluster), the owner's (``owner_engine``) for what
migrations, backups and the tests of tampering need.

With ``IMS_TEST_DATABASE_URL`` set, the throw-away database is created on that server and
the application's connections log in as that URL's user and set the role ``ims_app`` (the
fallback of a server without IMS_ADMIN_DATABASE_URL); otherwise ims's own embedded
mechanism starts a private cluster in ``.ims-test/``.
Each test runs inside a connection-level transaction that is rolled back at the end, so
code under test may commit.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ims.config import get_settings
from ims.db import accounts, migrate
from ims.db.embedded import EmbeddedCluster
from ims.db.migrate import upgrade
from ims.db.session import app_url, make_engine, make_owner_engine, normalise_url
from tests.utils import REPO_ROOT, ClientAs, session_app, signed_in

# The tests choose their databases and settings themselves. An IMS_ setting of the shell
# that runs them (a server's IMS_DATABASE_URL and IMS_ADMIN_DATABASE_URL, say) pointed the
# command-line tests at that server: they failed, and could have written into it. Only
# the harness's own IMS_TEST_ settings are kept.
for _name in [n for n in os.environ if n.startswith("IMS_") and not n.startswith("IMS_TEST_")]:
    del os.environ[_name]

MIGRATE_MODULE = Path(migrate.__file__)

# Passwords are hashed at Argon2's production cost (64 MiB, 3 passes: 0.15 s a hash or a
# check, on every core) when ims runs. The tests create and sign in hundreds of users: at
# that cost about a minute of the suite's two cores went to hashing alone. Here the
# same Argon2id at its least cost; a hash still reads "$argon2id$" (test_accounts_and_audit)
# and keeps its own parameters, so servers the tests start as processes check it as
# ims would, and hash again at the full cost when they sign someone in.
accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
accounts._DUMMY_HASH = accounts._hasher.hash("not a password of anyone")

# Organisations the tests' files and uploads name (the demo's operators among them).
TEST_ORGANISATIONS = (
    "MAG",
    "NPA",
    "UXO Lao",
    "HALO Trust",
    "HI",
    "Army Humanitarian Team 58",
    "Test operator",
)


@contextlib.contextmanager
def _exclusively(data_dir: Path) -> Iterator[None]:
    """Hold a lock beside the test cluster's directory (one process sets it up at a time)."""
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with (data_dir.parent / f".{data_dir.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class TestServer:
    """Where throw-away databases are created: the embedded test cluster or a given server."""

    def __init__(self) -> None:
        given = os.environ.get("IMS_TEST_DATABASE_URL")
        self.cluster: EmbeddedCluster | None = None
        # Beside which the parallel workers' lock lives (another server: the temp dir).
        self.lock_path = Path(tempfile.gettempdir()) / "ims-test-server"
        self.started = False
        if given:
            self.admin_url = normalise_url(given)
        else:
            data_dir = Path(os.environ.get("IMS_TEST_DATA_DIR", REPO_ROOT / ".ims-test"))
            self.lock_path = data_dir
            self.cluster = EmbeddedCluster(data_dir)
            # Parallel workers (pytest -n) share the cluster: one initialises and starts it,
            # and none stops it (scripts/test.sh does, once every worker is done).
            with _exclusively(data_dir):
                self.cluster.init()
                started = self.cluster.start()
            self.started = started and "PYTEST_XDIST_WORKER" not in os.environ
            self.admin_url = self.cluster.url("postgres")

    def create_database(self, prefix: str = "ims_test") -> str:
        """Create an empty database and return its URL."""
        name = f"{prefix}_{secrets.token_hex(4)}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    @property
    def separate_logins(self) -> bool:
        """Whether the application logs in as ims_app (the embedded cluster) or sets it."""
        return self.cluster is not None

    def app_url(self, owner_url: str) -> str:
        """The application's login to a database made by create_database."""
        return app_url(owner_url) if self.separate_logins else owner_url

    def migrated_database(self, prefix: str) -> str:
        """A database migrated to head by Alembic (never create_all); the owner's URL.

        Its reference list holds the organisations the tests' files name (uploads never
        add one). The migrations run once per version of them, into a template database
        that each test's database is a copy of: migrating took 2 s per database (4-5 s with
        the other worker's waiting on the lock below), a copy takes 0.1 s.
        """
        name = f"{prefix}_{secrets.token_hex(4)}"
        with _exclusively(self.lock_path):
            template = self._migrated_template()
            engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
            engine.dispose()
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _migrated_template(self) -> str:
        """The template of migrated databases, made if the migrations changed (under the lock).

        Its name holds a digest of the migrations, so that a kept test cluster never hands
        out a database of older migrations; templates of other versions are dropped.
        """
        digest = hashlib.sha256()
        for path in sorted([*(REPO_ROOT / "migrations").rglob("*.py"), MIGRATE_MODULE]):
            digest.update(path.read_bytes())
        template = f"ims_template_{digest.hexdigest()[:12]}"
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            names = conn.scalars(
                text("SELECT datname FROM pg_database WHERE datname LIKE 'ims\\_template\\_%'")
            ).all()
            for stale in set(names) - {template}:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)'))
        engine.dispose()
        if template in names:
            return template
        url = self.create_database(template + "_new")
        owner = make_owner_engine(url)
        # The migrations alter the cluster-wide role ims_app: two workers doing so at once
        # failed ("tuple concurrently updated"); the caller's lock keeps them one at a time.
        upgrade(owner)
        with owner.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO organisation (name, kind) SELECT unnest(CAST(:n AS text[])), "
                    "'operator'"
                ),
                {"n": list(TEST_ORGANISATIONS)},
            )
        owner.dispose()  # a template is copied only while no one is connected to it
        engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:  # named only once whole: a failed run leaves no template
            conn.execute(text(f'ALTER DATABASE "{make_url(url).database}" RENAME TO "{template}"'))
        engine.dispose()
        return template

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


# What needs a PostgreSQL server: the test cluster (every database fixture depends on
# ``test_server``) and the clusters tests/db/test_embedded.py starts for itself.
DATABASE_FIXTURES = frozenset({"test_server", "cluster"})


# The files that take longest, longest first (seconds at -n 2, measured in CI). The
# parallel workers take a whole file at a time (``--dist loadfile``, in the order the files
# are collected: ``--no-loadscope-reorder``); when the longest come last, one worker runs
# them alone while the other has nothing left (xdist's own order, by number of tests, put
# the browser crawl and the XSS crawl, four minutes between them, last).
LONGEST_FIRST = (
    "tests/ui/test_crawl.py",  # 250
    "tests/ui/test_xss.py",  # 175
    "tests/ui/test_upload_journey.py",  # 135
    "tests/ui/test_browser.py",  # 110
    "tests/ui/test_record_browser.py",  # 75
    "tests/test_jobs.py",  # 50
    "tests/reports/test_report_changes.py",  # 50
    "tests/api/test_register.py",  # 50
    "tests/api/test_ogc.py",  # 50
    "tests/sample/test_clean_import.py",  # 40
    "tests/api/test_auth.py",  # 40
    "tests/db/test_backup.py",  # 40
    "tests/db/test_migrations.py",  # 35
    "tests/api/test_fuzz.py",  # 35
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``db`` every test that uses a database, directly or through other fixtures, and
    put the longest files first (``LONGEST_FIRST``).

    ``pytest -m "not db"`` then runs the rest, without a cluster, as a quick check.
    """
    for item in items:
        if DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.partition("::")[0], len(rank)))


@pytest.fixture(scope="session")
def test_server() -> Iterator[TestServer]:
    """The server that holds this run's throw-away databases."""
    server = TestServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def database(test_server: TestServer) -> Iterator[str]:
    """The run's migrated database: its owner's URL."""
    url = test_server.migrated_database("ims_test")
    yield url
    test_server.drop_database(url)


@pytest.fixture(scope="session")
def engine(test_server: TestServer, database: str) -> Iterator[Engine]:
    """The application's engine on the run's database (as ims works: as ims_app)."""
    eng = make_engine(test_server.app_url(database))
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def owner_engine(database: str) -> Iterator[Engine]:
    """The owner's engine on the run's database."""
    eng = make_owner_engine(database)
    yield eng
    eng.dispose()


@pytest.fixture
def committed_database(test_server: TestServer) -> Iterator[str]:
    """A migrated database of the test's own, for tests that need real commits (owner's URL)."""
    url = test_server.migrated_database("ims_committed")
    yield url
    test_server.drop_database(url)


@pytest.fixture
def committed_engine(test_server: TestServer, committed_database: str) -> Iterator[Engine]:
    """The application's engine on the test's own database."""
    eng = make_engine(test_server.app_url(committed_database))
    yield eng
    eng.dispose()


@pytest.fixture
def committed_owner_engine(committed_database: str) -> Iterator[Engine]:
    """The owner's engine on the test's own database."""
    eng = make_owner_engine(committed_database)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _no_cluster_outside_db_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test not marked ``db`` that would start a cluster (ims's default one, say) fails."""
    if request.node.get_closest_marker("db") is None:

        def refuse(cluster: EmbeddedCluster) -> bool:
            raise AssertionError(f"a test not marked db started a cluster in {cluster.home}")

        monkeypatch.setattr(EmbeddedCluster, "init", refuse)
        monkeypatch.setattr(EmbeddedCluster, "start", refuse)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings read from the environment a test set are forgotten after it."""
    yield
    get_settings.cache_clear()


@pytest.fixture
def private(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Locations generalised for viewers and anonymous readers (IMS_LOCATION_PRIVACY)."""
    monkeypatch.setenv("IMS_LOCATION_PRIVACY", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


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


@pytest.fixture
def owner_session(owner_engine: Engine) -> Iterator[Session]:
    """As ``session``, as the owner: for setting up states the application cannot make."""
    with owner_engine.connect() as conn:
        trans = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as sess:
            yield sess
        trans.rollback()


@pytest.fixture
def client_as(session: Session) -> ClientAs:
    """Clients of one app on the test's session, each signed in as a new user of a role.

    ``client_as()`` is an admin, ``client_as("reviewer")`` a reviewer, ``client_as("operator",
    organisation="MAG")`` an operator of MAG (of "Test operator" unless said).
    """
    app = session_app(session)

    def client(role: str = "admin", *, organisation: str | None = None) -> TestClient:
        return signed_in(app, session, role, organisation=organisation)

    return client
