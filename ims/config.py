"""Settings from the environment (prefix ``IMS_``), read in one place."""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ims.resources import default_data_dir


class Settings(BaseSettings):
    """Every setting ims reads; each can be given as ``IMS_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="IMS_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="URL of an existing PostGIS database, with the application's login "
        "(ims_app); unset = embedded cluster",
    )
    admin_database_url: str | None = Field(
        default=None,
        description="with IMS_DATABASE_URL: the same database with its owner's login, for "
        "migrations, backup, restore and audit verification; unset = IMS_DATABASE_URL is "
        "the owner's login and ims only sets the role ims_app (a warning in `ims db status`)",
    )
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="where the embedded cluster keeps its files (default: .ims in a checkout; "
        "installed, $XDG_DATA_HOME/ims, i.e. ~/.local/share/ims)",
    )
    service_user: str = Field(
        default="postgres",
        description="unprivileged OS user that runs the embedded server when ims runs as root",
    )
    log_level: str = Field(default="INFO", description="logging level (DEBUG, INFO, WARNING…)")
    upload_max_bytes: int = Field(default=200 * 1024 * 1024, gt=0, description="largest upload")
    upload_max_layers: int = Field(
        default=50, gt=0, description="most map layers an upload may hold (all files together)"
    )
    upload_max_features: int = Field(
        default=500_000, gt=0, description="most features the chosen layer of an upload may hold"
    )
    upload_max_vertices_per_feature: int = Field(
        default=100_000, gt=0, description="most vertices one feature of an upload may have"
    )
    upload_max_vertices: int = Field(
        default=20_000_000, gt=0, description="most vertices the features of an upload may have"
    )
    request_max_bytes: int = Field(
        default=2 * 1024 * 1024,
        gt=0,
        description="largest request body other than an upload (forms, JSON)",
    )
    job_workers: int = Field(
        default=2,
        ge=1,
        description="worker processes that read and check uploads for `ims serve` (approvals "
        "have one of their own: they run one at a time)",
    )
    job_timeout_s: float = Field(
        default=1800,
        gt=0,
        description="longest an upload's checks or an approval may run before it is stopped "
        "(with everything it started); nothing of a stopped job is kept",
    )
    request_timeout_s: float = Field(
        default=120,
        gt=0,
        description="longest one database statement of a page, a download or an API request "
        "may run in `ims serve` before it is stopped and answered 504 (a reader who has gone "
        "must not keep a core busy); uploads and approvals have IMS_JOB_TIMEOUT_S",
    )
    job_queue: int = Field(
        default=8,
        ge=0,
        description="uploads (and, apart, approvals) that may wait for a worker; more are "
        "answered 503 with Retry-After",
    )
    exports_at_once: int = Field(
        default=2,
        ge=1,
        description="register and release files (GeoPackage, shapefile, KML, CSV…) `ims serve` "
        "makes at once; more wait their turn, up to a minute, then get 503 with Retry-After",
    )
    job_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="how many steps below the server's the OS priority (nice) of the upload "
        "and approval workers is, so that pages and tiles answer first while they compute",
    )
    warm_interval_s: float = Field(
        default=5,
        ge=0,
        description="how often (seconds) `ims serve` looks whether the data changed, to "
        "compute again the answers readers ask for first (dashboard, today's and the last "
        "year ends' figures, last year's report) before anyone waits for them; an approval "
        "through the API computes them in its own transaction as it commits; 0: neither",
    )
    ledger_chunk_size: int = Field(
        default=2000,
        gt=0,
        description="hazards per chunk (at least) when many ledgers are rebuilt; with four "
        "chunks or more for each core, they are computed in parallel worker processes; "
        "with many hazards, chunks are made larger so that there are about 25 (8 per core "
        "on more than 3 cores)",
    )
    host: str = Field(default="127.0.0.1", description="address `ims serve` listens on")
    port: int = Field(default=8000, description="port `ims serve` listens on")
    session_hours: float = Field(
        default=12, gt=0, description="how long a web sign-in lasts before signing in again"
    )
    cookie_secure: bool | None = Field(
        default=None,
        description="send the session cookie over HTTPS only; unset: when the request came "
        "over HTTPS (directly, or through a proxy in IMS_TRUSTED_PROXIES that says so)",
    )
    trusted_proxies: str = Field(
        default="",
        description="addresses or networks (comma-separated, e.g. 127.0.0.1,10.0.0.0/8) of "
        "reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed; "
        "from anyone else those headers are ignored",
    )
    allowed_hosts: str = Field(
        default="",
        description="the host names (comma-separated, e.g. ims.example.org,localhost; "
        "*.example.org for its subdomains) a request may name in its Host header, others "
        "answered 400: the OGC pages build their links from it, so a forged Host header "
        "made links to another site; a name without a port is answered on no port, 80, 443 "
        "or the one ims listens on, a name:port on that port only; unset: any",
    )
    login_attempts: int = Field(
        default=5,
        ge=1,
        description="failed sign-ins per user name (or per known browser) before each further "
        "attempt must wait, 10 seconds at first and twice as long after each failure",
    )
    public_read: bool = Field(
        default=False,
        description="let anyone who is not signed in read what a viewer reads (figures, maps, "
        "reports)",
    )
    allow_self_approval: bool = Field(
        default=False,
        description="let the person who uploaded a submission through the web or the API "
        "approve it too (a one-person office); by default someone else must (four eyes)",
    )
    location_privacy: bool = Field(
        default=False,
        description="show viewers (and the public) only generalised locations of open hazards: "
        "counts and areas per grid cell, no boundaries, no release polygons",
    )
    generalise_m: float = Field(
        default=5000, gt=0, description="grid cell size in metres for generalised locations"
    )
    country_name: str = Field(
        default="Lao People's Democratic Republic",
        min_length=1,
        description="the State whose national database this is, as its reports name it "
        "(the default is the demo country's)",
    )
    font_dir: Path | None = Field(
        default=None,
        description="a folder searched first for the TrueType fonts of PDF reports "
        "(DejaVuSans.ttf, DejaVuSans-Bold.ttf, NotoSansLao-Regular.ttf…); unset: the "
        "system's fonts (Debian: fonts-dejavu-core, fonts-noto-core)",
    )
    article4_baseline: dt.date = Field(
        default=dt.date(2010, 8, 1),
        description="the baseline of Article 4 progress: entry into force for the State "
        "(the default is the Convention's entry into force, 1 August 2010, as for Lao PDR)",
    )
    article4_deadline: dt.date = Field(
        default=dt.date(2025, 8, 1),
        description="the State's Article 4 clearance deadline (with any extension granted); "
        "the default is Lao PDR's extended deadline of 1 August 2025",
    )

    @field_validator("allowed_hosts")
    @classmethod
    def _hosts_are_hosts(cls, value: str) -> str:
        from ims.api.hosts import parse_allowed

        parse_allowed(value)  # ValueError naming the entry
        return value


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once); SetupError naming each setting that
    cannot be read (``IMS_LOGIN_ATTEMPTS=abc`` had ended every command in a traceback)."""
    try:
        return Settings()
    except ValidationError as exc:
        from ims.errors import SetupError

        problems = "; ".join(
            f"IMS_{'_'.join(str(p) for p in e['loc']).upper()}={e.get('input')!r}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise SetupError(f"a setting cannot be read: {problems}") from None


_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def narrate() -> None:
    """From now on, log as a server does: at the settings' level, unless more was asked
    (``ims demo`` prints its own steps, then serves)."""
    wanted = logging.getLevelName(get_settings().log_level.upper())
    root = logging.getLogger()
    if isinstance(wanted, int) and root.getEffectiveLevel() > wanted:
        root.setLevel(wanted)


def configure_logging(level: str | None = None, *, narrated: bool = True) -> None:
    """Configure the root logger once for the whole process.

    A server narrates its steps at the settings' level (INFO unless ``IMS_LOG_LEVEL`` says
    otherwise). A command that reports in its own words (``narrated=False``) logs only
    warnings, unless the level is asked for: its timing lines, stamped, had come among the
    lines it prints.
    """
    root = logging.getLogger()
    if getattr(configure_logging, "_done", False):
        if level:
            root.setLevel(level.upper())
        return
    if level is None:
        settings = get_settings()
        level = settings.log_level
        if not narrated and "log_level" not in settings.model_fields_set:
            level = "WARNING"
    logging.basicConfig(level=level.upper(), format=_LOG_FORMAT)
    if not level or level.upper() != "DEBUG":
        # Alembic, pyogrio and matplotlib narrate every step at INFO: keep the output readable.
        for name in ("alembic", "pyogrio", "matplotlib"):
            logging.getLogger(name).setLevel(logging.WARNING)
    configure_logging._done = True  # type: ignore[attr-defined]
