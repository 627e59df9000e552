"""The reference lists: added to, corrected with a trail, never rewritten under past reports."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ims.db import reference
from ims.db.models import AuditEvent, MunitionType
from ims.domain.enums import Contamination
from ims.errors import Conflict, InvalidRequest
from tests.utils import ClientAs


def trail(session: Session) -> list[tuple[str, str, dict | None, dict | None]]:
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.action, e.object_id, e.before, e.after) for e in rows]


def test_a_munition_type_is_added_and_its_description_corrected_with_a_trail(
    session: Session,
) -> None:
    reference.add_munition(session, " m-77 ", "M77", "CMR", True, by="im-officer")
    reference.add_munition(session, "M-77", "M77 dual-purpose grenade", "cmr", True, by="im")
    reference.add_munition(session, "M-77", "M77 dual-purpose grenade", "CMR", True, by="im")
    stored = session.get(MunitionType, "M-77")
    assert stored is not None and stored.name == "M77 dual-purpose grenade"
    assert stored.category is Contamination.CMR and stored.is_cmr
    assert trail(session) == [
        ("munition.added", "M-77", None, {"name": "M77", "category": "CMR", "is_cmr": True}),
        ("munition.renamed", "M-77", {"name": "M77"}, {"name": "M77 dual-purpose grenade"}),
    ]
    assert [m.code for m in reference.list_munitions(session)].index("M-77") >= 0


@pytest.mark.parametrize(
    ("code", "name", "category", "is_cmr", "field"),
    [
        ("", "x", "CMR", True, "code"),
        ("BLU 26", "x", "CMR", True, "code"),
        ("M-1", "  ", "CMR", True, "name"),
        ("M-1", "x", "XYZ", False, "category"),
        ("M-1", "x", "ERW", True, "is_cmr"),
        ("M-1", "a\x00b", "ERW", False, "name"),
    ],
)
def test_bad_munition_types_name_the_field(
    session: Session, code: str, name: str, category: str, is_cmr: bool, field: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        reference.add_munition(session, code, name, category, is_cmr, by="tests")
    assert caught.value.extra["field"] == field
    assert trail(session) == []


def test_a_types_category_or_cmr_flag_is_never_changed(session: Session) -> None:
    reference.add_munition(session, "PMN-2", "PMN-2 mine", "APM", False, by="tests")
    with pytest.raises(Conflict, match="add a new code instead"):
        reference.add_munition(session, "PMN-2", "PMN-2 mine", "CMR", True, by="tests")
    stored = session.get(MunitionType, "PMN-2")
    assert stored is not None and stored.category is Contamination.APM


def test_organisations_are_added_once(session: Session) -> None:
    before = [o.name for o in reference.list_organisations(session)]
    reference.add_organisation(session, "Swiss Foundation for Mine Action", by="tests")
    for same in ("Swiss Foundation for Mine Action", "SWISS foundation for mine action"):
        with pytest.raises(Conflict):
            reference.add_organisation(session, same, by="tests")
    with pytest.raises(Conflict, match="as 'HALO Trust'"):
        reference.add_organisation(session, "Halo Trust", by="tests")
    with pytest.raises(InvalidRequest, match="authority or operator"):
        reference.add_organisation(session, "Other", "donor", by="tests")
    after = [o.name for o in reference.list_organisations(session)]
    assert sorted(set(after) - set(before)) == ["Swiss Foundation for Mine Action"]


def test_the_api_and_the_admin_page_keep_the_lists(session: Session, client_as: ClientAs) -> None:
    client = client_as()  # an admin
    rbk = {"code": "RBK-500", "name": "RBK-500 dispenser", "category": "CMR"}
    made = client.post("/api/v1/reference/munitions", json=rbk)
    assert made.status_code == 200 and made.json()["is_cmr"] is True
    recast = {**rbk, "category": "ERW", "is_cmr": False}
    bad = client.post("/api/v1/reference/munitions", json=recast)
    assert bad.status_code == 409
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert "RBK-500" in {m["code"] for m in client.get("/api/v1/reference/munitions").json()}
    page = client.get("/admin/reference").text
    assert 'id="munitions"' in page and "RBK-500 dispenser" in page
    # an API token is no cookie: the form needs no CSRF token then
    added = client.post("/admin/reference", data={"list": "organisations", "name": "DCA"})
    assert added.status_code == 200 and "Organisation DCA added." in added.text
    again = client.post("/admin/reference", data={"list": "organisations", "name": "dca"})
    assert again.status_code == 409 and "already exists" in again.text
