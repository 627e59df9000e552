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
from ims.db.models import AdminArea, AppUser, Organisation, PlaceName, Submission
from ims.db.place_names import load_place_names
from ims.db.recording import load_boundaries
from ims.db.reference import add_organisation
from ims.domain.enums import Role
from ims.domain.place_names import read_place_names
from ims.errors import Conflict, InvalidRequest
from ims.ingest import approval, field_maps, submissions
from ims.ingest.boundaries import read_boundaries
from ims.resources import BOUNDARIES_DIR, EXAMPLES_DIR
from ims.sample.examples import MAG_MAPPING
from ims.sample.generator import generate
from ims.sample.provinces import OPERATORS, load_provinces
from ims.words import counted

log = logging.getLogger(__name__)

DEMO_PREFIX = "demo-"
NAMES_FILE = "LAO_names.csv"  # the boundaries' other names (sample_data/boundaries/README.md)
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
    """Load boundaries, the generated programme and the example submissions (once).

    Into an empty database or the demo's own only: run on an authority's database, the
    demo had added its generated programme and accounts beside the real ones (records are
    never deleted), and reset the password of its existing "admin" (found by a
    walk-through as a system administrator)."""
    result = DemoLoad()
    done = session.scalar(
        select(Submission.id).where(Submission.filename.startswith(DEMO_PREFIX)).limit(1)
    )
    if done is None:  # once loaded, the database is the demo's, whatever was added since
        _refuse_a_database_not_the_demos(session)
    if not session.scalar(text("SELECT count(*) FROM admin_area")):
        for level, name in ((1, "LAO_ADM1.geojson"), (2, "LAO_ADM2.geojson")):
            say(f"loading admin boundaries level {level} ({name})")
            loaded = load_boundaries(
                session, read_boundaries(BOUNDARIES_DIR / name), level=level, source=name
            )
        said = loaded.nesting.sentence() if loaded.nesting else None
        if said:  # the demo's two sources do not nest: its district tables say so too
            say(f"  note: {said}")
        result.boundaries_loaded = True
    _other_names(session, say)
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
                say(f"  {path.name}: {counted(outcome.errors, 'error')}: left for review")
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
            say(f"  {path.name}: {counted(outcome.submission.feature_count, 'feature')} applied")
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
            f"({counted(outcome.errors, 'error')}, "
            f"{counted(len(outcome.findings) - outcome.errors, 'warning')}) for review"
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


def _other_names(session: Session, say: Say) -> None:
    """The Lao gazetteer's other names of the demo's provinces and districts, into a demo
    whose boundaries are the shipped ones and which has none (a demo made before them)."""
    shipped = session.scalar(
        select(AdminArea.id).where(AdminArea.source == "LAO_ADM1.geojson").limit(1)
    )
    if shipped is None or session.scalar(select(PlaceName.id).limit(1)) is not None:
        return
    say(f"loading other names of the provinces and districts ({NAMES_FILE})")
    load_place_names(
        session, read_place_names(BOUNDARIES_DIR / NAMES_FILE), source=NAMES_FILE, by="demo"
    )


def _refuse_a_database_not_the_demos(session: Session) -> None:
    """InvalidRequest where the database holds records or accounts of its own."""
    examples = [name for name, *_ in EXAMPLES]
    users = [name for name, *_ in DEMO_USERS]
    row = session.execute(
        text(
            "SELECT (SELECT count(*) FROM submission WHERE left(filename, length(:prefix))"
            " <> :prefix AND NOT filename = ANY(:examples)),"
            " (SELECT count(*) FROM hazard_revision WHERE submission_id IS NULL)"
            " + (SELECT count(*) FROM release WHERE submission_id IS NULL),"
            " (SELECT count(*) FROM app_user WHERE NOT username = ANY(:users))"
        ),
        {"prefix": DEMO_PREFIX, "examples": examples, "users": users},
    ).one()
    files, records, people = (int(v) for v in row)
    if files or records or people:
        held = [
            counted(files, "submission") if files else "",
            f"{counted(records, 'record')} from forms" if records else "",
            counted(people, "account") if people else "",
        ]
        raise InvalidRequest(
            f"this database is not the demo's: it holds {', '.join(h for h in held if h)} of "
            "its own. `ims demo` loads its generated country into an empty database only, "
            "and would add demo records and accounts to this one (records are never "
            "deleted). To serve this database, run `ims serve`; to try the demo, give it a "
            "data directory of its own (IMS_DATA_DIR=… ims demo)"
        )


def demo_accounts(session: Session, file: Path) -> list[tuple[str, str, str | None]]:
    """The demo's accounts as (user, role, password), made once with random passwords.

    The passwords are kept in ``file`` (readable by its owner only) so that every run of the
    demo can print them. An account's password is never set again: where it was changed
    (or the file is gone) the password is None, as for a disabled account, and not printed.
    """
    known: dict[str, str] = {}
    if file.exists():
        for line in file.read_text().splitlines():
            name, _, kept = line.partition(" ")
            if name and kept:
                known[name] = kept
    accounts_out: list[tuple[str, str, str | None]] = []
    for name, role, org in DEMO_USERS:
        user = session.scalars(select(AppUser).where(AppUser.username == name)).first()
        if user is None:
            new = known.get(name) or secrets.token_urlsafe(9)
            accounts.create_user(
                session,
                name,
                role,
                organisation=org,
                password=new,
                full_name=f"Demo {role.value}",
                by="demo",
            )
            password: str | None = new
        elif user.disabled_at is None and accounts.password_matches(user, known.get(name, "")):
            password = known[name]
        else:
            password = None
        accounts_out.append((name, role.value, password))
    file.parent.mkdir(parents=True, exist_ok=True)
    file.touch(mode=0o600, exist_ok=True)
    file.chmod(0o600)
    file.write_text("".join(f"{n} {p}\n" for n, _, p in accounts_out if p))
    return accounts_out
