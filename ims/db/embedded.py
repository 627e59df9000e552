"""The embedded default: a private PostgreSQL + PostGIS cluster that ims starts itself.

The cluster lives in a data directory (``.ims/`` by default), listens only on a Unix socket
in that directory (no TCP port, so nothing collides) and trusts local connections: the
socket directory is private to the user who runs the server. PostgreSQL refuses to run as
root, so when ims runs as root the server runs as an unprivileged service user instead.
The cluster's superuser (``SUPERUSER``) owns the database and runs the migrations; the
application logs in as the role the migrations make, ``ims_app`` (``ims.db.session``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pwd
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ims.errors import DatabaseUnavailable, SetupError

log = logging.getLogger(__name__)

SUPERUSER = "ims"
DATABASE = "ims"
PORT = 5432  # only names the socket file; the server listens on no TCP port
INSTALL_HINT = (
    "install PostgreSQL and PostGIS, e.g. on Debian/Ubuntu: "
    "sudo apt-get install postgresql postgresql-{major}-postgis-3"
)
# Unix socket paths are limited to 107 bytes; leave room for "/.s.PGSQL.5432".
_MAX_SOCKET_DIR = 90


def find_bindir(root: Path = Path("/usr/lib/postgresql")) -> Path:
    """Return the directory holding the newest installed PostgreSQL server binaries.

    Debian and Ubuntu keep each major version in ``/usr/lib/postgresql/N/bin``, off the
    PATH; elsewhere ``initdb`` and ``pg_ctl`` are expected on the PATH.
    """
    candidates = sorted(
        root.glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        reverse=True,
    )
    if candidates:
        return candidates[0].parent
    for tool in ("pg_ctl", "initdb"):
        found = shutil.which(tool)
        if found:
            return Path(found).resolve().parent
    raise SetupError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found; "
        + INSTALL_HINT.format(major=15)
    )


def server_major(bindir: Path) -> int:
    """Return the major version of the PostgreSQL server in ``bindir``."""
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)", out)
    return int(match.group(1)) if match else 0


SIZED_CONF = "ims.conf"
_MB = 1024 * 1024


_CGROUP_LIMITS = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1
)


def machine_memory(limits: tuple[Path, ...] = _CGROUP_LIMITS) -> int:
    """The memory ims may use, in bytes: the machine's, or a container's limit if lower."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit in limits:
        with contextlib.suppress(OSError, ValueError):
            memory = min(memory, int(limit.read_text().strip()))  # "max": no limit
    return memory


def sized_settings(memory: int | None = None) -> dict[str, str]:
    """The embedded server's memory and WAL settings for a machine with ``memory`` bytes.

    A national approval writes about 3 GB of ledger, map and report rows in one
    transaction. With 256 MB of shared buffers the server wrote most of those pages out
    itself to make room (and more so beside the readers of ``ims serve``), and with 2 GB
    of WAL between checkpoints it checkpointed four times inside the approval, each
    followed by whole pages logged again (docs/design.md §8: the releases file approved
    through the API 130.6 s → 123.9 s). An eighth of the memory (between 128 MB and
    2 GB) leaves the rest to ims's own workers and to the file cache; 8 GB of WAL is
    reused, not kept.

    A restore (``ims db restore``, one transaction) drops and creates every object of the
    schema and of PostGIS and holds a lock on each: about 2,500. The server's lock table
    is shared by all sessions and sized by ``max_locks_per_transaction`` (64 by default:
    about 7,000 locks for its 100 connections), so a restore beside another one, or
    beside a migration creating PostGIS, ran out of it ("out of shared memory") at a
    random statement. 256 gives four times the room for some 10 MB of shared memory.
    """
    memory = machine_memory() if memory is None else memory
    buffers = min(max(memory // 8, 128 * _MB), 2048 * _MB) // _MB
    return {
        "shared_buffers": f"{buffers}MB",
        "work_mem": "64MB",
        "maintenance_work_mem": "256MB",
        "max_wal_size": "8GB",
        "max_locks_per_transaction": "256",
    }


@dataclass(frozen=True)
class ClusterStatus:
    """What `ims db status` reports about the embedded cluster."""

    initialised: bool
    running: bool
    pid: int | None
    pgdata: Path
    socket_dir: Path
    url: str


class EmbeddedCluster:
    """A private PostgreSQL cluster in a data directory, reached over a Unix socket."""

    def __init__(self, data_dir: Path, *, service_user: str = "postgres") -> None:
        self.data_dir = data_dir.resolve()
        self.as_root = os.geteuid() == 0
        self.service_user = service_user if self.as_root else None
        self.home = self._choose_home()
        self.pgdata = self.home / "pgdata"
        self.socket_dir = self._choose_socket_dir()
        self.logfile = self.home / "server.log"
        self._bindir: Path | None = None

    # -- where things live -------------------------------------------------------------

    def _choose_home(self) -> Path:
        """Pick the directory holding the cluster: the data dir, unless the server can't reach it.

        As root, the server runs as the service user, who needs to traverse every parent of
        the data directory; when it cannot (a checkout under /root, say), the cluster lives in
        a directory of its own under /var/lib/ims named after the data directory.
        """
        if not self.as_root or self._service_can_reach(self.data_dir):
            return self.data_dir
        digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/var/lib/ims") / digest

    def _choose_socket_dir(self) -> Path:
        sock = self.home / "run"
        if len(str(sock)) <= _MAX_SOCKET_DIR:
            return sock
        digest = hashlib.sha1(str(self.home).encode()).hexdigest()[:12]
        return Path("/tmp") / f"ims-{digest}"

    def _service_can_reach(self, path: Path) -> bool:
        """Whether the service user can traverse every existing ancestor of ``path``."""
        assert self.service_user is not None
        try:
            entry = pwd.getpwnam(self.service_user)
        except KeyError:
            return False
        for parent in [path, *path.parents]:
            if not parent.exists():
                continue
            st = parent.stat()
            if st.st_uid == entry.pw_uid:
                mode_ok = bool(st.st_mode & 0o100)
            elif st.st_gid == entry.pw_gid:
                mode_ok = bool(st.st_mode & 0o010)
            else:
                mode_ok = bool(st.st_mode & 0o001)
            if not mode_ok:
                return False
        return True

    @property
    def bindir(self) -> Path:
        """The PostgreSQL binaries used to run this cluster."""
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    def url(self, database: str = DATABASE, user: str = SUPERUSER) -> str:
        """SQLAlchemy URL of a database in this cluster, logging in as ``user``."""
        return f"postgresql+psycopg://{user}@/{database}?host={quote(str(self.socket_dir))}"

    # -- running commands as the right user --------------------------------------------

    def _demote(self) -> Callable[[], None] | None:
        if not self.as_root:
            return None
        assert self.service_user is not None
        try:
            entry = pwd.getpwnam(self.service_user)
        except KeyError:
            raise SetupError(
                f"ims runs as root, so the database server must run as an unprivileged user, "
                f"but user {self.service_user!r} does not exist; create it "
                f"(sudo useradd --system {self.service_user}) or set IMS_SERVICE_USER"
            ) from None
        uid, gid = entry.pw_uid, entry.pw_gid

        def demote() -> None:
            os.setgid(gid)
            os.setgroups([])
            os.setuid(uid)

        return demote

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        env.pop("PGDATA", None)
        log.debug("running %s", " ".join(cmd))
        result = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            preexec_fn=self._demote(),
            cwd=str(self.home),
            env=env,
            check=False,
        )
        if check and result.returncode != 0:
            raise DatabaseUnavailable(
                f"{args[0]} failed (exit {result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}" + self._log_tail()
            )
        return result

    def _log_tail(self) -> str:
        try:
            lines = self.logfile.read_text(errors="replace").splitlines()[-15:]
        except OSError:
            return ""
        return "\nlast lines of " + str(self.logfile) + ":\n" + "\n".join(lines)

    def _own(self, *paths: Path) -> None:
        """Give the service user the directories the server writes to."""
        if not self.as_root:
            return
        assert self.service_user is not None
        entry = pwd.getpwnam(self.service_user)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def initialised(self) -> bool:
        """Whether initdb has run in the cluster directory."""
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the cluster if it does not exist yet; return True when it was created."""
        if self.initialised:
            return False
        self._demote()  # fail early, with the clear message, when the service user is missing
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._own(self.home, self.socket_dir)
        if self.pgdata.exists() and not any(self.pgdata.iterdir()):
            self.pgdata.rmdir()
        log.debug("initialising a private PostgreSQL cluster in %s", self.pgdata)
        self._run(
            "initdb",
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        conf = self.pgdata / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(
                "\n# ims embedded cluster: Unix socket only\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                f"port = {PORT}\n"
                "fsync = on\n"
            )
        return True

    def _write_sized_settings(self) -> None:
        """Write the memory and WAL settings for this machine, read as the server starts.

        Clusters made before the file existed get the line that reads it (last, so its
        values win over the ones their postgresql.conf was given then).
        """
        sized = self.pgdata / SIZED_CONF
        text = "".join(f"{name} = {value}\n" for name, value in sized_settings().items())
        # where the socket is for the data directory as it is now: initdb's absolute path
        # in postgresql.conf kept a moved data directory (IMS_DATA_DIR on a larger disk)
        # listening where the old one was (found by a walk-through upgrading an install)
        socket = str(self.socket_dir).replace("'", "''")
        sized.write_text(
            "# written by ims each time it starts the cluster (ims.db.embedded); edit\n"
            "# postgresql.auto.conf (ALTER SYSTEM) to override\n"
            + text
            + f"unix_socket_directories = '{socket}'\n"
        )
        self._own(sized)
        conf = self.pgdata / "postgresql.conf"
        include = f"include_if_exists = '{SIZED_CONF}'"
        if include not in conf.read_text():
            with conf.open("a") as fh:
                fh.write(f"\n# ims: memory and WAL sized to the machine\n{include}\n")

    def pid(self) -> int | None:
        """PID of the running server, or None (a stale pid file counts as not running)."""
        pidfile = self.pgdata / "postmaster.pid"
        try:
            lines = pidfile.read_text().splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            return None
        if len(lines) > 1 and Path(lines[1]).resolve() != self.pgdata.resolve():
            return None  # copied with the data directory from where it ran: not this one
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, owned by another user
        cmdline = Path(f"/proc/{pid}/cmdline")
        if cmdline.exists() and b"postgres" not in cmdline.read_bytes():
            return None  # the pid was reused by an unrelated process
        return pid

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self.pid() is not None

    def start(self, *, timeout: int = 60) -> bool:
        """Start the server if it is not running; return True when it was started."""
        if self.running:
            self._wait_ready(timeout)
            return False
        pidfile = self.pgdata / "postmaster.pid"
        if pidfile.exists():
            log.warning(
                "removing stale pid file %s (the server was not shut down cleanly)", pidfile
            )
            pidfile.unlink()
        self.socket_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._own(self.socket_dir)
        for lock in self.socket_dir.glob(".s.PGSQL.*"):
            with contextlib.suppress(OSError):
                lock.unlink()
        if not self.logfile.exists():
            self.logfile.touch()
            self._own(self.logfile)
        self._write_sized_settings()
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.pgdata),
            "-l",
            str(self.logfile),
            "-w",
            "-t",
            str(timeout),
        )
        self._wait_ready(timeout)
        return True

    def _wait_ready(self, timeout: int) -> None:
        deadline = time.monotonic() + timeout
        while True:
            result = self._run(
                "pg_isready",
                "-h",
                str(self.socket_dir),
                "-p",
                str(PORT),
                "-U",
                SUPERUSER,
                check=False,
            )
            if result.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise DatabaseUnavailable(
                    "the embedded PostgreSQL server did not become ready" + self._log_tail()
                )
            time.sleep(0.2)

    def stop(self) -> bool:
        """Stop the server if it runs; return True when it was stopped."""
        if not self.running:
            return False
        self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w")
        return True

    def ensure_database(self, name: str = DATABASE) -> bool:
        """Create database ``name`` with PostGIS available; return True when it was created."""
        import psycopg

        conninfo = f"host={self.socket_dir} port={PORT} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'"
            ).fetchone()
            if row is None:
                raise SetupError(
                    "PostGIS is not installed for this PostgreSQL server; "
                    + INSTALL_HINT.format(major=server_major(self.bindir))
                )
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if exists.fetchone():
                return False
            conn.execute(f'CREATE DATABASE "{name}"')
            return True

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists (used for throw-away test databases)."""
        import psycopg

        conninfo = f"host={self.socket_dir} port={PORT} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def up(self, database: str = DATABASE) -> str:
        """Initialise, start and create the database as needed; return its URL."""
        self.init()
        self.start()
        self.ensure_database(database)
        return self.url(database)

    def status(self) -> ClusterStatus:
        """Describe the cluster without changing anything."""
        return ClusterStatus(
            initialised=self.initialised,
            running=self.running,
            pid=self.pid(),
            pgdata=self.pgdata,
            socket_dir=self.socket_dir,
            url=self.url(),
        )
