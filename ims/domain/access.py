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


def submission_filter(caller: Caller | None) -> int | None:
    """The organisation whose submissions a list shows the caller (None: all of them).

    -1, which no organisation has, when the caller has none.
    """
    if sees_all_submissions(caller):
        return None
    if caller is None or caller.organisation_id is None:
        return -1
    return caller.organisation_id
