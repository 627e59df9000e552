"""Who may see and change what, beyond the route's role (ims/api/permissions.py).

These rules are shared by the API and the pages, so that a page never shows what the API
would refuse, nor the other way round.
"""

from __future__ import annotations

from typing import Protocol

from ims.domain.enums import Role


class Caller(Protocol):
    """What the rules need to know of who is asking."""

    @property
    def role(self) -> Role:
        """The caller's role."""
        ...

    @property
    def organisation_id(self) -> int | None:
        """The caller's organisation (operators have one)."""
        ...


def sees_generalised_locations(caller: Caller | None, *, privacy: bool) -> bool:
    """With location privacy on, viewers and the public see generalised cells, no references."""
    return privacy and (caller is None or caller.role is Role.VIEWER)


def sees_all_submissions(caller: Caller | None) -> bool:
    """Reviewers and admins see every organisation's submissions."""
    return caller is not None and caller.role in (Role.REVIEWER, Role.ADMIN)


def may_see_submission(caller: Caller | None, submission_organisation_id: int | None) -> bool:
    """Operators see their own organisation's submissions only; others do not exist for them."""
    if sees_all_submissions(caller):
        return True
    return (
        caller is not None
        and caller.organisation_id is not None
        and caller.organisation_id == submission_organisation_id
    )


def may_withdraw(
    caller: Caller | None, submission_organisation_id: int | None, *, sent_by_operator: bool
) -> bool:
    """Withdrawing a submission awaiting review is its sender's act: an operator's, of
    their own organisation's submissions sent by an operator (operators send for their
    own organisation only). Not one the national authority sent in the organisation's
    name (a reviewer's record naming it, a CLI import): that one a reviewer rejects, with
    a reason (helper-111: an operator had set aside the authority's own record with no
    reviewer told)."""
    return (
        caller is not None
        and caller.role is Role.OPERATOR
        and sent_by_operator
        and may_see_submission(caller, submission_organisation_id)
    )


def may_replace(
    caller: Caller | None, submission_organisation_id: int | None, *, sent_by_operator: bool
) -> bool:
    """Replacing a submission (a corrected file, a record corrected in its form) sets it
    aside as withdrawing does: staff may replace any they see, an operator only one that
    ``may_withdraw`` (helper-112 had replaced the authority's record with a file of their
    own, then withdrawn that)."""
    return sees_all_submissions(caller) or may_withdraw(
        caller, submission_organisation_id, sent_by_operator=sent_by_operator
    )


def submission_filter(caller: Caller | None) -> int | None:
    """The organisation whose submissions a list shows the caller (None: all of them).

    -1, which no organisation has, when the caller has none.
    """
    if sees_all_submissions(caller):
        return None
    if caller is None or caller.organisation_id is None:
        return -1
    return caller.organisation_id


class Approver(Caller, Protocol):
    """A caller who may approve: their user name matters for the four-eyes rule."""

    @property
    def username(self) -> str:
        """The caller's user name."""
        ...


def may_approve(caller: Approver | None, uploaded_by: str | None, *, allow_self: bool) -> bool:
    """Four eyes: a submission made through the web or the API is approved by someone else.

    ``allow_self`` (IMS_ALLOW_SELF_APPROVAL) lets a one-person office approve its own.
    Uploads from the server's command line (``cli:…``) are not a user's: any reviewer
    may approve them.
    """
    if caller is None or caller.role not in (Role.REVIEWER, Role.ADMIN):
        return False
    return allow_self or uploaded_by is None or uploaded_by != caller.username
