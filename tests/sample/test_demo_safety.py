"""`ims demo` on an authority's database: it refuses, and never sets a password again.

Found by a walk-through as a system administrator: run on a database of 20,000 approved
hazards and real accounts, the demo reset the existing admin's password, added its
accounts and organisations and staged its files; a database whose references differed
would have had 3,000 generated hazards approved into it, for good.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from shapely.geometry import box
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ims.db import accounts
from ims.db.models import AppUser, Organisation, Submission
from ims.domain.enums import Role
from ims.errors import InvalidRequest
from ims.ingest import submissions
from ims.sample.demo import demo_accounts, load_demo
from tests.ingest.test_submissions import hazard_frame, write_zip

REAL = "Production-pw-1"


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_demo_refuses_a_database_with_accounts_or_records_of_its_own(
    session: Session, tmp_path: Path
) -> None:
    accounts.create_user(session, "boss", Role.ADMIN, password=REAL, by="tests")
    organisations = _count(session, Organisation)
    with pytest.raises(InvalidRequest, match=r"not the demo's: it holds 1 account of its own"):
        load_demo(session, hazards=50)
    assert _count(session, Organisation) == organisations  # nothing added before refusing
    assert session.scalar(text("SELECT count(*) FROM admin_area")) == 0
    assert _count(session, Submission) == 0

    session.execute(text("DELETE FROM app_user"))
    frame = hazard_frame([{"hazard_id": "REAL-1"}], [box(103.1, 19.4, 103.11, 19.41)])
    submissions.stage(session, write_zip(frame, tmp_path, "national"), kind="hazards")
    with pytest.raises(InvalidRequest, match=r"1 submission of its own.*ims serve"):
        load_demo(session, hazards=50)


def test_the_demo_never_sets_an_accounts_password_again(session: Session, tmp_path: Path) -> None:
    accounts.create_user(session, "admin", Role.ADMIN, password=REAL, by="tests")
    kept = tmp_path / "demo-accounts.txt"
    first = {name: password for name, _, password in demo_accounts(session, kept)}
    assert first["admin"] is None  # its own password, not the demo's: kept, not printed
    admin = session.scalars(select(AppUser).where(AppUser.username == "admin")).one()
    assert accounts.password_matches(admin, REAL)
    assert all(first[name] for name in ("reviewer", "operator", "viewer"))
    again = {name: password for name, _, password in demo_accounts(session, kept)}
    assert again == first  # a second run prints the same passwords

    accounts.set_password(session, "reviewer", "Changed-pw-22", by="tests")
    accounts.disable_user(session, "viewer", by="tests")
    after = {name: password for name, _, password in demo_accounts(session, kept)}
    assert after["reviewer"] is None and after["viewer"] is None  # not a stale password
    assert after["operator"] == first["operator"]
    reviewer = session.scalars(select(AppUser).where(AppUser.username == "reviewer")).one()
    assert accounts.password_matches(reviewer, "Changed-pw-22")
    assert kept.read_text() == f"operator {first['operator']}\n"
