"""The reference lists admins keep: munition types and organisations.

Codes and names are added, never removed: past records refer to them. A munition type's
description may be corrected; whether it is a cluster munition remnant, and its category,
may not, as that would change reports already given. Every change is in the audit trail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ims.db import audit
from ims.db.audit import Actor
from ims.db.models import MunitionType, Organisation
from ims.domain.enums import Contamination
from ims.errors import Conflict, InvalidRequest

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9./_-]{0,31}$")
ORGANISATION_KINDS = ("authority", "operator")


@dataclass(frozen=True)
class Munition:
    """A munition type as lists show it."""

    code: str
    name: str
    category: str
    is_cmr: bool


def _clean_text(value: str, field: str, limit: int) -> str:
    value = value.strip()
    if not value:
        raise InvalidRequest(f"{field} is empty", field=field)
    if len(value) > limit:
        raise InvalidRequest(f"{field} is longer than {limit} characters", field=field)
    if any(ord(c) < 32 for c in value):
        raise InvalidRequest(f"{field} holds a control character", field=field)
    return value


def list_munitions(session: Session) -> list[Munition]:
    """Every munition type, cluster munition remnants first, by code."""
    rows = session.scalars(
        select(MunitionType).order_by(MunitionType.is_cmr.desc(), MunitionType.code)
    )
    return [Munition(m.code, m.name, m.category.value, m.is_cmr) for m in rows]


def add_munition(
    session: Session,
    code: str,
    name: str,
    category: Contamination | str,
    is_cmr: bool,
    *,
    by: Actor | str | None,
) -> Munition:
    """Add a munition type, or correct the description of an existing one (in the caller's
    transaction). Changing an existing type's category or CMR flag is refused."""
    code = _clean_text(code, "code", 32).upper()
    if not CODE_PATTERN.match(code):
        raise InvalidRequest(
            f"code {code!r}: use letters, digits and . / _ - only (e.g. BLU-26)", field="code"
        )
    name = _clean_text(name, "name", 200)
    try:
        kind = category if isinstance(category, Contamination) else Contamination.parse(category)
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="category") from None
    if is_cmr and kind is not Contamination.CMR:
        raise InvalidRequest("a cluster munition remnant has category CMR", field="is_cmr")
    existing = session.get(MunitionType, code)
    if existing is not None:
        if existing.category is not kind or existing.is_cmr != is_cmr:
            raise Conflict(
                f"munition type {code} is already {existing.category.value}"
                f"{' (CMR)' if existing.is_cmr else ''}: its category and CMR flag stay, as "
                "reports already given count it so; add a new code instead"
            )
        if existing.name != name:
            audit.record(
                session,
                by,
                "munition.renamed",
                "munition_type",
                code,
                before={"name": existing.name},
                after={"name": name},
            )
            existing.name = name
            session.flush()
        return Munition(code, name, kind.value, is_cmr)
    session.add(MunitionType(code=code, name=name, category=kind, is_cmr=is_cmr))
    session.flush()
    audit.record(
        session,
        by,
        "munition.added",
        "munition_type",
        code,
        after={"name": name, "category": kind.value, "is_cmr": is_cmr},
    )
    return Munition(code, name, kind.value, is_cmr)


def list_organisations(session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    return list(session.scalars(select(Organisation).order_by(Organisation.name)))


def add_organisation(
    session: Session, name: str, kind: str = "operator", *, by: Actor | str | None
) -> Organisation:
    """Add an organisation (in the caller's transaction); Conflict if the name is taken."""
    name = _clean_text(name, "name", 200)
    if kind not in ORGANISATION_KINDS:
        raise InvalidRequest(f"kind {kind!r}: use authority or operator", field="kind")
    same = session.scalars(
        select(Organisation.name).where(func.lower(Organisation.name) == name.lower())
    ).first()
    if same is not None:  # other capitals are the same organisation, not a new one
        raise Conflict(f"organisation {name!r} already exists as {same!r}")
    org = Organisation(name=name, kind=kind)
    session.add(org)
    session.flush()
    audit.record(session, by, "organisation.added", "organisation", name, after={"kind": kind})
    return org
