"""The demo country: Lao PDR boundaries and a generated programme, loaded the way real data is.

Everything goes in through the upload pipeline (stage, validate, approve), as operators'
files would: the baseline hazards file, then one file of releases per year. Loading is
idempotent: what is already there is not loaded again.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ims.db import accounts
from ims.db.models import AppUser, Organisation, Submission
from ims.db.recording import load_boundaries
from ims.db.reference import add_organisation
from ims.domain.enums import Role
from ims.errors import Conflict
from ims.ingest import approval, field_maps, submissions
from ims.ingest.boundaries import read_boundaries
from ims.resources import BOUNDARIES_DIR, EXAMPLES_DIR
from ims.sample.examples import MAG_MAPPING
from ims.sample.generator import generate
from ims.sample.provinces import OPERATORS, load_provinces

log = logging.getLogger(__name__)

DEMO_PREFIX = "demo-"
AUTHORITY = "National Regulatory Authority (demo)"

Say = Callable[[str], None]


@dataclass
class DemoLoad:
    """What loading the demo did."""

    boundaries_loaded: bool = False
    submissions_applied: int = 0
    staged_for_review: list[int] = field(default_factory=list)
    already_loaded: bool = False


def _write_gpkg(frame: object, path: Path, layer: str) -> Path:
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", promote_to_multi=True)
    return path


def load_demo(
    session: Session,
    *,
    hazards: int = 3000,
    seed: int = 7,
    start_year: int = 2012,
    end_year: int | None = None,
    say: Say = lambda _msg: None,
) -> DemoLoad:
    """Load boundaries, the generated programme and the example submissions (once)."""
    result = DemoLoad()
    if not session.scalar(text("SELECT count(*) FROM admin_area")):
        for level, name in ((1, "LAO_ADM1.geojson"), (2, "LAO_ADM2.geojson")):
            say(f"loading admin boundaries level {level} ({name})")
            load_boundaries(
                session, read_boundaries(BOUNDARIES_DIR / name), level=level, source=name
            )
        result.boundaries_loaded = True
    done = session.scalar(
        select(Submission.id).where(Submission.filename.startswith(DEMO_PREFIX)).limit(1)
    )
    if done is not None:
        result.already_loaded = True
        return result
    end_year = end_year or dt.date.today().year - 1
    say(f"generating a demo programme: {hazards:,} hazards, {start_year}–{end_year}")
    data = generate(
        hazards, seed=seed, provinces=load_provinces(), start_year=start_year, end_year=end_year
    )
    # The reference list of organisations the demo's files name (files never add one).
    known = set(session.scalars(select(Organisation.name)))
    for name, kind in [(AUTHORITY, "authority"), *((o, "operator") for o in DEMO_OPERATORS)]:
        if name not in known:
            add_organisation(session, name, kind, by="demo")
    with tempfile.TemporaryDirectory(prefix="ims-demo-") as tmp:
        folder = Path(tmp)
        files = [
            (
                "hazards",
                _write_gpkg(data.hazards, folder / f"{DEMO_PREFIX}hazards.gpkg", "hazards"),
                AUTHORITY,
            )
        ]
        years = data.releases["released"].str.slice(0, 4)
        for year in sorted(years.unique()):
            path = folder / f"{DEMO_PREFIX}releases-{year}.gpkg"
            files.append(
                ("releases", _write_gpkg(data.releases[years == year], path, "releases"), AUTHORITY)
            )
        for kind, path, org in files:
            outcome = submissions.stage(
                session, path, kind=kind, organisation=org, uploaded_by="demo"
            )
            sid = outcome.submission.id
            if outcome.errors:
                say(f"  {path.name}: {outcome.errors} error(s): left for review")
                result.staged_for_review.append(sid)
                continue
            try:
                with session.begin_nested():
                    approval.approve(session, sid, by="demo")
            except Conflict as exc:
                say(f"  {path.name}: not applied: {exc.detail}")
                result.staged_for_review.append(sid)
                continue
            result.submissions_applied += 1
            say(f"  {path.name}: {outcome.submission.feature_count:,} features applied")
    result.staged_for_review.extend(stage_examples(session, say=say))
    return result


# The operators of the generated programme and of the shipped examples.
DEMO_OPERATORS = tuple(dict.fromkeys((*OPERATORS, "MAG", "NPA")))

EXAMPLES = [
    # file, kind, organisation, field mapping, crs
    ("mag_new_hazards_utm48n.zip", "hazards", "MAG", MAG_MAPPING, None),
    ("npa_releases_with_errors.zip", "releases", "NPA", None, None),
]


def stage_examples(session: Session, *, say: Say = lambda _msg: None) -> list[int]:
    """Stage the shipped operator examples for review (not approved)."""
    staged = []
    for name, kind, org, mapping, crs in EXAMPLES:
        path = EXAMPLES_DIR / name
        if not path.exists():
            continue
        outcome = submissions.stage(
            session,
            path,
            kind=kind,
            organisation=org,
            crs=crs,
            field_map=field_maps.parse_field_map(mapping),
            uploaded_by="demo",
        )
        say(
            f"  example {name}: staged as submission {outcome.submission.id} "
            f"({outcome.errors} error(s), {len(outcome.findings) - outcome.errors} "
            "warning(s)) for review"
        )
        staged.append(outcome.submission.id)
    return staged


# One account per role for trying the pages; the operator belongs to MAG, whose example
# upload is waiting for review.
DEMO_USERS = (
    ("admin", Role.ADMIN, None),
    ("reviewer", Role.REVIEWER, None),
    ("operator", Role.OPERATOR, "MAG"),
    ("viewer", Role.VIEWER, None),
)


def demo_accounts(session: Session, file: Path) -> list[tuple[str, str, str]]:
    """The demo's accounts as (user, role, password), made once with random passwords.

    The passwords are kept in ``file`` (readable by its owner only) so that every run of the
    demo can print them; an account that already exists without that file gets a new one.
    """
    known: dict[str, str] = {}
    if file.exists():
        for line in file.read_text().splitlines():
            name, _, password = line.partition(" ")
            if name and password:
                known[name] = password
    accounts_out = []
    for name, role, org in DEMO_USERS:
        password = known.get(name) or secrets.token_urlsafe(9)
        exists = session.scalar(select(AppUser.id).where(AppUser.username == name))
        if exists is None:
            accounts.create_user(
                session,
                name,
                role,
                organisation=org,
                password=password,
                full_name=f"Demo {role.value}",
                by="demo",
            )
        elif name not in known:
            accounts.set_password(session, name, password, by="demo")
        accounts_out.append((name, role.value, password))
    file.parent.mkdir(parents=True, exist_ok=True)
    file.touch(mode=0o600, exist_ok=True)
    file.chmod(0o600)
    file.write_text("".join(f"{n} {p}\n" for n, _, p in accounts_out))
    return accounts_out
